"""DataHub metadata change proposals to mlkg entities (mlkg.ingest.datahub): naming, the aspects of one entity
folded and merged into it, and what a catalog holds and answers after DataHub's own file sink output
(tests/fixtures/datahub/ml-estate.json, written by DataHub's SDK: see generate.py there)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import mlkg
from mlkg.errors import InputError
from mlkg.ingest.datahub import PlatformMap, ProposalItem, is_datahub_proposal, parse_urn, read_proposals
from mlkg.ingest.datahub.proposals import aspect_name

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "datahub"
ESTATE = FIXTURES / "ml-estate.json"
ID = "http://localhost:8000/id/"
MLKG = "https://w3id.org/mlkg#"
ORDERS = "urn:li:dataset:(urn:li:dataPlatform:snowflake,shop.public.orders,PROD)"
MODEL = "urn:li:mlModel:(urn:li:dataPlatform:mlflow,churn_v3,PROD)"
RUN = "urn:li:dataProcessInstance:churn-train-2024-05-01"
PLATFORMS = {"snowflake": "snowflake_prod", "postgres": "postgres_prod"}


def estate() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = json.loads(ESTATE.read_text(encoding="utf-8"))
    return items


def mcp(urn: str, aspect: str, value: dict[str, Any], *, change: str = "UPSERT") -> dict[str, Any]:
    """An MCP as DataHub's file sink writes it (MetadataChangeProposalWrapper.to_obj())."""
    return {
        "entityType": parse_urn(urn).entity_type,
        "entityUrn": urn,
        "changeType": change,
        "aspectName": aspect,
        "aspect": {"json": value},
    }


@pytest.fixture
def catalog() -> Iterator[mlkg.Catalog]:
    with mlkg.open(store="memory:", datahub_platforms=PLATFORMS) as opened:
        yield opened


def send(catalog: mlkg.Catalog, *proposals: Any, source: str = "mcps.json") -> list[dict[str, Any]]:
    items = [ProposalItem(source=source, pointer=f"/{i}", value=p) for i, p in enumerate(proposals)]
    return [o.to_dict() for checked in catalog.load_datahub(items) for o in checked.proposals]


def values(catalog: mlkg.Catalog, iri: str) -> dict[str, set[str]]:
    rows = catalog.query(f"SELECT ?p ?o WHERE {{ GRAPH ?g {{ <{iri}> ?p ?o }} }}").rows
    out: dict[str, set[str]] = {}
    for p, o in rows:
        out.setdefault(str(p).rsplit("#", 1)[-1], set()).add(str(o))
    return out


def kinds(catalog: mlkg.Catalog, fqn: str, direction: str = "downstream") -> dict[str, set[str]]:
    report = catalog.impact(fqn, direction=direction)
    return {kind: {str(a.iri) for a in assets} for kind, assets in report.by_kind().items()}


# --- naming ------------------------------------------------------------------------------------------------


def test_a_mapped_platform_names_the_service_as_openmetadata_does() -> None:
    names = PlatformMap(services={"postgres": "postgres_prod", "postgres,DEV": "pg_dev"})
    dataset = "urn:li:dataset:(urn:li:dataPlatform:postgres,ecommerce.public.orders,{})"
    assert names.fqn(parse_urn(dataset.format("PROD"))) == "postgres_prod.ecommerce.public.orders"
    assert names.fqn(parse_urn(dataset.format("DEV"))) == "pg_dev.ecommerce.public.orders"
    # an unmapped platform is its name in PROD, and {platform}_{env} elsewhere: PROD and DEV never collide
    snowflake = "urn:li:dataset:(urn:li:dataPlatform:snowflake,db.t,{})"
    assert names.fqn(parse_urn(snowflake.format("PROD"))) == "snowflake.db.t"
    assert names.fqn(parse_urn(snowflake.format("DEV"))) == "snowflake_dev.db.t"


