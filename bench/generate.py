"""Seeded generator of synthetic ML catalogs for mlkg's benchmarks (bench/README.md, "Synthetic catalogs").

The catalog is built as plain OpenMetadata-shaped JSON documents, the kind ``mlkg load`` accepts, and each one
is turned into the triples mlkg's JSON ingest stores for it: the same classes and properties, the same IRIs
(:class:`mlkg.ids.IriMinter`), nested owned nodes (a model's features, feature sources, hyperparameters,
metrics and store; a table's columns; tag labels) in their parent's document, and the ``rdf:type`` and
``mlkg:fullyQualifiedName`` triples that ingest keeps for references. ``tests/bench/test_generate.py`` checks
a sample against the real ingest (isomorphic graphs) and the SHACL shapes.

Everything is drawn from one ``random.Random(seed)`` in a fixed order, so a seed always gives one catalog.
Documents are streamed: only small per-table metadata (FQN, layer, column names) is kept while generating.

Usage::

    python bench/generate.py --triples 100000 --seed 1 --out bench/out/catalog-100k.nq
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple, TextIO

from rdflib import RDF, XSD, Literal, URIRef

from mlkg.config import DEFAULT_BASE_IRI
from mlkg.ids import EntityType, IriMinter
from mlkg.store.base import Object, Triple
from mlkg.vocab import MLKG

__all__ = [
    "SHAPE",
    "CatalogDocument",
    "Shape",
    "generate_catalog",
    "generate_documents",
    "main",
    "write_nquads",
]

Json = dict[str, Any]


@dataclass(frozen=True)
class Shape:
    """The shape parameters of a synthetic catalog; counts are per model unless said otherwise."""

    raw_tables_per_model: float = 2.0
    pipelines_per_model: float = 1.5
    standalone_feature_tables_per_model: float = 0.25
    bi_dashboards_per_model: float = 0.3
    max_depth: int = 8  #: pipeline layers above the raw tables
    raw_columns: tuple[int, int] = (7, 13)
    derived_columns: tuple[int, int] = (5, 11)
    pipeline_inputs: tuple[int, int] = (1, 3)
    pipeline_outputs: tuple[int, int] = (1, 2)
    feature_table_share: float = 0.35  #: of the tables written at layer 2 and above
    lineage_share: float = 0.85  #: of derived columns, the share with derivedFromColumn lineage
    pii_table_share: float = 0.3  #: of raw tables, the share with one PII.Sensitive column
    features: tuple[int, int] = (5, 30)
    #: Where a feature source's column comes from: the model's feature table, another derived table, raw.
    source_mix: tuple[float, float, float] = (0.7, 0.2, 0.1)
    versions: tuple[int, int] = (1, 4)
    failed_run_share: float = 0.15
    deployed_share: float = 0.75
    #: The structure (everything but unused raw tables) aims at this share of the target; unused raw tables
    #: fill the rest, so the total lands within a few dozen triples of the target.
    structure_share: float = 0.92


SHAPE = Shape()
#: Triples per model of the structure, all kinds of document included (measured; see _structure_models).
_TRIPLES_PER_MODEL = 750
_FIXED_TRIPLES = 150
_MIN_TRIPLES = 2000


class CatalogDocument(NamedTuple):
    """One generated entity document: its IRI (the graph name), its triples, the JSON it was built from, and
    the ``(node, class)`` pairs of the nodes it describes (the entity and its owned nodes, not references)."""

    entity: URIRef
    triples: list[Triple]
    json: Json
    nodes: list[tuple[URIRef, URIRef]]


def generate_catalog(
    *, target_triples: int, seed: int, base: str = DEFAULT_BASE_IRI, shape: Shape = SHAPE
) -> Iterator[tuple[URIRef, list[Triple]]]:
    """Yield ``(entity IRI, triples)`` for each document of a synthetic catalog of about ``target_triples``
    triples, the same for the same ``seed``: the graph name and the triples mlkg's JSON ingest would store.

    The total lands within half a raw table (a few dozen triples) of the target, and always within 2%, for
    the default ``shape`` (the per-model size used to plan the catalog is measured for it).

    :raises ValueError: if ``target_triples`` is below 2000 (too small for every kind of entity).
    """
    documents = generate_documents(target_triples=target_triples, seed=seed, base=base, shape=shape)
    return ((document.entity, document.triples) for document in documents)


def generate_documents(
    *, target_triples: int, seed: int, base: str = DEFAULT_BASE_IRI, shape: Shape = SHAPE
) -> Iterator[CatalogDocument]:
    """Like :func:`generate_catalog`, with each document's JSON and the nodes it describes.

    :raises ValueError: if ``target_triples`` is below 2000.
    """
    if target_triples < _MIN_TRIPLES:
        raise ValueError(f"target_triples must be at least {_MIN_TRIPLES}, not {target_triples}")
    return _documents(target_triples, random.Random(seed), IriMinter.from_ontology(base=base), shape)


def _documents(target: int, rng: random.Random, minter: IriMinter, shape: Shape) -> Iterator[CatalogDocument]:
    converter = _Converter(minter)
    budget = round(target * shape.structure_share)
    catalog = _Catalog(rng, shape, models=_structure_models(budget), budget=budget)
    total = 0
    for doc in catalog.structure():
        document = converter.document(doc)
        total += len(document.triples)
        catalog.emitted = total
        yield document
    while True:  # fill up with unused raw tables, stopping as close to the target as one table allows
        document = converter.document(catalog.raw_table(unused=True))
        if total + len(document.triples) / 2 > target:
            return
        total += len(document.triples)
        yield document


def _structure_models(budget: int) -> int:
    return max(2, round((budget - _FIXED_TRIPLES) / _TRIPLES_PER_MODEL))


# Documents to triples --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Owned:
    predicate: URIRef
    type_name: str
    fqn: str  # child: parent FQN + name; parent: the parent's FQN; tag: the tagFQN


_LITERALS: Mapping[str, URIRef] = {
    "name": MLKG.name,
    "fullyQualifiedName": MLKG.fullyQualifiedName,
    "displayName": MLKG.displayName,
    "description": MLKG.description,
    "id": MLKG.externalId,
    "algorithm": MLKG.algorithm,
    "target": MLKG.target,
    "dataType": MLKG.dataType,
    "featureAlgorithm": MLKG.featureAlgorithm,
    "value": MLKG.value,
    "serviceType": MLKG.serviceType,
    "version": MLKG.version,
    "aliases": MLKG.alias,
    "stage": MLKG.stage,
    "environment": MLKG.environment,
    "status": MLKG.status,
    "email": MLKG.email,
    "tagFQN": MLKG.tagFQN,
}
_TYPED: Mapping[str, tuple[URIRef, URIRef]] = {
    "sensitive": (MLKG.sensitive, XSD.boolean),
    "createdAt": (MLKG.createdAt, XSD.dateTime),
    "startTime": (MLKG.startTime, XSD.dateTime),
    "endTime": (MLKG.endTime, XSD.dateTime),
    "storage": (MLKG.storageUri, XSD.anyURI),
    "sourceUrl": (MLKG.sourceUrl, XSD.anyURI),
}
_REFERENCES: Mapping[str, URIRef] = {
    "owners": MLKG.owner,
    "teams": MLKG.memberOf,
    "domains": MLKG.domain,
    "service": MLKG.service,
    "classification": MLKG.classification,
    "readsFrom": MLKG.readsFrom,
    "writesTo": MLKG.writesTo,
    "derivedFromColumns": MLKG.derivedFromColumn,
    "dataSource": MLKG.dataSource,
    "featureOf": MLKG.featureOf,
    "trainedOn": MLKG.trainedOn,
    "versionOf": MLKG.versionOf,
    "experiment": MLKG.experiment,
    "inputs": MLKG.usedDataset,
    "outputs": MLKG.producedVersion,
    "servesVersion": MLKG.servesVersion,
    "servesModel": MLKG.servesModel,
    "predictionTable": MLKG.writesPredictions,
    "monitors": MLKG.monitors,
}
_OWNED: Mapping[str, _Owned] = {
    "columns": _Owned(MLKG.hasColumn, "column", "child"),
    "mlFeatures": _Owned(MLKG.usesFeature, "mlFeature", "child"),
    "featureSources": _Owned(MLKG.hasFeatureSource, "featureSource", "child"),
    "mlHyperParameters": _Owned(MLKG.hyperParameter, "hyperParameter", "child"),
    "parameters": _Owned(MLKG.hyperParameter, "hyperParameter", "child"),
    "metrics": _Owned(MLKG.metric, "metric", "child"),
    "mlStore": _Owned(MLKG.modelStore, "modelStore", "parent"),
    "tags": _Owned(MLKG.tag, "tag", "tag"),
}


class _Converter:
    """The triples mlkg's JSON ingest (normalize.py, then JSON-LD to RDF) stores for the subset of the plain
    JSON vocabulary this generator writes; an unknown key is a bug here and raises KeyError."""

    def __init__(self, minter: IriMinter) -> None:
        self._minter = minter
        self._types: dict[str, EntityType] = {}

    def document(self, doc: Json) -> CatalogDocument:
        triples: dict[Triple, None] = {}  # JSON-LD to RDF merges repeated nodes: one triple each
        nodes: list[tuple[URIRef, URIRef]] = []
        entity = self._node(doc, owned=None, parent=None, out=triples, nodes=nodes)
        return CatalogDocument(entity, list(triples), doc, nodes)

    def _type(self, name: str) -> EntityType:
        found = self._types.get(name)
        if found is None:
            found = self._types[name] = self._minter.type_named(name)
        return found

    def _node(
        self,
        obj: Json,
        *,
        owned: _Owned | None,
        parent: list[str] | None,
        out: dict[Triple, None],
        nodes: list[tuple[URIRef, URIRef]] | None,
    ) -> URIRef:
        if "type" in obj:
            entity_type = self._type(obj["type"])
        elif owned is not None:
            entity_type = self._type(owned.type_name)
        else:
            raise KeyError(f"a top-level document or reference without a type: {obj}")
        if owned is not None and owned.fqn == "tag":
            fqn = obj["tagFQN"].split(".")
        elif owned is not None and owned.fqn == "parent":
            fqn = list(parent or ())
        elif owned is None and "fullyQualifiedName" in obj:
            fqn = obj["fullyQualifiedName"].split(".")
        elif owned is not None:
            fqn = [*(parent or ()), obj["name"]]
        else:
            fqn = [obj["name"]]
        iri = self._minter.mint(segment=entity_type.segment, fqn=fqn)
        out[(iri, RDF.type, entity_type.cls)] = None
        if nodes is not None:
            nodes.append((iri, entity_type.cls))
        for key, value in obj.items():
            if key == "type":
                continue
            for item in value if isinstance(value, list) else [value]:
                out[(iri, *self._value(key, item, owned=owned, fqn=fqn, out=out, nodes=nodes))] = None
        if owned is not None and owned.fqn == "tag" and "classification" not in obj:
            classification = {"type": "classification", "name": fqn[0]}
            target = self._node(classification, owned=None, parent=None, out=out, nodes=None)
            out[(iri, MLKG.classification, target)] = None
        return iri

    def _value(
        self,
        key: str,
        value: Any,
        *,
        owned: _Owned | None,
        fqn: list[str],
        out: dict[Triple, None],
        nodes: list[tuple[URIRef, URIRef]] | None,
    ) -> tuple[URIRef, Object]:
        if key == "value" and owned is not None and owned.type_name == "metric":
            return MLKG.metricValue, Literal(float(value))
        if key in _LITERALS:
            return _LITERALS[key], Literal(value)
        if key in _TYPED:
            predicate, datatype = _TYPED[key]
            if isinstance(value, bool):
                value = "true" if value else "false"
            return predicate, Literal(value, datatype=datatype)
        if key in _REFERENCES:
            return _REFERENCES[key], self._node(value, owned=None, parent=None, out=out, nodes=None)
        child = _OWNED[key]
        keep = nodes if child.fqn != "tag" else None  # a tag label is the tag entity's, counted there
        return child.predicate, self._node(value, owned=child, parent=fqn, out=out, nodes=keep)


# The catalog ----------------------------------------------------------------------------------------------

_DB_SYSTEMS = ("postgres_prod", "mysql_prod", "mongo_prod")
_DATABASES = ("sales", "crm", "billing", "inventory", "support", "marketing", "logistics", "web")
_NOUNS = (
    "customers", "orders", "order_items", "payments", "invoices", "products", "shipments", "tickets",
    "sessions", "events", "campaigns", "subscriptions", "accounts", "transactions", "reviews", "returns",
    "stores", "suppliers", "clicks", "refunds",
)  # fmt: skip
_COLUMNS = (
    ("customer_id", "BIGINT"), ("account_id", "BIGINT"), ("product_id", "BIGINT"), ("store_id", "INT"),
    ("created_at", "TIMESTAMP"), ("updated_at", "TIMESTAMP"), ("status", "VARCHAR"), ("amount", "DECIMAL"),
    ("quantity", "INT"), ("country", "CHAR"), ("currency", "CHAR"), ("channel", "VARCHAR"),
    ("category", "VARCHAR"), ("price", "DECIMAL"), ("discount", "DECIMAL"), ("region", "VARCHAR"),
    ("score", "FLOAT"), ("is_active", "BOOLEAN"), ("event_type", "VARCHAR"), ("duration_s", "INT"),
    ("device", "VARCHAR"), ("referrer", "VARCHAR"), ("notes", "TEXT"), ("rating", "INT"),
)  # fmt: skip
_PII_COLUMNS = (
    ("email", "VARCHAR"), ("full_name", "VARCHAR"), ("phone_number", "VARCHAR"), ("birth_date", "DATE"),
    ("street_address", "VARCHAR"), ("ip_address", "VARCHAR"), ("card_number", "VARCHAR"),
)  # fmt: skip
_AGGREGATES = ("sum", "avg", "max", "min", "count", "last", "first", "ratio", "total", "std")
_COMPUTED = (
    ("load_ts", "TIMESTAMP"),
    ("batch_id", "VARCHAR"),
    ("row_hash", "VARCHAR"),
    ("is_valid", "BOOLEAN"),
)
_SERVICES = (
    ("mlflow_prod", "Mlflow", "MLflow (production)"),
    ("sagemaker_prod", "Sagemaker", "AWS SageMaker"),
    ("vertex_ai", "VertexAI", "Google Vertex AI"),
)
_SERVICE_WEIGHTS = (5, 3, 2)
_DOMAINS = ("Customer Analytics", "Finance", "Marketing", "Operations", "Risk", "Supply Chain")
_TEAMS = ("data-engineering", "data-science", "ml-platform", "analytics", "growth", "risk-modelling")
_TASKS = (
    ("churn_predictor", "churned", True), ("ltv_regressor", "lifetime_value", False),
    ("fraud_classifier", "is_fraud", True), ("demand_forecaster", "units_sold", False),
    ("propensity_model", "converted", True), ("ranker", "clicked", True),
    ("anomaly_detector", "is_anomaly", True),
)  # fmt: skip
_ALGORITHMS = (
    ("XGBoost", (("learning_rate", ("0.01", "0.05", "0.1")), ("max_depth", ("4", "6", "8")),
                 ("n_estimators", ("100", "300", "500")), ("subsample", ("0.8", "1.0")))),
    ("Random Forest", (("n_estimators", ("200", "500")), ("max_depth", ("8", "12", "None")),
                       ("min_samples_leaf", ("1", "5")))),
    ("Logistic Regression", (("C", ("0.1", "1.0", "10.0")), ("penalty", ("l1", "l2")),
                             ("max_iter", ("200",)))),
    ("LightGBM", (("num_leaves", ("31", "63")), ("learning_rate", ("0.05", "0.1")),
                  ("n_estimators", ("400",)))),
    ("Neural Network", (("hidden_units", ("64", "128", "256")), ("dropout", ("0.1", "0.3")),
                        ("learning_rate", ("0.001",)), ("epochs", ("20", "50")))),
)  # fmt: skip
_CLASSIFIER_METRICS = ("accuracy", "precision", "recall", "auc", "f1")
_REGRESSOR_METRICS = ("rmse", "mae", "r2", "mape")
_EPOCH = datetime(2023, 1, 1, tzinfo=UTC)


@dataclass(slots=True)
class _Table:
    fqn: str
    kind: str  # the JSON type: table, featureTable or predictionTable
    layer: int  # 0 for raw tables
    noun: str
    columns: list[tuple[str, str]] = field(default_factory=list)

    def ref(self) -> Json:
        return {"type": self.kind, "fullyQualifiedName": self.fqn}

    def column_ref(self, name: str) -> Json:
        return {"type": "column", "fullyQualifiedName": f"{self.fqn}.{name}"}


def _ref(type_name: str, fqn: str) -> Json:
    return {"type": type_name, "fullyQualifiedName": fqn}


def _timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class _Catalog:
    """Draws the catalog's documents, in a fixed order, from one random generator."""

    def __init__(self, rng: random.Random, shape: Shape, *, models: int, budget: int) -> None:
        self._rng = rng
        self._shape = shape
        self._models = models
        self._budget = budget
        #: Triples emitted so far, kept up to date by the caller: the models stop at the budget.
        self.emitted = 0
        self._serial = 0
        self._teams = [
            _TEAMS[i % len(_TEAMS)] + (f"-{i // len(_TEAMS) + 1}" if i >= len(_TEAMS) else "")
            for i in range(max(3, round(models / 15)))
        ]
        self._raw: list[_Table] = []
        self._derived: list[_Table] = []  # written by pipelines, feature tables included
        self._layers: list[list[_Table]] = []
        self._pipeline_features: list[_Table] = []
        self._standalone_features: list[_Table] = []

    def _next(self) -> int:
        self._serial += 1
        return self._serial

    def _owner(self) -> list[Json]:
        team = self._rng.choice(self._teams)
        return [{"type": "team", "name": team, "fullyQualifiedName": team}]

    def structure(self) -> Iterator[Json]:
        yield from self._governance()
        shape = self._shape
        for _ in range(max(4, round(shape.raw_tables_per_model * self._models))):
            yield self.raw_table(unused=False)
        yield from self._pipelines(max(3, round(shape.pipelines_per_model * self._models)))
        for _ in range(round(shape.standalone_feature_tables_per_model * self._models)):
            yield self._standalone_feature_table()
        for index in range(self._models):
            if index and self.emitted + _TRIPLES_PER_MODEL > self._budget:
                break
            yield from self._model(first=index == 0)
        for _ in range(round(shape.bi_dashboards_per_model * self._models)):
            tables = self._rng.sample(self._derived, min(len(self._derived), self._rng.randint(1, 3)))
            yield self._dashboard(f"bi_{tables[0].noun}", [t.ref() for t in tables], monitors=None)

    # Governance, owners, services ------------------------------------------------------------------------

    def _governance(self) -> Iterator[Json]:
        yield {
            "type": "classification", "name": "PII", "fullyQualifiedName": "PII", "sensitive": True,
            "description": "Personally identifiable information.",
        }  # fmt: skip
        yield {
            "type": "tag", "name": "Sensitive", "fullyQualifiedName": "PII.Sensitive",
            "tagFQN": "PII.Sensitive", "description": "Data that identifies a person.",
            "classification": _ref("classification", "PII"),
        }  # fmt: skip
        for name in _DOMAINS:
            yield {"type": "domain", "name": name, "fullyQualifiedName": name}
        for team in self._teams:
            yield {"type": "team", "name": team, "fullyQualifiedName": team, "displayName": team.title()}
            for k in (1, 2):
                user = f"{team.replace('-', '_')}_user_{k}"
                yield {
                    "type": "user", "name": user, "fullyQualifiedName": user, "email": f"{user}@example.com",
                    "teams": [{"type": "team", "name": team, "fullyQualifiedName": team}],
                }  # fmt: skip
        for name, service_type, display in _SERVICES:
            yield {
                "type": "mlmodelService", "name": name, "fullyQualifiedName": name, "displayName": display,
                "serviceType": service_type, "owners": self._owner(),
            }  # fmt: skip

    # Tables and pipelines --------------------------------------------------------------------------------

    def raw_table(self, *, unused: bool) -> Json:
        """A raw (operational) table of about ten columns; a few percent of its columns are PII."""
        rng, shape = self._rng, self._shape
        noun = rng.choice(_NOUNS)
        fqn = f"{rng.choice(_DB_SYSTEMS)}.{rng.choice(_DATABASES)}.public.{noun}_{self._next()}"
        count = rng.randint(*shape.raw_columns)
        columns = [(f"{noun.rstrip('s')}_id", "BIGINT"), *rng.sample(_COLUMNS, count - 1)]
        pii = rng.choice(_PII_COLUMNS) if not self._raw or rng.random() < shape.pii_table_share else None
        if pii is not None:
            columns[rng.randrange(1, count)] = pii
        table = _Table(fqn, "table", 0, noun, columns)
        if not unused:
            self._raw.append(table)
        column_docs: list[Json] = []
        for name, data_type in columns:
            column: Json = {"name": name, "dataType": data_type}
            if pii is not None and name == pii[0]:
                column["tags"] = [{"tagFQN": "PII.Sensitive"}]
            column_docs.append(column)
        description = "Operational table, not used by any pipeline." if unused else "Operational table."
        return {
            "type": "table", "name": fqn.rsplit(".", 1)[1], "fullyQualifiedName": fqn,
            "description": description, "owners": self._owner(), "columns": column_docs,
        }  # fmt: skip

    def _pipelines(self, count: int) -> Iterator[Json]:
        """Pipelines in layers 1..depth: each reads 1-3 tables of earlier layers (one of the layer just below)
        and writes 1-2 tables whose columns derive from the columns it read."""
        depth = min(self._shape.max_depth, max(2, count // 3))
        weights = [1.0 - 0.1 * layer for layer in range(depth)]
        per_layer = [max(1, round(count * w / sum(weights))) for w in weights]
        self._layers = [self._raw]
        for layer, pipelines in enumerate(per_layer, start=1):
            written: list[_Table] = []
            for index in range(pipelines):
                top = layer == depth and index == 0  # guarantees a feature table written by a pipeline
                yield from self._pipeline(layer, written, force_feature_table=top)
            self._layers.append(written)

    def _pipeline(self, layer: int, written: list[_Table], *, force_feature_table: bool) -> Iterator[Json]:
        rng, shape = self._rng, self._shape
        inputs = [rng.choice(self._layers[layer - 1])]
        earlier = [t for level in self._layers[:layer] for t in level] if layer > 1 else self._raw
        for _ in range(rng.randint(*shape.pipeline_inputs) - 1):
            candidate = rng.choice(earlier)
            if candidate not in inputs:
                inputs.append(candidate)
        outputs: list[_Table] = []
        for index in range(rng.randint(*shape.pipeline_outputs)):
            feature = (index == 0 and force_feature_table) or (
                layer >= 2 and rng.random() < shape.feature_table_share
            )
            outputs.append(self._derived_table(layer, inputs, feature=feature))
        tool = "fivetran" if layer == 1 else rng.choice(("airflow", "dbt", "spark"))
        yield {
            "type": "pipeline", "name": f"build_{outputs[0].fqn.rsplit('.', 1)[1]}",
            "fullyQualifiedName": f"{tool}.build_{outputs[0].fqn.rsplit('.', 1)[1]}",
            "description": f"Layer {layer} job.", "owners": self._owner(),
            "readsFrom": [t.ref() for t in inputs], "writesTo": [t.ref() for t in outputs],
        }  # fmt: skip
        for table, doc in ((t, self._table_doc(t, inputs)) for t in outputs):
            written.append(table)
            self._derived.append(table)
            if table.kind == "featureTable":
                self._pipeline_features.append(table)
            yield doc

    def _derived_table(self, layer: int, inputs: Sequence[_Table], *, feature: bool) -> _Table:
        noun = inputs[0].noun
        if feature:
            return _Table(f"snowflake.features.{noun}_features_{self._next()}", "featureTable", layer, noun)
        prefix = ("stg", "int", "fct", "agg", "mart", "rpt", "mart", "rpt")[layer - 1]
        schema = "staging" if layer == 1 else "marts" if layer >= 3 else "intermediate"
        return _Table(f"snowflake.{schema}.{prefix}_{noun}_{self._next()}", "table", layer, noun)

    def _table_doc(self, table: _Table, inputs: Sequence[_Table]) -> Json:
        """The table's columns: the first copies the first input's key, the others aggregate input columns."""
        rng, shape = self._rng, self._shape
        sources = [(t, name, data_type) for t in inputs for name, data_type in t.columns]
        key = inputs[0].columns[0]
        table.columns = [key]
        columns: list[Json] = [
            {"name": key[0], "dataType": key[1], "derivedFromColumns": [inputs[0].column_ref(key[0])]}
        ]
        taken = {key[0]}
        for _ in range(rng.randint(*shape.derived_columns) - 1):
            if rng.random() < shape.lineage_share:
                picked = rng.sample(sources, min(len(sources), 1 if rng.random() < 0.7 else 2))
                name, data_type = f"{rng.choice(_AGGREGATES)}_{picked[0][1]}", picked[0][2]
                lineage = [t.column_ref(n) for t, n, _ in picked]
            else:
                (name, data_type), lineage = rng.choice(_COMPUTED), []
            base, suffix = name, 2
            while name in taken:
                name, suffix = f"{base}_{suffix}", suffix + 1
            taken.add(name)
            table.columns.append((name, data_type))
            column: Json = {"name": name, "dataType": data_type}
            if lineage:
                column["derivedFromColumns"] = lineage
            columns.append(column)
        return {
            "type": table.kind, "name": table.fqn.rsplit(".", 1)[1], "fullyQualifiedName": table.fqn,
            "owners": self._owner(), "columns": columns,
        }  # fmt: skip

    def _standalone_feature_table(self) -> Json:
        """A feature-store table no recorded pipeline writes; half of them record column lineage anyway."""
        rng = self._rng
        inputs = rng.sample(self._derived, min(len(self._derived), rng.randint(1, 2)))
        table = _Table(
            f"feast.store.{inputs[0].noun}_features_{self._next()}", "featureTable", 0, inputs[0].noun
        )
        doc = self._table_doc(table, inputs)
        if rng.random() < 0.5:
            for column in doc["columns"]:
                column.pop("derivedFromColumns", None)
        self._standalone_features.append(table)
        doc["description"] = "Feature store table."
        return doc

    # Models and what hangs off them ----------------------------------------------------------------------

    def _model(self, *, first: bool) -> Iterator[Json]:
        rng, shape = self._rng, self._shape
        service = rng.choices(_SERVICES, weights=_SERVICE_WEIGHTS)[0][0]
        standalone = bool(self._standalone_features) and not first and rng.random() < 0.3
        table = rng.choice(self._standalone_features if standalone else self._pipeline_features)
        task, target, classifier = rng.choice(_TASKS)
        name = f"{table.noun}_{task}_{self._next()}"
        fqn = f"{service}.{name}"
        algorithm, parameters = rng.choice(_ALGORITHMS)
        metric_names = _CLASSIFIER_METRICS if classifier else _REGRESSOR_METRICS
        features = self._features(table, first=first)
        owners = self._owner()
        yield {
            "type": "mlmodel", "id": f"{rng.getrandbits(128):032x}", "name": name, "fullyQualifiedName": fqn,
            "description": f"Predicts {target} from {len(features)} features.", "algorithm": algorithm,
            "target": target, "mlFeatures": features,
            "mlHyperParameters": [{"name": p, "value": rng.choice(values)} for p, values in parameters],
            "metrics": self._metrics(metric_names, rng.randint(2, 4)),
            "trainedOn": [table.ref()], "mlStore": {"storage": f"s3://ml-models/{name}/"},
            "service": _ref("mlmodelService", service), "owners": owners,
            "domains": [_ref("domain", rng.choice(_DOMAINS))],
        }  # fmt: skip
        experiment = f"{service}.{name}_experiment"
        yield {
            "type": "experiment", "name": f"{name}_experiment", "fullyQualifiedName": experiment,
            "service": _ref("mlmodelService", service), "owners": owners,
        }  # fmt: skip
        deployed = first or rng.random() < shape.deployed_share
        versions = rng.randint(*shape.versions)
        created = _EPOCH + timedelta(days=rng.randrange(600), hours=rng.randrange(24))
        for k in range(1, versions + 1):
            version_fqn = f"{fqn}.v{k}"
            latest = k == versions
            version: Json = {
                "type": "modelVersion", "name": f"v{k}", "fullyQualifiedName": version_fqn, "version": f"{k}",
                "versionOf": _ref("mlmodel", fqn), "algorithm": algorithm, "trainedOn": [table.ref()],
                "stage": ("Production" if deployed else "Staging") if latest else "Archived",
                "metrics": self._metrics(metric_names, rng.randint(1, 3)), "createdAt": _timestamp(created),
            }  # fmt: skip
            if latest and deployed:
                version["aliases"] = ["champion"]
            yield version
            yield self._run(experiment, f"run_{k}", created, parameters, metric_names, table, version_fqn)
            if rng.random() < shape.failed_run_share:
                yield self._run(experiment, f"run_{k}_failed", created, parameters, metric_names, table, None)
            created += timedelta(days=rng.randint(20, 90))
        if deployed:
            yield from self._deployment(service, name, fqn, f"{fqn}.v{versions}", table, owners)

    def _features(self, table: _Table, *, first: bool) -> list[Json]:
        rng, mix = self._rng, self._shape.source_mix
        features: list[Json] = []
        taken: set[str] = set()
        for index in range(rng.randint(*self._shape.features)):
            sources: list[Json] = []
            from_table = False
            for _ in range(1 if rng.random() < 0.8 else 2):
                draw = rng.random()
                if (first and index == 0) or draw < mix[0]:
                    source, from_table = table, True
                elif draw < mix[0] + mix[1]:
                    source = rng.choice(self._derived)
                else:
                    source = rng.choice(self._raw)
                column, data_type = source.columns[0] if first and index == 0 else rng.choice(source.columns)
                source_name = column if not sources else f"{column}_{len(sources) + 1}"
                sources.append(
                    {"name": source_name, "dataType": data_type, "dataSource": source.column_ref(column)}
                )
            base = f"{rng.choice(_AGGREGATES)}_{sources[0]['name']}"
            name, suffix = base, 2
            while name in taken:
                name, suffix = f"{base}_{suffix}", suffix + 1
            taken.add(name)
            feature: Json = {
                "name": name, "dataType": rng.choice(("numerical", "numerical", "categorical")),
                "featureSources": sources,
            }  # fmt: skip
            if from_table:
                feature["featureOf"] = [table.ref()]
            features.append(feature)
        return features

    def _metrics(self, names: Sequence[str], count: int) -> list[Json]:
        return [{"name": n, "value": round(self._rng.uniform(0.5, 0.99), 4)} for n in names[:count]]

    def _run(
        self,
        experiment: str,
        name: str,
        created: datetime,
        parameters: Sequence[tuple[str, Sequence[str]]],
        metric_names: Sequence[str],
        table: _Table,
        version: str | None,
    ) -> Json:
        rng = self._rng
        start = created - timedelta(hours=rng.randint(1, 12), minutes=rng.randrange(60))
        run: Json = {
            "type": "trainingRun", "id": f"{rng.getrandbits(128):032x}", "name": name,
            "fullyQualifiedName": f"{experiment}.{name}", "experiment": _ref("experiment", experiment),
            "status": "FINISHED" if version else "FAILED", "startTime": _timestamp(start),
            "endTime": _timestamp(start + timedelta(seconds=rng.randint(300, 7200))),
            "parameters": [{"name": p, "value": rng.choice(values)} for p, values in parameters],
            "inputs": [table.ref()],
        }  # fmt: skip
        if version is not None:
            run["metrics"] = self._metrics(metric_names, rng.randint(1, 3))
            run["outputs"] = [_ref("modelVersion", version)]
        return run

    def _deployment(
        self, service: str, name: str, model: str, version: str, table: _Table, owners: list[Json]
    ) -> Iterator[Json]:
        rng = self._rng
        kind = rng.choice(("endpoint", "batch_scoring"))
        scores = _Table(f"snowflake.predictions.{name}_scores", "predictionTable", 0, table.noun)
        key = table.columns[0]
        scores.columns = [key, ("score", "FLOAT"), ("model_version", "VARCHAR"), ("scored_at", "TIMESTAMP")]
        yield {
            "type": "deployment", "name": f"{name}_{kind}", "fullyQualifiedName": f"{service}.{name}_{kind}",
            "service": _ref("mlmodelService", service), "environment": "production",
            "servesVersion": _ref("modelVersion", version), "servesModel": _ref("mlmodel", model),
            "predictionTable": [scores.ref()], "owners": owners,
        }  # fmt: skip
        columns: list[Json] = [{"name": n, "dataType": t} for n, t in scores.columns]
        columns[0]["derivedFromColumns"] = [table.column_ref(key[0])]
        yield {
            "type": "predictionTable", "name": f"{name}_scores", "fullyQualifiedName": scores.fqn,
            "owners": owners, "columns": columns,
        }  # fmt: skip
        if rng.random() < 0.8:
            reads = [scores.ref()]
            if rng.random() < 0.4:
                reads.append(rng.choice(self._derived).ref())
            monitors = _ref("mlmodel", model) if rng.random() < 0.3 else None
            yield self._dashboard(f"{name}_overview", reads, monitors=monitors)

    def _dashboard(self, name: str, reads: list[Json], *, monitors: Json | None) -> Json:
        tool = self._rng.choice(("tableau", "looker", "superset"))
        dashboard: Json = {
            "type": "dashboard", "name": f"{name}_{self._next()}", "readsFrom": reads,
            "owners": self._owner(),
        }  # fmt: skip
        dashboard["fullyQualifiedName"] = f"{tool}.{dashboard['name']}"
        if monitors is not None:
            dashboard["monitors"] = [monitors]
        return dashboard


# Output --------------------------------------------------------------------------------------------------


def _nq_term(term: Object) -> str:
    if isinstance(term, Literal):
        text = str(term).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
        if term.language:
            return f'"{text}"@{term.language}'
        if term.datatype is None or term.datatype == XSD.string:
            return f'"{text}"'
        return f'"{text}"^^<{term.datatype}>'
    return f"<{term}>"


def write_nquads(documents: Iterable[tuple[URIRef, list[Triple]]], out: TextIO) -> Counter[str]:
    """Write each document's triples as N-Quads in the graph named by its entity; return the totals
    (``"documents"``, ``"triples"``)."""
    totals: Counter[str] = Counter()
    for entity, triples in documents:
        graph = f"<{entity}> .\n"
        out.write("".join(f"{_nq_term(s)} <{p}> {_nq_term(o)} {graph}" for s, p, o in triples))
        totals["documents"] += 1
        totals["triples"] += len(triples)
    return totals


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: write a synthetic catalog as N-Quads and its statistics to stderr."""
    parser = argparse.ArgumentParser(
        description="Generate a synthetic ML catalog as N-Quads (one graph per entity)."
    )
    parser.add_argument(
        "--triples", type=int, default=100_000, help="target number of triples (default 100000)"
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--base", default=DEFAULT_BASE_IRI, help=f"base of entity IRIs (default {DEFAULT_BASE_IRI})"
    )
    parser.add_argument(
        "--out", default="-", help="output .nq file, parents created; '-' for stdout (default)"
    )
    args = parser.parse_args(argv)
    if args.triples < _MIN_TRIPLES:
        parser.error(f"--triples must be at least {_MIN_TRIPLES}")

    classes: Counter[str] = Counter()

    def counted() -> Iterator[tuple[URIRef, list[Triple]]]:
        for document in generate_documents(target_triples=args.triples, seed=args.seed, base=args.base):
            for _, cls in document.nodes:
                classes[str(cls).rsplit("#", 1)[1]] += 1
            yield document.entity, document.triples

    started = time.perf_counter()
    if args.out == "-":
        totals = write_nquads(counted(), sys.stdout)
    else:
        path = Path(args.out)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="\n") as out:
            totals = write_nquads(counted(), out)
    elapsed = time.perf_counter() - started
    for name, count in sorted(classes.items()):
        print(f"{name:>16} {count:>9}", file=sys.stderr)
    print(f"{'nodes':>16} {sum(classes.values()):>9}", file=sys.stderr)
    print(f"{'documents':>16} {totals['documents']:>9}", file=sys.stderr)
    print(
        f"{'triples':>16} {totals['triples']:>9}  (target {args.triples}, seed {args.seed})", file=sys.stderr
    )
    print(f"{'seconds':>16} {elapsed:>9.1f}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
