"""Reading JSON and JSON-LD into entity documents (no store needed: what ``mlkg validate`` does)."""

from __future__ import annotations

from typing import Any

import pytest
from rdflib import RDF, XSD, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from mlkg.config import DEFAULT_BASE_IRI as BASE
from mlkg.ingest import EntityDocument, Ingestor, RejectionKind
from mlkg.vocab import CONTEXT_IRI, MLKG

MODEL = URIRef(f"{BASE}model/mlflow_prod.customer_churn_predictor")
RECENCY = URIRef(f"{BASE}feature/mlflow_prod.customer_churn_predictor.recency")
SOURCE = URIRef(f"{BASE}featuresource/mlflow_prod.customer_churn_predictor.recency.last_purchase_date")
COLUMN = URIRef(f"{BASE}column/postgres_prod.ecommerce.public.customers.last_purchase_date")


def graph(document: EntityDocument) -> Graph:
    g = Graph()
    for triple in document.triples:
        g.add(triple)
    return g


def one(ingestor: Ingestor, source: Any) -> EntityDocument:
    outcome = ingestor.parse(source=source)
    assert not outcome.rejected, outcome.rejected
    [document] = outcome.documents
    return document


def test_openmetadata_model_loads_as_plain_json(
    ingestor: Ingestor, make_source: Any, openmetadata_model: bytes
) -> None:
    outcome = ingestor.parse(source=make_source(openmetadata_model, name="churn.json"))
    assert not outcome.rejected
    [document] = outcome.documents
    g = graph(document)
    assert document.entity == MODEL and document.where == "churn.json"
    assert (MODEL, RDF.type, MLKG.Model) in g
    assert (MODEL, MLKG.algorithm, Literal("XGBoost")) in g
    # The feature is a node, linked through its feature source to the column.
    assert (MODEL, MLKG.usesFeature, RECENCY) in g
    assert (RECENCY, MLKG.hasFeatureSource, SOURCE) in g
    assert (SOURCE, MLKG.dataSource, COLUMN) in g
    assert (COLUMN, RDF.type, MLKG.Column) in g
    # The feature source keeps OpenMetadata's fullyQualifiedName (the column's) as a literal only.
    assert (SOURCE, MLKG.fullyQualifiedName, Literal(str(COLUMN).rsplit("/", 1)[1])) in g
    assert len(set(g.objects(MODEL, MLKG.usesFeature))) == 3
    # OpenMetadata's UUID is kept as the external id; epoch millis become an xsd:dateTime.
    assert (MODEL, MLKG.externalId, Literal("1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d")) in g
    [updated] = g.objects(MODEL, MLKG.updatedAt)
    assert isinstance(updated, Literal) and updated.datatype == XSD.dateTime
    assert str(updated.toPython().date()) == "2024-01-03"
    # Tag labels become tags of their classification.
    tier = URIRef(f"{BASE}tag/Tier.Production")
    assert (MODEL, MLKG.tag, tier) in g
    assert (tier, MLKG.classification, URIRef(f"{BASE}classification/Tier")) in g


def test_openmetadata_hyperparameters_are_nodes_with_name_and_value(
    ingestor: Ingestor, make_source: Any, openmetadata_model: bytes
) -> None:
    g = graph(one(ingestor, make_source(openmetadata_model)))
    settings = {
        str(g.value(p, MLKG.name)): str(g.value(p, MLKG.value)) for p in g.objects(MODEL, MLKG.hyperParameter)
    }
    assert settings == {
        "max_depth": "6",
        "learning_rate": "0.1",
        "n_estimators": "100",
        "objective": "binary:logistic",
    }
    assert URIRef(f"{BASE}hyperparameter/mlflow_prod.customer_churn_predictor.max_depth") in set(
        g.objects(MODEL, MLKG.hyperParameter)
    )


def test_fields_outside_the_vocabulary_are_reported_with_their_pointer(
    ingestor: Ingestor, make_source: Any, openmetadata_model: bytes
) -> None:
    outcome = ingestor.parse(source=make_source(openmetadata_model, name="churn.json"))
    messages = {n.where: n.message for n in outcome.notices}
    assert (
        messages["churn.json#/votes"]
        == "field 'votes' at /votes is not in the mlkg vocabulary and was ignored"
    )
    assert "churn.json#/lifeCycle" in messages