def test_models_features_runs_and_fields_are_named_by_their_keys() -> None:
    names = PlatformMap()
    assert names.fqn(parse_urn(MODEL)) == "mlflow.churn_v3"
    # a model's name is one segment, whatever it holds
    assert names.fqn(parse_urn("urn:li:mlModel:(urn:li:dataPlatform:sagemaker,churn.v3,PROD)")) == (
        'sagemaker."churn.v3"'
    )
    assert names.fqn(parse_urn("urn:li:mlFeature:(customer_features,spend_30d)")) == (
        "customer_features.spend_30d"
    )
    assert names.fqn(parse_urn(RUN)) == "datahub.churn-train-2024-05-01"
    field = f"urn:li:schemaField:({ORDERS},[version=2.0].[type=struct].address.[type=string].city)"
    assert names.fqn(parse_urn(field)) == 'snowflake.shop.public.orders."address.city"'


@pytest.mark.parametrize(
    "text",
    ["urn:li:dataset", "urn:x:dataset:a", "urn:li:dataset:(a,b", "urn:li:dataset:(a,,c)", 3],
)
def test_what_is_not_a_urn_is_refused(text: Any) -> None:
    with pytest.raises(InputError):
        parse_urn(text)


def test_a_service_name_must_be_one_segment() -> None:
    with pytest.raises(InputError, match="one non-empty segment"):
        PlatformMap(services={"snowflake": "snow.flake"})


def test_proposals_are_told_from_entity_documents_and_events() -> None:
    assert all(is_datahub_proposal(item) for item in estate())
    assert not is_datahub_proposal({"type": "table", "name": "orders"})
    assert not is_datahub_proposal({"eventTime": "2024-01-01T00:00:00Z", "run": {}, "job": {}})
    assert aspect_name("com.linkedin.pegasus2avro.ml.metadata.MLModelDeploymentProperties") == (
        "mlModelDeploymentProperties"
    )
    assert aspect_name("com.linkedin.dataset.UpstreamLineage") == "upstreamLineage"


# --- DataHub's own output ----------------------------------------------------------------------------------


@pytest.fixture
def loaded(catalog: mlkg.Catalog) -> tuple[mlkg.Catalog, list[dict[str, Any]]]:
    with ESTATE.open("rb") as stream:
        items = list(read_proposals(name="ml-estate.json", stream=stream, lines=False, max_bytes=1 << 20))
    outcomes = [o.to_dict() for checked in catalog.load_datahub(items) for o in checked.proposals]
    return catalog, outcomes


def test_every_proposal_of_the_file_sink_is_taken_and_what_is_not_used_is_reported(
    loaded: tuple[mlkg.Catalog, list[dict[str, Any]]],
) -> None:
    _, outcomes = loaded
    assert [o["status"] for o in outcomes] == ["accepted"] * len(estate())
    written = {e for o in outcomes for e in o["entities"]}
    assert written == {
        f"{ID}table/snowflake_prod.shop.public.orders",
        f"{ID}table/snowflake_prod.shop.public.customer_spend",
        f"{ID}feature/customer_features.spend_30d",
        f"{ID}feature/customer_features.orders_30d",
        f"{ID}table/feast.customer_features",
        f"{ID}run/datahub.churn-train-2024-05-01",
        f"{ID}model/mlflow.churn",
        f"{ID}model/mlflow.churn_v3",
        f"{ID}model/mlflow.churn_2",
        f"{ID}deployment/sagemaker.churn-endpoint",
    }
    tags = outcomes[13]
    assert tags["aspects"] == ["globalTags"] and tags["entities"] == []
    assert tags["ignored"] == [
        {"where": "ml-estate.json#/13/aspect/json", "message": "aspect 'globalTags' of mlModel is not used"}
    ]
    # the MCE (proposedSnapshot) is read as well as the MCPs
    assert outcomes[14]["entities"] == [f"{ID}deployment/sagemaker.churn-endpoint"]


