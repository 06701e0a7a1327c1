"""Golden tests of the named impact queries (``queries/*.rq``) on the demo catalog (``examples/demo``).

The expected answers are read off the demo documents (see examples/README.md), not copied from the queries'
output. Names are fully qualified names; an owned node without one (a column, a feature) is named by its
owner's fully qualified name and its own name, which is also how its IRI is minted.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from rdflib import OWL, RDFS, URIRef

from mlkg.config import DEFAULT_BASE_IRI
from mlkg.errors import QueryError
from mlkg.queries import NamedQuery, ParamType, QueryCatalog
from mlkg.reasoning import load_ontology
from mlkg.store.base import SelectResult, Store, Term
from mlkg.vocab import INFERRED_GRAPH, MLKG, ONTOLOGY_GRAPH

CATALOG = QueryCatalog.load()

#: The ``catalog_factory`` fixture (tests/queries/conftest.py): the demo plus extra documents, reasoned.
CatalogFactory = Callable[[Sequence[dict[str, Any]]], Store]

CUSTOMERS = "postgres_prod.ecommerce.public.customers"
ORDERS = "postgres_prod.ecommerce.public.orders"
SF_CUSTOMERS = "snowflake.prod.customers"
TRANSACTIONS = "snowflake.prod.transactions"
CUSTOMER_FEATURES = "snowflake.prod.customer_features"
FRAUD_FEATURES = "snowflake.prod.fraud_features"
CHURN_SCORES = "snowflake.prod.churn_scores"
FRAUD_SCORES = "snowflake.prod.fraud_scores"
SALES_HISTORY = "bigquery_prod.retail.analytics.sales_history"
FUTURE_DEMAND = "bigquery_prod.retail.analytics.future_demand"
INTERACTIONS = "snowflake.prod.user_product_interactions"
CHURN = "mlflow_prod.customer_churn_predictor"
FRAUD = "mlflow_prod.fraud_detection"
RECOMMENDATION = "sagemaker_prod.product_recommendation"
FORECASTING = "vertex_ai.demand_forecasting"
RUNS = "mlflow_prod.churn-prediction"

#: Every named query of this suite and its declared parameters: (name, type, required).
PARAMETERS: dict[str, list[tuple[str, str, bool]]] = {
    "downstream": [("entity", "iri", True)],
    "downstream-summary": [("entity", "iri", True)],
    "raw-sources": [("entity", "iri", True)],
    "models-trained-on": [("dataset", "iri", True)],
    "features-from-column": [("column", "iri", True)],
    "sensitive-assets": [("kind", "string", False)],
    "models-using-sensitive-data": [],
    "dashboards-affected": [("table", "iri", True)],
    "owners-to-notify": [("table", "iri", True)],
    "lineage-path-edges": [("from", "iri", True), ("to", "iri", True)],
}


def iri(local: str) -> str:
    """The IRI the demo gives ``local`` (``table/snowflake.prod.customers``)."""
    return DEFAULT_BASE_IRI + local


def readable(term: Term | None) -> str | None:
    """A term as a short string: an entity IRI without the base, the inferred graph as ``inferred``, an mlkg
    term by its local name, a literal by its lexical form."""
    if term is None:
        return None
    if term == INFERRED_GRAPH:
        return "inferred"
    text = str(term)
    if isinstance(term, URIRef) and text.startswith(str(MLKG)):
        return text[len(str(MLKG)) :]
    return text.removeprefix(DEFAULT_BASE_IRI)


def run(store: Store, name: str, **arguments: str) -> SelectResult:
    result = CATALOG.get(name=name).run(store=store, arguments=arguments)
    assert isinstance(result, SelectResult)
    return result


def rows(store: Store, name: str, columns: Sequence[str], **arguments: str) -> list[tuple[str | None, ...]]:
    """The rows of a named query, in its order, reduced to ``columns`` made readable."""
    result = run(store, name, **arguments)
    index = [result.variables.index(c) for c in columns]
    return [tuple(readable(row[i]) for i in index) for row in result.rows]


def columns(table: str, *names: str) -> list[tuple[str, str]]:
    return [("column", f"{table}.{name}") for name in names]


# Everything downstream of the web shop's customers table: its columns; the replication into Snowflake and
# on through the fraud feature pipeline to the fraud model, endpoint, scores and alerts; the churn feature
# pipeline, its feature table and snapshots, the churn features, model, versions, runs, batch scoring,
# scores and both churn dashboards.
DOWNSTREAM_OF_CUSTOMERS = [
    *columns(CUSTOMERS, "customer_id", "email", "full_name", "birth_date", "signup_date"),
    *columns(CUSTOMERS, "last_purchase_date", "country"),
    *columns(SF_CUSTOMERS, "customer_id", "email", "signup_date", "country"),
    *columns(CUSTOMER_FEATURES, "customer_id", "recency_days", "order_count_30d", "spend_30d", "churned"),
    *columns(FRAUD_FEATURES, "transaction_id", "amount_zscore", "txn_count_1h", "foreign_country"),
    *columns(FRAUD_FEATURES, "customer_tenure_days", "is_fraud"),
    *columns(CHURN_SCORES, "customer_id", "churn_probability", "risk_band", "model_version", "scored_at"),
    *columns(FRAUD_SCORES, "transaction_id", "fraud_probability", "scored_at"),
    ("pipeline", "fivetran.customers_replication"),
    ("pipeline", "airflow.churn_feature_pipeline"),
    ("pipeline", "airflow.fraud_feature_pipeline"),
    ("table", SF_CUSTOMERS),
    ("feature_table", CUSTOMER_FEATURES),
    ("feature_table", "snowflake.prod.customers_2024_01"),
    ("feature_table", "snowflake.prod.customers_2024_03"),
    ("feature_table", "snowflake.prod.customers_2024_06"),
    ("feature_table", FRAUD_FEATURES),
    ("feature", f"{CHURN}.recency"),
    ("feature", f"{CHURN}.frequency"),
    ("feature", f"{CHURN}.monetary"),
    ("feature", f"{FRAUD}.amount_zscore"),
    ("feature", f"{FRAUD}.txn_count_1h"),
    ("feature", f"{FRAUD}.foreign_country"),
    ("feature", f"{FRAUD}.customer_tenure_days"),
    ("feature", f"{FRAUD}.card_velocity_24h"),
    ("model", CHURN),
    ("model", FRAUD),
    ("version", f"{CHURN}.v1"),
    ("version", f"{CHURN}.v2"),
    ("version", f"{CHURN}.v3"),
    ("run", f"{RUNS}.logreg_2024_01"),
    ("run", f"{RUNS}.rf_2024_03"),
    ("run", f"{RUNS}.xgb_2024_06_deep"),
    ("run", f"{RUNS}.xgb_2024_06"),
    ("deployment", "mlflow_prod.churn_batch_scoring"),
    ("deployment", "sagemaker_prod.fraud-detection-endpoint"),
    ("prediction_table", CHURN_SCORES),
    ("prediction_table", FRAUD_SCORES),
    ("dashboard", "tableau.churn_risk_overview"),
    ("dashboard", "tableau.churn_model_performance"),
    ("dashboard", "tableau.fraud_alerts"),
]

#: The IRI type segment of each kind: an asset's IRI is {base}{segment}/{its name}.
SEGMENTS = {
    "column": "column",
    "table": "table",
    "feature_table": "table",
    "prediction_table": "table",
    "pipeline": "pipeline",
    "feature": "feature",
    "model": "model",
    "version": "version",
    "run": "run",
    "deployment": "deployment",
    "dashboard": "dashboard",
}


# -- the catalog ---------------------------------------------------------------------------------------------


def test_each_impact_query_is_shipped_with_its_typed_parameters() -> None:
    for name, expected in PARAMETERS.items():
        query = CATALOG.get(name=name)
        assert query.description, name
        assert [(p.name, p.type.value, p.required) for p in query.parameters] == expected, name


def _sample_arguments(query: NamedQuery) -> dict[str, str]:
    """A valid argument for every parameter of ``query``, by parameter name and then by type."""
    iris = {
        "entity": iri(f"table/{CHURN_SCORES}"),
        "dataset": iri(f"table/{CUSTOMERS}"),
        "table": iri(f"table/{CUSTOMERS}"),
        "column": iri(f"column/{CUSTOMERS}.last_purchase_date"),
        "model": iri(f"model/{CHURN}"),
        "from": iri(f"table/{CUSTOMERS}"),
        "to": iri("dashboard/tableau.churn_risk_overview"),
    }
    by_type = {
        ParamType.IRI: iri(f"table/{CUSTOMERS}"),
        ParamType.STRING: "model",
        ParamType.INTEGER: "10",
        ParamType.DECIMAL: "0.5",
        ParamType.BOOLEAN: "true",
    }
    return {
        p.name: iris[p.name] if p.type is ParamType.IRI and p.name in iris else by_type[p.type]
        for p in query.parameters
    }


def test_every_shipped_query_parses_and_runs_on_the_demo_without_duplicate_rows(demo_store: Store) -> None:
    catalog = QueryCatalog.load()
    assert set(PARAMETERS) <= set(catalog.names())
    for query in catalog:
        result = query.run(store=demo_store, arguments=_sample_arguments(query))
        assert isinstance(result, SelectResult), query.name
        assert len(set(result.rows)) == len(result.rows), f"{query.name} returned duplicate rows"


@pytest.mark.parametrize(
    ("name", "arguments", "message"),
    [
        ("downstream", {}, "needs the parameter 'entity'"),
        ("downstream", {"entity": CUSTOMERS}, "must be an absolute IRI"),
        ("downstream-summary", {"entity": "table customers"}, "must be an absolute IRI"),
        ("raw-sources", {"entity": "http://x/> } DROP ALL"}, "must be an absolute IRI"),
        ("models-trained-on", {"model": iri(f"model/{CHURN}")}, "has no parameter 'model'"),
        ("features-from-column", {}, "needs the parameter 'column'"),
        ("sensitive-assets", {"table": iri(f"table/{CUSTOMERS}")}, "has no parameter 'table'"),
        ("models-using-sensitive-data", {"kind": "model"}, "has no parameter 'kind'"),
        ("dashboards-affected", {"table": ""}, "must be an absolute IRI"),
        ("owners-to-notify", {}, "needs the parameter 'table'"),
        ("lineage-path-edges", {"from": iri(f"table/{CUSTOMERS}")}, "needs the parameter 'to'"),
        ("lineage-path-edges", {"from": "customers", "to": iri(f"table/{CHURN_SCORES}")}, "absolute IRI"),
    ],
)
def test_bad_or_missing_parameters_are_query_errors(
    name: str, arguments: dict[str, str], message: str
) -> None:
    with pytest.raises(QueryError, match=message):
        CATALOG.get(name=name).bindings(arguments=arguments)


def test_a_bad_parameter_fails_before_the_store_is_asked(demo_store: Store) -> None:
    with pytest.raises(QueryError, match="must be an absolute IRI"):
        CATALOG.get(name="downstream").run(store=demo_store, arguments={"entity": "not an iri"})


# -- downstream, downstream-summary -------------------------------------------------------------------------


def test_downstream_of_the_customers_table(demo_store: Store) -> None:
    got = rows(demo_store, "downstream", ["kind", "name"], entity=iri(f"table/{CUSTOMERS}"))
    assert got == sorted(DOWNSTREAM_OF_CUSTOMERS)
    names = [name for _, name in got]
    assert not [n for n in names if n and (n.startswith(RECOMMENDATION) or n.startswith(FORECASTING))]


def test_downstream_rows_name_their_asset_and_entity(demo_store: Store) -> None:
    entity = iri(f"table/{CUSTOMERS}")
    for row in run(demo_store, "downstream", entity=entity).dicts():
        assert str(row["entity"]) == entity
        assert readable(row["asset"]) == f"{SEGMENTS[str(row['kind'])]}/{row['name']}"


def test_downstream_of_the_churn_model(demo_store: Store) -> None:
    # Its versions, the batch scoring serving it (and v3), the scores and their columns, both churn
    # dashboards; not the runs or training data (upstream of the versions), nothing of another model.
    got = rows(demo_store, "downstream", ["kind", "name"], entity=iri(f"model/{CHURN}"))
    assert got == sorted(
        [
            ("version", f"{CHURN}.v1"),
            ("version", f"{CHURN}.v2"),
            ("version", f"{CHURN}.v3"),
            ("deployment", "mlflow_prod.churn_batch_scoring"),
            ("prediction_table", CHURN_SCORES),
            *columns(
                CHURN_SCORES, "customer_id", "churn_probability", "risk_band", "model_version", "scored_at"
            ),
            ("dashboard", "tableau.churn_risk_overview"),
            ("dashboard", "tableau.churn_model_performance"),
        ]
    )


def test_downstream_of_a_pii_column_is_only_its_warehouse_copy(demo_store: Store) -> None:
    got = rows(demo_store, "downstream", ["kind", "name"], entity=iri(f"column/{CUSTOMERS}.email"))
    assert got == [("column", f"{SF_CUSTOMERS}.email")]


def test_downstream_of_an_unknown_entity_is_empty(demo_store: Store) -> None:
    assert rows(demo_store, "downstream", ["asset"], entity=iri("table/nowhere.nothing")) == []


def test_downstream_summary_groups_the_downstream_assets_by_kind(demo_store: Store) -> None:
    got = rows(demo_store, "downstream-summary", ["kind", "count", "names"], entity=iri(f"table/{CUSTOMERS}"))
    expected: dict[str | None, set[str]] = {}
    for asset_kind, name in DOWNSTREAM_OF_CUSTOMERS:
        expected.setdefault(asset_kind, set()).add(name)
    assert [kind for kind, _, _ in got] == sorted(k for k in expected if k)
    for kind, count, names in got:
        assert int(count or 0) == len(expected[kind]), kind
        assert set((names or "").split(", ")) == expected[kind], kind
    assert sum(int(count or 0) for _, count, _ in got) == len(DOWNSTREAM_OF_CUSTOMERS) == 63


def test_downstream_summary_of_the_sales_history(demo_store: Store) -> None:
    got = rows(demo_store, "downstream-summary", ["kind", "count"], entity=iri(f"table/{SALES_HISTORY}"))
    # Its 6 columns and the 5 of the forecast it feeds; the forecasting model, its 3 features, its batch job.
    assert got == [
        ("column", "11"),
        ("deployment", "1"),
        ("feature", "3"),
        ("model", "1"),
        ("prediction_table", "1"),
    ]


# -- raw-sources ---------------------------------------------------------------------------------------------


def test_raw_sources_of_the_churn_scores(demo_store: Store) -> None:
    # The raw tables the churn feature pipeline reads, and the three raw columns the features read; not the
    # feature table, snapshots or pipeline in between.
    got = rows(demo_store, "raw-sources", ["kind", "name"], entity=iri(f"table/{CHURN_SCORES}"))
    assert got == [
        ("column", f"{CUSTOMERS}.last_purchase_date"),
        ("column", f"{ORDERS}.count_30d"),
        ("column", f"{ORDERS}.total_amount_30d"),
        ("table", CUSTOMERS),
        ("table", ORDERS),
    ]


def test_raw_sources_of_the_fraud_alerts_reach_through_the_replication(demo_store: Store) -> None:
    # The fraud features read the Snowflake copy of customers, whose country and signup_date columns are
    # derived from the Postgres ones: those are the raw sources, not the copy.
    got = rows(demo_store, "raw-sources", ["kind", "name"], entity=iri("dashboard/tableau.fraud_alerts"))
    assert got == [
        ("column", f"{CUSTOMERS}.country"),
        ("column", f"{CUSTOMERS}.signup_date"),
        ("column", f"{TRANSACTIONS}.amount"),
        ("column", f"{TRANSACTIONS}.card_number"),
        ("column", f"{TRANSACTIONS}.country"),
        ("column", f"{TRANSACTIONS}.transaction_ts"),
        ("table", CUSTOMERS),
        ("table", TRANSACTIONS),
    ]


def test_raw_sources_of_the_demand_forecast_and_of_a_raw_table(demo_store: Store) -> None:
    got = rows(demo_store, "raw-sources", ["kind", "name"], entity=iri(f"table/{FUTURE_DEMAND}"))
    assert got == [
        ("column", f"{SALES_HISTORY}.promotion_flag"),
        ("column", f"{SALES_HISTORY}.sale_date"),
        ("column", f"{SALES_HISTORY}.units_sold"),
        ("table", SALES_HISTORY),
    ]
    assert rows(demo_store, "raw-sources", ["source"], entity=iri(f"table/{CUSTOMERS}")) == []


# -- models-trained-on ---------------------------------------------------------------------------------------


def test_models_trained_on_the_customers_table(demo_store: Store) -> None:
    got = rows(
        demo_store,
        "models-trained-on",
        ["kind", "name", "trainingDataName", "direct"],
        dataset=iri(f"table/{CUSTOMERS}"),
    )
    assert got == [
        ("model", CHURN, CUSTOMER_FEATURES, "false"),
        ("model", FRAUD, FRAUD_FEATURES, "false"),
        ("version", f"{CHURN}.v1", "snowflake.prod.customers_2024_01", "false"),
        ("version", f"{CHURN}.v2", "snowflake.prod.customers_2024_03", "false"),
        ("version", f"{CHURN}.v3", "snowflake.prod.customers_2024_06", "false"),
    ]


@pytest.mark.parametrize(
    ("dataset", "expected"),
    [
        # The snapshots are written by the pipeline beside customer_features, not from it: no version.
        (CUSTOMER_FEATURES, [("model", CHURN, CUSTOMER_FEATURES, "true")]),
        (
            "snowflake.prod.customers_2024_06",
            [("version", f"{CHURN}.v3", "snowflake.prod.customers_2024_06", "true")],
        ),
        (TRANSACTIONS, [("model", FRAUD, FRAUD_FEATURES, "false")]),
        (SALES_HISTORY, [("model", FORECASTING, SALES_HISTORY, "true")]),
        (INTERACTIONS, [("model", RECOMMENDATION, INTERACTIONS, "true")]),
        (CHURN_SCORES, []),
    ],
)
def test_models_trained_on(demo_store: Store, dataset: str, expected: list[tuple[str, ...]]) -> None:
    got = rows(
        demo_store,
        "models-trained-on",
        ["kind", "name", "trainingDataName", "direct"],
        dataset=iri(f"table/{dataset}"),
    )
    assert got == expected


# -- features-from-column ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        (
            f"{CUSTOMERS}.last_purchase_date",
            [(f"{CHURN}.recency", f"{CUSTOMERS}.last_purchase_date", "true")],
        ),
        (f"{ORDERS}.count_30d", [(f"{CHURN}.frequency", f"{ORDERS}.count_30d", "true")]),
        # Through column lineage: the fraud features read the Snowflake copies of these columns.
        (f"{CUSTOMERS}.country", [(f"{FRAUD}.foreign_country", f"{SF_CUSTOMERS}.country", "false")]),
        (
            f"{CUSTOMERS}.signup_date",
            [(f"{FRAUD}.customer_tenure_days", f"{SF_CUSTOMERS}.signup_date", "false")],
        ),
        (f"{SF_CUSTOMERS}.country", [(f"{FRAUD}.foreign_country", f"{SF_CUSTOMERS}.country", "true")]),
        (f"{TRANSACTIONS}.country", [(f"{FRAUD}.foreign_country", f"{TRANSACTIONS}.country", "true")]),
        (
            f"{SALES_HISTORY}.units_sold",
            [(f"{FORECASTING}.historical_sales", f"{SALES_HISTORY}.units_sold", "true")],
        ),
        (f"{CUSTOMERS}.email", []),
        (
            f"{TRANSACTIONS}.card_number",
            [(f"{FRAUD}.card_velocity_24h", f"{TRANSACTIONS}.card_number", "true")],
        ),
    ],
)
def test_features_from_column(demo_store: Store, column: str, expected: list[tuple[str, ...]]) -> None:
    got = rows(
        demo_store,
        "features-from-column",
        ["featureName", "sourceName", "direct"],
        column=iri(f"column/{column}"),
    )
    assert got == expected


# -- sensitive-assets, models-using-sensitive-data -----------------------------------------------------------


def test_the_fraud_model_uses_card_numbers_in_the_demo(demo_store: Store) -> None:
    # transactions.card_number is tagged PII.Sensitive and feeds the fraud model's card_velocity_24h feature:
    # the fraud model is the one model of the demo that uses personal data; the churn, recommendation and
    # demand models read no sensitive column.
    card = "snowflake.prod.transactions.card_number"
    models = rows(demo_store, "models-using-sensitive-data", ["kind", "name", "columnName", "tagName"])
    assert models == [("model", FRAUD, card, "PII.Sensitive")]
    kinds = {kind for kind, _ in rows(demo_store, "sensitive-assets", ["kind", "name"])}
    assert {"feature", "model", "deployment", "prediction_table", "dashboard"} <= kinds
    assert rows(demo_store, "sensitive-assets", ["name"], kind="model") == [(FRAUD,)]


#: Added to the demo for the sensitive-data queries: a model with features read from PII columns (the
#: Snowflake copy of customers.email, and customers.birth_date) with a version, deployment, prediction table
#: and dashboard; a model reading a column whose tag is sensitive itself (its classification is not); a
#: non-sensitive tagged column; and a table derived from customers by column lineage only.
PII_EXTENSION: list[dict[str, Any]] = [
    {
        "type": "classification",
        "name": "Internal",
        "fullyQualifiedName": "Internal",
        "description": "In-house.",
    },
    {
        "type": "tag",
        "name": "Secret",
        "fullyQualifiedName": "Internal.Secret",
        "tagFQN": "Internal.Secret",
        "sensitive": True,
        "classification": {"type": "classification", "fullyQualifiedName": "Internal"},
    },
    {
        "type": "table",
        "name": "salaries",
        "fullyQualifiedName": "postgres_prod.hr.public.salaries",
        "columns": [
            {"name": "employee_id", "dataType": "BIGINT"},
            {"name": "salary", "dataType": "DECIMAL", "tags": [{"tagFQN": "Internal.Secret"}]},
            {"name": "grade", "dataType": "VARCHAR", "tags": [{"tagFQN": "Tier.Tier1"}]},
        ],
    },
    {
        "type": "table",
        "name": "customer_emails",
        "fullyQualifiedName": "snowflake.prod.customer_emails",
        "columns": [
            {
                "name": "email",
                "dataType": "VARCHAR",
                "derivedFromColumns": [{"type": "column", "fullyQualifiedName": f"{CUSTOMERS}.email"}],
            }
        ],
    },
    {
        "type": "mlmodel",
        "name": "customer_ltv",
        "fullyQualifiedName": "mlflow_prod.customer_ltv",
        "algorithm": "Gradient Boosting",
        "mlFeatures": [
            {
                "name": "email_domain",
                "featureSources": [
                    {
                        "name": "email",
                        "dataSource": {"type": "column", "fullyQualifiedName": f"{SF_CUSTOMERS}.email"},
                    }
                ],
            },
            {
                "name": "age",
                "featureSources": [
                    {
                        "name": "birth_date",
                        "dataSource": {"type": "column", "fullyQualifiedName": f"{CUSTOMERS}.birth_date"},
                    }
                ],
            },
            {
                "name": "tenure",
                "featureSources": [
                    {
                        "name": "signup_date",
                        "dataSource": {"type": "column", "fullyQualifiedName": f"{SF_CUSTOMERS}.signup_date"},
                    }
                ],
            },
        ],
    },
    {
        "type": "modelVersion",
        "name": "v1",
        "fullyQualifiedName": "mlflow_prod.customer_ltv.v1",
        "versionOf": {"type": "mlmodel", "fullyQualifiedName": "mlflow_prod.customer_ltv"},
    },
    {
        "type": "deployment",
        "name": "customer_ltv_batch",
        "fullyQualifiedName": "mlflow_prod.customer_ltv_batch",
        "servesVersion": {"type": "modelVersion", "fullyQualifiedName": "mlflow_prod.customer_ltv.v1"},
        "predictionTable": [{"type": "predictionTable", "fullyQualifiedName": "snowflake.prod.ltv_scores"}],
    },
    {"type": "predictionTable", "name": "ltv_scores", "fullyQualifiedName": "snowflake.prod.ltv_scores"},
    {
        "type": "dashboard",
        "name": "ltv_overview",
        "fullyQualifiedName": "tableau.ltv_overview",
        "readsFrom": [{"type": "predictionTable", "fullyQualifiedName": "snowflake.prod.ltv_scores"}],
    },
    {
        "type": "mlmodel",
        "name": "attrition",
        "fullyQualifiedName": "mlflow_prod.attrition",
        "algorithm": "Logistic Regression",
        "mlFeatures": [
            {
                "name": "salary_band",
                "featureSources": [
                    {
                        "name": "salary",
                        "dataSource": {
                            "type": "column",
                            "fullyQualifiedName": "postgres_prod.hr.public.salaries.salary",
                        },
                    }
                ],
            },
            {
                "name": "grade",
                "featureSources": [
                    {
                        "name": "grade",
                        "dataSource": {
                            "type": "column",
                            "fullyQualifiedName": "postgres_prod.hr.public.salaries.grade",
                        },
                    }
                ],
            },
        ],
    },
]

LTV = "mlflow_prod.customer_ltv"
PII = "PII.Sensitive"
#: The PII columns upstream of everything the customer_ltv model feeds.
LTV_PII = [(f"{CUSTOMERS}.birth_date", PII), (f"{CUSTOMERS}.email", PII), (f"{SF_CUSTOMERS}.email", PII)]
#: What the customer_ltv model feeds, itself included.
LTV_ASSETS = [
    ("model", LTV),
    ("version", f"{LTV}.v1"),
    ("deployment", "mlflow_prod.customer_ltv_batch"),
    ("prediction_table", "snowflake.prod.ltv_scores"),
    ("dashboard", "tableau.ltv_overview"),
]


@pytest.fixture(scope="module")
def pii_store(catalog_factory: CatalogFactory) -> Store:
    return catalog_factory(PII_EXTENSION)


CARD = "snowflake.prod.transactions.card_number"  # the demo's own PII use: the fraud model (tested above)


def test_sensitive_assets_downstream_of_pii_and_of_sensitive_tags(pii_store: Store) -> None:
    every = rows(pii_store, "sensitive-assets", ["kind", "name", "columnName", "tagName"])
    got = [row for row in every if row[2] != CARD]
    assert got == sorted(
        [
            *[(kind, name, column, tag) for kind, name in LTV_ASSETS for column, tag in LTV_PII],
            ("feature", f"{LTV}.email_domain", f"{CUSTOMERS}.email", PII),
            ("feature", f"{LTV}.email_domain", f"{SF_CUSTOMERS}.email", PII),
            ("feature", f"{LTV}.age", f"{CUSTOMERS}.birth_date", PII),
            ("model", "mlflow_prod.attrition", "postgres_prod.hr.public.salaries.salary", "Internal.Secret"),
            (
                "feature",
                "mlflow_prod.attrition.salary_band",
                "postgres_prod.hr.public.salaries.salary",
                "Internal.Secret",
            ),
        ]
    )
    names = {name for _, name, _, _ in got}
    assert not {CHURN, FRAUD, RECOMMENDATION, FORECASTING} & names
    assert {name for _, name, column, _ in every if column == CARD} >= {FRAUD}
    assert f"{LTV}.tenure" not in names and "mlflow_prod.attrition.grade" not in names


def test_sensitive_assets_of_one_kind(pii_store: Store) -> None:
    got = rows(pii_store, "sensitive-assets", ["kind", "name", "columnName"], kind="model")
    assert ("model", FRAUD, CARD) in got
    got = [row for row in got if row[2] != CARD]
    assert got == [
        ("model", "mlflow_prod.attrition", "postgres_prod.hr.public.salaries.salary"),
        ("model", LTV, f"{CUSTOMERS}.birth_date"),
        ("model", LTV, f"{CUSTOMERS}.email"),
        ("model", LTV, f"{SF_CUSTOMERS}.email"),
    ]
    dashboards = rows(pii_store, "sensitive-assets", ["name"], kind="dashboard")
    assert [d for d in dashboards if d != ("tableau.fraud_alerts",)] == [("tableau.ltv_overview",)] * 3
    assert rows(pii_store, "sensitive-assets", ["name"], kind="pipeline") == []


def test_models_using_sensitive_data(pii_store: Store) -> None:
    got = rows(pii_store, "models-using-sensitive-data", ["kind", "name", "columnName", "tagName"])
    got = [row for row in got if row[2] != CARD]
    assert got == sorted(
        [
            ("model", "mlflow_prod.attrition", "postgres_prod.hr.public.salaries.salary", "Internal.Secret"),
            *[("model", LTV, column, tag) for column, tag in LTV_PII],
            *[("version", f"{LTV}.v1", column, tag) for column, tag in LTV_PII],
        ]
    )


# -- dashboards-affected -------------------------------------------------------------------------------------

CHURN_RISK = ("tableau.churn_risk_overview", "Churn Risk Overview", CHURN_SCORES)
CHURN_PERFORMANCE = ("tableau.churn_model_performance", "Churn Model Performance", CHURN)
FRAUD_ALERTS = ("tableau.fraud_alerts", "Fraud Alert System", FRAUD_SCORES)


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (f"table/{CUSTOMERS}", [CHURN_PERFORMANCE, CHURN_RISK, FRAUD_ALERTS]),
        (f"table/{ORDERS}", [CHURN_PERFORMANCE, CHURN_RISK]),
        (f"table/{TRANSACTIONS}", [FRAUD_ALERTS]),
        (f"table/{CHURN_SCORES}", [CHURN_RISK]),
        (f"column/{CUSTOMERS}.last_purchase_date", [CHURN_PERFORMANCE, CHURN_RISK]),
        (f"column/{CUSTOMERS}.email", []),
        (f"table/{SALES_HISTORY}", []),
    ],
)
def test_dashboards_affected(demo_store: Store, table: str, expected: list[tuple[str, ...]]) -> None:
    got = rows(demo_store, "dashboards-affected", ["name", "displayName", "viaName"], table=iri(table))
    assert got == expected


# -- owners-to-notify ----------------------------------------------------------------------------------------


def test_owners_to_notify_about_the_customers_table(demo_store: Store) -> None:
    got = rows(
        demo_store,
        "owners-to-notify",
        ["ownerName", "ownerKind", "assetKind", "assetName"],
        table=iri(f"table/{CUSTOMERS}"),
    )
    engineering = [("pipeline", "fivetran.customers_replication"), ("table", SF_CUSTOMERS)]
    science = [
        ("pipeline", "airflow.churn_feature_pipeline"),
        ("feature_table", CUSTOMER_FEATURES),
        ("model", CHURN),
        ("deployment", "mlflow_prod.churn_batch_scoring"),
        ("prediction_table", CHURN_SCORES),
        ("dashboard", "tableau.churn_risk_overview"),
        ("dashboard", "tableau.churn_model_performance"),
        ("pipeline", "airflow.fraud_feature_pipeline"),
        ("feature_table", FRAUD_FEATURES),
        ("model", FRAUD),
        ("deployment", "sagemaker_prod.fraud-detection-endpoint"),
        ("prediction_table", FRAUD_SCORES),
        ("dashboard", "tableau.fraud_alerts"),
    ]
    assert got == sorted(
        [("Data Engineering Team", "team", *asset) for asset in engineering]
        + [("Data Science Team", "team", *asset) for asset in science]
    )


def test_owners_to_notify_names_users_too(demo_store: Store) -> None:
    got = rows(
        demo_store,
        "owners-to-notify",
        ["owner", "ownerKind", "ownerName", "assetName"],
        table=iri(f"table/{INTERACTIONS}"),
    )
    # The recommendation endpoint names no owner.
    assert got == [("user/jane_smith", "user", "Jane Smith", RECOMMENDATION)]


# -- lineage-path-edges --------------------------------------------------------------------------------------

#: The direct edges on the paths from the customers table down to the Churn Risk Overview, as
#: (upstream end, downstream end, property as stated, graph): through the churn feature pipeline to the
#: feature table and the v3 snapshot, to the features (and from last_purchase_date to recency by the chain
#: derivedFrom; its feature source is a descriptor, not a lineage node, so its two stated edges are not
#: listed), to the model, v3 and its run, the batch scoring, the scores and the dashboard.
CUSTOMERS_TO_CHURN_RISK = [
    (
        f"table/{CUSTOMERS}",
        "pipeline/airflow.churn_feature_pipeline",
        "readsFrom",
        "pipeline/airflow.churn_feature_pipeline",
    ),
    (f"table/{CUSTOMERS}", f"column/{CUSTOMERS}.last_purchase_date", "hasColumn", f"table/{CUSTOMERS}"),
    (f"table/{CUSTOMERS}", f"table/{CUSTOMER_FEATURES}", "tableDerivedFrom", "inferred"),
    (
        "pipeline/airflow.churn_feature_pipeline",
        f"table/{CUSTOMER_FEATURES}",
        "writesTo",
        "pipeline/airflow.churn_feature_pipeline",
    ),
    (
        "pipeline/airflow.churn_feature_pipeline",
        "table/snowflake.prod.customers_2024_06",
        "writesTo",
        "pipeline/airflow.churn_feature_pipeline",
    ),
    (f"column/{CUSTOMERS}.last_purchase_date", f"feature/{CHURN}.recency", "derivedFrom", "inferred"),
    (f"table/{CUSTOMER_FEATURES}", f"feature/{CHURN}.recency", "featureOf", f"model/{CHURN}"),
    (f"table/{CUSTOMER_FEATURES}", f"feature/{CHURN}.frequency", "featureOf", f"model/{CHURN}"),
    (f"table/{CUSTOMER_FEATURES}", f"feature/{CHURN}.monetary", "featureOf", f"model/{CHURN}"),
    (f"table/{CUSTOMER_FEATURES}", f"model/{CHURN}", "trainedOn", f"model/{CHURN}"),
    (f"feature/{CHURN}.recency", f"model/{CHURN}", "usesFeature", f"model/{CHURN}"),
    (f"feature/{CHURN}.frequency", f"model/{CHURN}", "usesFeature", f"model/{CHURN}"),
    (f"feature/{CHURN}.monetary", f"model/{CHURN}", "usesFeature", f"model/{CHURN}"),
    ("table/snowflake.prod.customers_2024_06", f"version/{CHURN}.v3", "trainedOn", f"version/{CHURN}.v3"),
    (
        "table/snowflake.prod.customers_2024_06",
        f"run/{RUNS}.xgb_2024_06",
        "usedDataset",
        f"run/{RUNS}.xgb_2024_06",
    ),
    (f"run/{RUNS}.xgb_2024_06", f"version/{CHURN}.v3", "producedVersion", f"run/{RUNS}.xgb_2024_06"),
    (f"model/{CHURN}", f"version/{CHURN}.v3", "versionOf", f"version/{CHURN}.v3"),
    (
        f"model/{CHURN}",
        "deployment/mlflow_prod.churn_batch_scoring",
        "servesModel",
        "deployment/mlflow_prod.churn_batch_scoring",
    ),
    (
        f"version/{CHURN}.v3",
        "deployment/mlflow_prod.churn_batch_scoring",
        "servesVersion",
        "deployment/mlflow_prod.churn_batch_scoring",
    ),
    (
        "deployment/mlflow_prod.churn_batch_scoring",
        f"table/{CHURN_SCORES}",
        "writesPredictions",
        "deployment/mlflow_prod.churn_batch_scoring",
    ),
    (
        f"table/{CHURN_SCORES}",
        "dashboard/tableau.churn_risk_overview",
        "readsFrom",
        "dashboard/tableau.churn_risk_overview",
    ),
]

EDGE_COLUMNS = ["up", "down", "property", "g"]


def test_lineage_path_edges_names_the_inferred_graph_of_the_vocabulary() -> None:
    # The query tells chain conclusions from the reasoner's inverse copies by the inferred graph's IRI.
    assert f"<{INFERRED_GRAPH}>" in CATALOG.get(name="lineage-path-edges").text


def test_lineage_path_edges_from_customers_to_the_churn_risk_dashboard(demo_store: Store) -> None:
    got = rows(
        demo_store,
        "lineage-path-edges",
        EDGE_COLUMNS,
        **{"from": iri(f"table/{CUSTOMERS}"), "to": iri("dashboard/tableau.churn_risk_overview")},
    )
    assert sorted(got) == sorted(CUSTOMERS_TO_CHURN_RISK)


def test_lineage_path_edges_keep_the_stated_direction(demo_store: Store) -> None:
    result = run(
        demo_store,
        "lineage-path-edges",
        **{"from": iri(f"table/{CUSTOMERS}"), "to": iri(f"table/{CUSTOMER_FEATURES}")},
    )
    stated = {
        (readable(r["subject"]), readable(r["property"]), readable(r["object"]), readable(r["g"]))
        for r in result.dicts()
    }
    assert stated == {
        (
            "pipeline/airflow.churn_feature_pipeline",
            "readsFrom",
            f"table/{CUSTOMERS}",
            "pipeline/airflow.churn_feature_pipeline",
        ),
        (
            "pipeline/airflow.churn_feature_pipeline",
            "writesTo",
            f"table/{CUSTOMER_FEATURES}",
            "pipeline/airflow.churn_feature_pipeline",
        ),
        (f"table/{CUSTOMER_FEATURES}", "tableDerivedFrom", f"table/{CUSTOMERS}", "inferred"),
    }


def test_lineage_path_edges_are_empty_against_the_flow(demo_store: Store) -> None:
    arguments = {"from": iri("dashboard/tableau.churn_risk_overview"), "to": iri(f"table/{CUSTOMERS}")}
    assert rows(demo_store, "lineage-path-edges", EDGE_COLUMNS, **arguments) == []
    arguments = {"from": iri(f"table/{SALES_HISTORY}"), "to": iri(f"table/{CHURN_SCORES}")}
    assert rows(demo_store, "lineage-path-edges", EDGE_COLUMNS, **arguments) == []


def test_lineage_path_edges_include_a_table_chain_no_stated_path_explains(pii_store: Store) -> None:
    # customer_emails is derived from customers by column lineage only: hasColumn / derivedFromColumn /
    # columnOf, whose first step runs against the flow. Only the chain's conclusion links the two tables.
    arguments = {"from": iri(f"table/{CUSTOMERS}"), "to": iri("table/snowflake.prod.customer_emails")}
    assert rows(pii_store, "lineage-path-edges", EDGE_COLUMNS, **arguments) == [
        (f"table/{CUSTOMERS}", "table/snowflake.prod.customer_emails", "tableDerivedFrom", "inferred")
    ]


def _edges_on_paths(store: Store, start: str, end: str) -> set[tuple[str | None, ...]]:
    """The edges on some path from ``start`` down to ``end``, by search over the stated edges (and the
    conclusions of property chains), independently of the inferred mlkg:upstream closure."""
    ontology = load_ontology()
    up = set(ontology.transitive_subjects(RDFS.subPropertyOf, MLKG.upstream)) - {MLKG.upstream}
    down = {
        i for p in up for i in (*ontology.objects(p, OWL.inverseOf), *ontology.subjects(OWL.inverseOf, p))
    }
    chains = set(ontology.subjects(OWL.propertyChainAxiom, None))
    edges: list[tuple[Term, Term, URIRef, URIRef | None]] = []
    for s, p, o, g in store.quads():
        if g == ONTOLOGY_GRAPH or (g == INFERRED_GRAPH and p not in chains):
            continue
        if p in up:
            edges.append((o, s, p, g))
        elif p in down:
            edges.append((s, o, p, g))

    def reach(origin: str, forward: bool) -> set[Term]:
        seen: set[Term] = {URIRef(origin)}
        queue = deque(seen)
        while queue:
            node = queue.popleft()
            for a, b, _, _ in edges:
                nxt = b if forward and a == node else a if not forward and b == node else None
                if nxt is not None and nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        return seen

    after, before = reach(start, forward=True), reach(end, forward=False)
    return {tuple(readable(t) for t in e) for e in edges if e[0] in after and e[1] in before}


PAIRS = [
    (f"table/{CUSTOMERS}", "dashboard/tableau.churn_risk_overview"),
    (f"table/{CUSTOMERS}", "dashboard/tableau.fraud_alerts"),
    (f"table/{ORDERS}", f"version/{CHURN}.v2"),
    (f"column/{CUSTOMERS}.country", f"model/{FRAUD}"),
    (f"table/{TRANSACTIONS}", f"table/{FRAUD_SCORES}"),
    (f"table/{SALES_HISTORY}", f"table/{FUTURE_DEMAND}"),
    (f"table/{INTERACTIONS}", "deployment/sagemaker_prod.product-recommendation-endpoint"),
    (f"table/{CHURN_SCORES}", f"table/{CUSTOMERS}"),
]


@pytest.mark.parametrize(("start", "end"), PAIRS)
def test_lineage_path_edges_are_exactly_the_edges_on_some_path(
    demo_store: Store, start: str, end: str
) -> None:
    got = rows(demo_store, "lineage-path-edges", EDGE_COLUMNS, **{"from": iri(start), "to": iri(end)})
    assert len(set(got)) == len(got)
    assert set(got) == _edges_on_paths(demo_store, iri(start), iri(end))