def test_array_and_graph_forms_give_one_document_per_object(ingestor: Ingestor, make_source: Any) -> None:
    tables = [{"type": "table", "name": "a"}, {"type": "table", "name": "b"}]
    listed = ingestor.parse(source=make_source(tables, name="t.json")).documents
    assert [d.where for d in listed] == ["t.json#/0", "t.json#/1"]
    graphed = ingestor.parse(source=make_source({"@context": CONTEXT_IRI, "@graph": tables}, name="g.jsonld"))
    assert [d.where for d in graphed.documents] == ["g.jsonld#/@graph/0", "g.jsonld#/@graph/1"]
    assert (
        [d.entity for d in listed]
        == [d.entity for d in graphed.documents]
        == [
            URIRef(f"{BASE}table/a"),
            URIRef(f"{BASE}table/b"),
        ]
    )


def test_table_columns_mint_the_same_iris_as_column_references(ingestor: Ingestor, make_source: Any) -> None:
    table = {
        "type": "table",
        "fullyQualifiedName": "postgres_prod.ecommerce.public.customers",
        "name": "customers",
        "columns": [{"name": "last_purchase_date", "dataType": "DATE"}, {"name": "id"}],
    }
    g = graph(one(ingestor, make_source(table)))
    assert (URIRef(f"{BASE}table/postgres_prod.ecommerce.public.customers"), MLKG.hasColumn, COLUMN) in g
    assert (COLUMN, RDF.type, MLKG.Column) in g and (COLUMN, MLKG.dataType, Literal("DATE")) in g


def test_explicit_id_is_kept_and_absolute_id_becomes_the_iri(ingestor: Ingestor, make_source: Any) -> None:
    explicit = {
        "@id": "https://example.org/models/churn",
        "type": "mlmodel",
        "name": "churn",
        "algorithm": "x",
    }
    assert one(ingestor, make_source(explicit)).entity == URIRef("https://example.org/models/churn")
    absolute = {"id": "urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e", "type": "dashboard", "name": "d"}
    assert one(ingestor, make_source(absolute)).entity == URIRef(
        "urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e"
    )


def test_jsonld_with_our_context_matches_the_expected_graph(ingestor: Ingestor, make_source: Any) -> None:
    doc = {
        "@context": CONTEXT_IRI,
        "type": "trainingRun",
        "name": "run-42",
        "status": "FINISHED",
        "startTime": 1704067200000,
        "parameters": {"learning_rate": "0.01"},
        "metrics": {"auc": 0.91},
        "inputs": [{"type": "table", "fullyQualifiedName": "db.s.train"}],
    }
    run = URIRef(f"{BASE}run/run-42")
    expected = Graph().parse(
        format="turtle",
        data=f"""
        @prefix mlkg: <https://w3id.org/mlkg#> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        <{run}> a mlkg:TrainingRun ; mlkg:name "run-42" ; mlkg:status "FINISHED" ;
            mlkg:startTime "2024-01-01T00:00:00Z"^^xsd:dateTime ;
            mlkg:hyperParameter <{BASE}hyperparameter/run-42.learning_rate> ;
            mlkg:metric <{BASE}metric/run-42.auc> ;
            mlkg:usedDataset <{BASE}table/db.s.train> .
        <{BASE}hyperparameter/run-42.learning_rate> a mlkg:HyperParameter ;
            mlkg:name "learning_rate" ; mlkg:value "0.01" .
        <{BASE}metric/run-42.auc> a mlkg:Metric ; mlkg:name "auc" ; mlkg:metricValue "9.1E-1"^^xsd:double .
        <{BASE}table/db.s.train> a mlkg:Table ; mlkg:fullyQualifiedName "db.s.train" .
        """,
    )
    assert isomorphic(graph(one(ingestor, make_source(doc, name="run.jsonld"))), expected)


def test_inline_context_jsonld_is_read_as_standard_jsonld(ingestor: Ingestor, make_source: Any) -> None:
    doc = {
        "@context": {"@vocab": "https://w3id.org/mlkg#"},
        "@id": "https://example.org/dash",
        "@type": "Dashboard",
        "name": "perf",
    }
    document = one(ingestor, make_source(doc, name="d.jsonld"))
    assert (URIRef("https://example.org/dash"), RDF.type, MLKG.Dashboard) in graph(document)