def test_column_lineage_reaches_the_downstream_column_and_what_is_built_on_the_table(
    loaded: tuple[mlkg.Catalog, list[dict[str, Any]]],
) -> None:
    catalog, _ = loaded
    assert kinds(catalog, "snowflake_prod.shop.public.orders.amount") == {
        "column": {f"{ID}column/snowflake_prod.shop.public.customer_spend.spend_30d"}
    }
    downstream = kinds(catalog, "snowflake_prod.shop.public.orders")
    assert f"{ID}table/snowflake_prod.shop.public.customer_spend" in downstream["table"]
    assert {"column", "feature", "run", "model", "deployment"} <= set(downstream)
    upstream = kinds(catalog, "snowflake_prod.shop.public.customer_spend.customer_id", "upstream")
    assert f"{ID}column/snowflake_prod.shop.public.orders.customer_id" in upstream["column"]
    # the inferred graph is exactly what the asserted lineage gives
    stats = catalog.reason()
    assert (stats.inferred_added, stats.inferred_removed) == (0, 0)


def test_a_model_is_linked_to_its_group_training_run_features_and_deployment(
    loaded: tuple[mlkg.Catalog, list[dict[str, Any]]],
) -> None:
    catalog, _ = loaded
    model = values(catalog, f"{ID}model/mlflow.churn_v3")
    assert model["algorithm"] == {"XGBoost"} and model["version"] == {"3"}
    assert model["versionOf"] == {f"{ID}model/mlflow.churn"}
    assert model["producedByRun"] == {f"{ID}run/datahub.churn-train-2024-05-01"}
    assert model["usesFeature"] == {
        f"{ID}feature/customer_features.spend_30d",
        f"{ID}feature/customer_features.orders_30d",
    }
    assert values(catalog, f"{ID}deployment/sagemaker.churn-endpoint")["servesModel"] == {
        f"{ID}model/mlflow.churn_v3"
    }
    run = values(catalog, f"{ID}run/datahub.churn-train-2024-05-01")
    assert run["status"] == {"FINISHED"}
    assert run["startTime"] == {"2024-05-01T10:00:00Z"} and run["endTime"] == {"2024-05-01T11:00:00Z"}
    assert run["usedDataset"] == {f"{ID}table/snowflake_prod.shop.public.customer_spend"}
    feature = values(catalog, f"{ID}feature/customer_features.spend_30d")
    assert feature["featureOf"] == {f"{ID}table/feast.customer_features"}
    assert feature["derivedFrom"] == {f"{ID}table/snowflake_prod.shop.public.customer_spend"}
    upstream = kinds(catalog, "mlflow.churn_v3", "upstream")
    assert {"model", "run", "feature", "feature_table", "table"} <= set(upstream)


def test_a_model_version_as_datahubs_mlflow_source_writes_it_is_a_version_of_its_group(
    loaded: tuple[mlkg.Catalog, list[dict[str, Any]]],
) -> None:
    catalog, outcomes = loaded
    # no mlModelProperties.type: a model in a group needs no algorithm, as an MLflow model version has none
    assert [o["status"] for o in outcomes[15:]] == ["accepted", "accepted"]
    assert outcomes[15]["ignored"] == [
        {
            "where": "ml-estate.json#/15/aspect/json/tags",
            "message": "'tags' of aspect 'mlModelProperties' is not used",
        },
    ]
    version = values(catalog, f"{ID}model/mlflow.churn_2")
    assert "algorithm" not in version
    # MLflow's tags, as DataHub's customProperties, are custom properties (name and value)
    [custom] = version["customProperty"]
    assert values(catalog, custom)["value"] == {"Archived"} and values(catalog, custom)["name"] == {"stage"}
    assert version["versionOf"] == {f"{ID}model/mlflow.churn"}
    assert version["version"] == {"2"} and version["alias"] == {"baseline"}
    assert version["createdAt"] == {"2024-04-01T08:00:00Z"}
    assert version["updatedAt"] == {"2024-04-01T09:00:00Z"}
    assert values(catalog, f"{ID}model/mlflow.churn")["hasVersion"] == {
        f"{ID}model/mlflow.churn_v3",
        f"{ID}model/mlflow.churn_2",
    }


def test_the_same_file_again_changes_nothing(loaded: tuple[mlkg.Catalog, list[dict[str, Any]]]) -> None:
    catalog, _ = loaded
    before = catalog.export(format="nq")
    outcomes = send(catalog, *estate())
    assert all(o["status"] == "accepted" for o in outcomes)
    assert catalog.export(format="nq") == before


# --- merge semantics ---------------------------------------------------------------------------------------