@pytest.mark.parametrize(
    ("doc", "kind", "where", "fragment"),
    [
        ({"name": "x"}, RejectionKind.PARSE, "doc.json", "no 'type'"),
        ({"type": "table"}, RejectionKind.PARSE, "doc.json", "'fullyQualifiedName' or a 'name'"),
        (
            {"type": "spaceship", "name": "x"},
            RejectionKind.PARSE,
            "doc.json#/type",
            "unknown entity type 'spaceship'",
        ),
        (
            {"type": "pipeline", "name": "p", "readsFrom": ["not an iri"]},
            RejectionKind.PARSE,
            "doc.json#/readsFrom/0",
            "needs an IRI or an entity reference",
        ),
        (
            {"@context": {"name": 5}, "@id": "http://e/x"},
            RejectionKind.CONTEXT,
            "doc.json",
            "invalid JSON-LD",
        ),
        ({"@context": {}, "@id": 5}, RejectionKind.PARSE, "doc.json", "invalid JSON-LD"),
        (
            {"type": "table", "name": "t", "upstream": ["http://e/other"]},
            RejectionKind.VALIDATION,
            "doc.json",
            "mlkg:upstream is inferred by mlkg",
        ),
        (
            {"type": "table", "name": "t", "updatedAt": 10**20},
            RejectionKind.PARSE,
            "doc.json#/updatedAt",
            "epoch",
        ),
    ],
)
def test_bad_documents_are_rejected_with_a_clear_message(
    ingestor: Ingestor, make_source: Any, doc: dict[str, Any], kind: RejectionKind, where: str, fragment: str
) -> None:
    outcome = ingestor.parse(source=make_source(doc))
    assert not outcome.documents
    [rejected] = outcome.rejected
    assert (rejected.kind, rejected.where) == (kind, where)
    assert fragment in rejected.message


def test_malformed_json_reports_line_and_column(ingestor: Ingestor, make_source: Any) -> None:
    [rejected] = ingestor.parse(
        source=make_source('{\n  "type": "table",\n  "name": }', name="bad.json")
    ).rejected
    assert rejected.kind is RejectionKind.PARSE
    assert rejected.message.startswith("malformed JSON: Expecting value at line 3 column")
    assert rejected.where == "bad.json"


def test_one_bad_document_in_an_array_is_pointed_at(ingestor: Ingestor, make_source: Any) -> None:
    outcome = ingestor.parse(
        source=make_source([{"type": "table", "name": "a"}, {"type": "table"}, "oops"], name="b.json")
    )
    assert [d.entity for d in outcome.documents] == [URIRef(f"{BASE}table/a")]
    assert [r.where for r in outcome.rejected] == ["b.json#/1", "b.json#/2"]


def test_named_graph_objects_are_entity_documents_and_mlkg_graphs_are_skipped(
    ingestor: Ingestor, make_source: Any
) -> None:
    table = f"{BASE}table/db.s.orders"
    export = {
        "@context": {"@vocab": "https://w3id.org/mlkg#"},
        "@graph": [
            {"@id": table, "@graph": [{"@id": table, "@type": "Table", "name": "orders"}]},
            {
                "@id": "https://w3id.org/mlkg/graph/inferred",
                "@graph": [{"@id": table, "upstream": {"@id": f"{BASE}pipeline/etl"}}],
            },
        ],
    }
    outcome = ingestor.parse(source=make_source(export, name="export.jsonld"))
    assert not outcome.rejected
    [document] = outcome.documents
    assert document.entity == URIRef(table)
    assert (URIRef(table), RDF.type, MLKG.Table) in graph(document)
    assert [n.where for n in outcome.notices] == ["export.jsonld#/@graph/1"]


@pytest.mark.parametrize(
    ("doc", "fragment"),
    [
        (
            {
                "type": "trainingRun",
                "name": "r",
                "metrics": [{"name": "a", "value": 1, "history": [{"step": 0}]}],
            },
            "a metric point needs one numeric value",
        ),
        (
            {
                "type": "trainingRun",
                "name": "r",
                "metrics": [{"name": "a", "value": 1, "history": [{"step": "zero", "metricValue": 1}]}],
            },
            "a metric point's step must be one integer",
        ),
        ({"type": "experiment", "name": "e", "sourceTags": [{"name": "team"}]}, "a source tag needs a value"),
        (
            {
                "type": "modelVersion",
                "name": "v",
                "versionOf": {"type": "registeredModel", "name": "m"},
                "loggedModel": {"name": "xgb"},
            },
            "a logged model needs the id",
        ),
    ],
)
def test_mlflow_shapes_say_what_to_fix(
    ingestor: Ingestor, make_source: Any, doc: dict[str, Any], fragment: str
) -> None:
    """Metric points, source tags and logged models (what an MLflow import writes) are checked as uploads."""
    report = ingestor.check(sources=[make_source(doc)])
    [rejected] = report.rejected
    assert rejected.kind is RejectionKind.VALIDATION
    assert any(fragment in detail["message"] for detail in rejected.details), rejected.details