def test_an_aspect_adds_to_its_entity_and_leaves_its_other_aspects(
    loaded: tuple[mlkg.Catalog, list[dict[str, Any]]],
) -> None:
    catalog, _ = loaded
    [outcome] = send(catalog, mcp(MODEL, "mlModelProperties", {"description": "Retrained on May data"}))
    assert outcome["status"] == "accepted", outcome
    model = values(catalog, f"{ID}model/mlflow.churn_v3")
    assert model["description"] == {"Retrained on May data"}  # a value given replaces the stored one
    assert model["algorithm"] == {"XGBoost"} and len(model["usesFeature"]) == 2  # the rest stays
    # a schemaMetadata adds columns to a table and keeps its description
    [outcome] = send(
        catalog,
        mcp(ORDERS, "schemaMetadata", {"fields": [{"fieldPath": "currency", "nativeDataType": "CHAR(3)"}]}),
    )
    assert outcome["status"] == "accepted", outcome
    orders = values(catalog, f"{ID}table/snowflake_prod.shop.public.orders")
    assert orders["description"] == {"One row per order"}
    assert f"{ID}column/snowflake_prod.shop.public.orders.currency" in orders["hasColumn"]
    assert f"{ID}column/snowflake_prod.shop.public.orders.amount" in orders["hasColumn"]


def test_a_datahub_dataset_and_the_openmetadata_table_are_one_entity(catalog: mlkg.Catalog) -> None:
    catalog.load_demo()  # OpenMetadata documents: postgres_prod.ecommerce.public.orders with owners and tags
    demo_orders = f"{ID}table/postgres_prod.ecommerce.public.orders"
    warehouse = "urn:li:dataset:(urn:li:dataPlatform:snowflake,prod.order_stats,PROD)"
    source = "urn:li:dataset:(urn:li:dataPlatform:postgres,ecommerce.public.orders,PROD)"
    lineage = {
        "upstreams": [{"dataset": source, "type": "TRANSFORMED"}],
        "fineGrainedLineages": [
            {
                "upstreamType": "FIELD_SET",
                "upstreams": [f"urn:li:schemaField:({source},total_amount)"],
                "downstreamType": "FIELD",
                "downstreams": [f"urn:li:schemaField:({warehouse},revenue)"],
            }
        ],
    }
    properties = {"description": "Orders as DataHub describes them", "customProperties": {}}
    outcomes = send(
        catalog, mcp(warehouse, "upstreamLineage", lineage), mcp(source, "datasetProperties", properties)
    )
    assert [o["status"] for o in outcomes] == ["accepted", "accepted"], outcomes
    orders = values(catalog, demo_orders)
    assert orders["description"] == {"Orders as DataHub describes them"}
    assert orders["owner"]  # the OpenMetadata document's owners stay
    affected = kinds(catalog, "postgres_prod.ecommerce.public.orders.total_amount")
    assert f"{ID}column/snowflake_prod.prod.order_stats.revenue" in affected["column"]
    assert (
        f"{ID}table/snowflake_prod.prod.order_stats"
        in kinds(catalog, "postgres_prod.ecommerce.public.orders")["table"]
    )
    assert catalog.reason().inferred_added == 0


def test_delete_and_patch_are_reported_as_ignored_and_change_nothing(
    loaded: tuple[mlkg.Catalog, list[dict[str, Any]]],
) -> None:
    catalog, _ = loaded
    before = catalog.export(format="nq")
    delete = {"entityType": "mlModel", "entityUrn": MODEL, "changeType": "DELETE", "aspectName": "mlModelKey"}
    patch = mcp(MODEL, "mlModelProperties", {"description": "x"}, change="PATCH")
    outcomes = send(catalog, delete, patch)
    assert [o["status"] for o in outcomes] == ["accepted", "accepted"]
    assert outcomes[0]["ignored"][0]["message"].startswith("DELETE is not applied")
    assert outcomes[1]["ignored"][0]["message"] == "PATCH changes are not applied"
    assert catalog.export(format="nq") == before


def test_other_entity_types_are_reported_as_ignored(catalog: mlkg.Catalog) -> None:
    job = "urn:li:dataJob:(urn:li:dataFlow:(airflow,dag,PROD),task)"
    [outcome] = send(catalog, mcp(job, "dataJobInfo", {"name": "task"}))
    assert outcome["status"] == "accepted" and outcome["entities"] == []
    assert outcome["ignored"] == [
        {"where": "mcps.json#/0", "message": "DataHub 'dataJob' entities are not taken"}
    ]


# --- bad input ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        (lambda m: m.pop("entityUrn"), "/0/entityUrn"),
        (lambda m: m.update(changeType="MERGE"), "/0/changeType"),
        (lambda m: m.update(aspect={"json": []}), "/0/aspect/json"),
        (
            lambda m: m["aspect"]["json"]["upstreams"][0].update(dataset="orders"),
            "/0/aspect/json/upstreams/0/dataset",
        ),
        (
            lambda m: m["aspect"]["json"]["fineGrainedLineages"][0]["downstreams"].append(
                "urn:li:corpuser:x"
            ),
            "/0/aspect/json/fineGrainedLineages/0/downstreams/1",
        ),
        (
            lambda m: m.update(entityUrn="urn:li:dataset:(urn:li:dataPlatform:snowflake,a..b,PROD)"),
            "/0/entityUrn",
        ),
    ],
)
def test_a_malformed_proposal_is_refused_with_its_pointer_and_nothing_of_it_is_written(
    catalog: mlkg.Catalog, change: Any, pointer: str
) -> None:
    bad = copy.deepcopy(estate()[3])  # customer_spend's upstreamLineage
    change(bad)
    good = estate()[0]
    outcomes = send(catalog, bad, good)
    assert outcomes[0]["status"] == "rejected"
    assert outcomes[0]["errors"][0]["pointer"] == pointer, outcomes[0]
    assert outcomes[1]["status"] == "accepted"
    assert not catalog.query(
        f"ASK {{ GRAPH ?g {{ <{ID}table/snowflake_prod.shop.public.customer_spend> ?p ?o }} }}"
    ).value


def test_a_proposal_the_shapes_refuse_writes_nothing_of_the_entity(catalog: mlkg.Catalog) -> None:
    # OpenMetadata's rule, which mlkg keeps: an ML model needs an algorithm (DataHub's mlModelProperties.type)
    untyped = mcp(MODEL, "mlModelProperties", {"description": "no type", "deployments": [
        "urn:li:mlModelDeployment:(urn:li:dataPlatform:sagemaker,churn-endpoint,PROD)"]})  # fmt: skip
    [outcome] = send(catalog, untyped)
    assert outcome["status"] == "rejected"
    assert "algorithm" in outcome["errors"][0]["message"]
    assert not catalog.query("ASK { GRAPH ?g { ?s ?p ?o } }").value


def test_a_link_to_a_model_nobody_described_is_reported_not_written(catalog: mlkg.Catalog) -> None:
    outputs = {"outputs": ["urn:li:mlModel:(urn:li:dataPlatform:mlflow,unknown,PROD)"]}
    [outcome] = send(catalog, mcp(RUN, "dataProcessInstanceOutput", outputs))
    assert outcome["status"] == "accepted"
    assert outcome["entities"] == [f"{ID}run/datahub.churn-train-2024-05-01"]
    assert outcome["ignored"][0]["where"] == "mcps.json#/0/aspect/json/outputs/0"
    assert not catalog.query(f"ASK {{ GRAPH ?g {{ <{ID}model/mlflow.unknown> ?p ?o }} }}").value


def test_a_later_value_of_a_hyperparameter_wins_in_one_load_and_across_loads(catalog: mlkg.Catalog) -> None:
    def properties(depth: str) -> dict[str, Any]:
        return mcp(
            MODEL,
            "mlModelProperties",
            {"type": "XGBoost", "hyperParams": [{"name": "max_depth", "value": depth}]},
        )

    assert [o["status"] for o in send(catalog, properties("6"), properties("7"))] == ["accepted"] * 2
    parameter = f"{ID}hyperparameter/mlflow.churn_v3.max_depth"
    assert values(catalog, parameter)["value"] == {"7"}
    send(catalog, properties("8"))
    assert values(catalog, parameter)["value"] == {"8"}
