"""Ingesting into a store: what gets written, what is queryable, and that bad input changes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

from mlkg.config import DEFAULT_BASE_IRI as BASE
from mlkg.ids import IriMinter
from mlkg.ingest import Ingestor, InputFormat, RejectionKind, Source
from mlkg.store import SelectResult, Store
from mlkg.vocab import ONTOLOGY_GRAPH

MODEL = URIRef(f"{BASE}model/mlflow_prod.customer_churn_predictor")
COLUMN = URIRef(f"{BASE}column/postgres_prod.ecommerce.public.customers.last_purchase_date")
PREFIX = "PREFIX mlkg: <https://w3id.org/mlkg#>\n"


def select(store: Store, query: str, **bindings: Any) -> list[dict[str, Any]]:
    result = store.query(query=PREFIX + query, bindings=bindings or None)
    assert isinstance(result, SelectResult)
    return result.dicts()


def snapshot(store: Store) -> set[Any]:
    return set(store.quads())


def test_openmetadata_model_is_queryable(ingestor: Ingestor, store: Store, openmetadata_model: bytes) -> None:
    report = ingestor.ingest(
        store=store, sources=[Source("churn.json", openmetadata_model, InputFormat.JSON)]
    )
    assert report.ok and report.entities == [MODEL]
    assert any("'votes'" in n.message for n in report.notices)
    [row] = select(
        store,
        """SELECT ?m ?storage ?image ?server ?dashboard ?service ?owner WHERE {
            ?m mlkg:modelStore ?s . ?s mlkg:storageUri ?storage ; mlkg:imageRepository ?image .
            ?m mlkg:serverUrl ?server ; mlkg:performanceDashboard ?dashboard ; mlkg:service ?service ;
               mlkg:owner ?owner }""",
        m=MODEL,
    )
    assert str(row["storage"]) == "s3://ml-models/customer_churn_predictor/v2/"
    assert str(row["image"]) == "docker.company.com/ml-models/churn-predictor:v2.0"
    assert str(row["server"]) == "https://api.company.com/ml/churn-predictor/v2/predict"
    assert row["dashboard"] == URIRef(f"{BASE}dashboard/tableau.churn_model_performance")
    assert row["service"] == URIRef(f"{BASE}service/mlflow_prod")
    assert row["owner"] == URIRef(f"{BASE}team/data-science")
    [lineage] = select(
        store,
        "SELECT ?m ?column WHERE { ?m mlkg:usesFeature ?f . ?f mlkg:name 'recency' ; "
        "mlkg:hasFeatureSource/mlkg:dataSource ?column }",
        m=MODEL,
    )
    assert lineage["column"] == COLUMN
    # Everything is stored in the model's own named graph.
    assert set(store.graph_names()) - {ONTOLOGY_GRAPH} == {MODEL}


def test_the_same_column_named_in_two_documents_is_one_node(
    ingestor: Ingestor, store: Store, make_source: Any, openmetadata_model: bytes
) -> None:
    table = {
        "type": "table",
        "fullyQualifiedName": "postgres_prod.ecommerce.public.customers",
        "name": "customers",
        "columns": [{"name": "last_purchase_date", "dataType": "DATE"}],
    }
    report = ingestor.ingest(
        store=store,
        sources=[make_source(table, name="t.json"), make_source(openmetadata_model, name="m.json")],
    )
    assert report.ok
    rows = select(store, "SELECT DISTINCT ?c WHERE { ?c a mlkg:Column }")
    assert [r["c"] for r in rows] == [COLUMN]
    [row] = select(store, "SELECT ?t WHERE { ?t mlkg:hasColumn ?c . ?fs mlkg:dataSource ?c }")
    assert row["t"] == URIRef(f"{BASE}table/postgres_prod.ecommerce.public.customers")


@pytest.mark.parametrize(
    ("data", "name", "kind", "fragment"),
    [
        (
            b'{"type": "table", "name": }',
            "bad.json",
            RejectionKind.PARSE,
            "malformed JSON: Expecting value at line 1",
        ),
        (
            b'{"@context": {"name": 5}, "@id": "http://e/x"}',
            "bad.jsonld",
            RejectionKind.CONTEXT,
            "invalid JSON-LD",
        ),
        (
            b'{"@context": "https://example.org/ctx.jsonld", "@id": "http://e/x", "name": "x"}',
            "remote.jsonld",
            RejectionKind.CONTEXT,
            "remote @context https://example.org/ctx.jsonld is not allowed",
        ),
        (b'{"type": "mlmodel", "name": "m"}', "m.json", RejectionKind.VALIDATION, "needs an algorithm"),
        (b"  \n", "empty.json", RejectionKind.PARSE, "empty.json is empty"),
        (
            b'{"type": "table", "name": "caf\xe9"}',
            "latin1.json",
            RejectionKind.PARSE,
            "not valid UTF-8: byte 0xe9",
        ),
        (b"x" * (64 * 1024 + 1), "huge.json", RejectionKind.TOO_LARGE, "more than the limit of 65536 bytes"),
        (
            b'{"type": "table", "name": "t", "downstream": ["http://e/x"]}',
            "up.json",
            RejectionKind.VALIDATION,
            "mlkg:downstream is inferred",
        ),
        (b"<http://e/a> <http://e/b> .", "bad.ttl", RejectionKind.PARSE, "malformed Turtle"),
    ],
)
def test_bad_input_is_rejected_and_leaves_the_store_as_it_was(
    ingestor: Ingestor,
    store: Store,
    make_source: Any,
    no_network: None,
    data: bytes,
    name: str,
    kind: RejectionKind,
    fragment: str,
) -> None:
    assert ingestor.ingest(store=store, sources=[make_source({"type": "table", "name": "keep"})]).ok
    before = snapshot(store)
    report = ingestor.ingest(store=store, sources=[make_source(data, name=name)])
    assert not report.ok and not report.accepted
    [rejected] = report.rejected
    assert rejected.kind is kind
    assert fragment in rejected.message, rejected.message
    assert snapshot(store) == before


def test_a_batch_with_one_bad_document_stores_the_good_ones(
    ingestor: Ingestor, store: Store, make_source: Any
) -> None:
    batch = [
        {"type": "table", "name": "a"},
        {"type": "mlmodel", "name": "no-algorithm"},
        {"type": "table", "name": "b"},
    ]
    report = ingestor.ingest(store=store, sources=[make_source(batch, name="batch.json")])
    assert [r.where for r in report.rejected] == ["batch.json#/1"]
    assert set(store.graph_names()) - {ONTOLOGY_GRAPH} == {URIRef(f"{BASE}table/a"), URIRef(f"{BASE}table/b")}


def test_reingesting_a_changed_document_replaces_its_graph(
    ingestor: Ingestor, store: Store, make_source: Any
) -> None:
    model = {
        "type": "mlmodel",
        "fullyQualifiedName": "mlflow.churn",
        "name": "churn",
        "algorithm": "XGBoost",
        "mlFeatures": [{"name": "recency"}, {"name": "frequency"}],
    }
    assert ingestor.ingest(store=store, sources=[make_source(model)]).ok
    model["mlFeatures"] = [{"name": "recency"}]
    model["algorithm"] = "LightGBM"
    assert ingestor.ingest(store=store, sources=[make_source(model)]).ok
    rows = select(store, "SELECT ?name WHERE { ?m mlkg:usesFeature/mlkg:name ?name }")
    assert [str(r["name"]) for r in rows] == ["recency"]
    assert [str(r["a"]) for r in select(store, "SELECT ?a WHERE { ?m mlkg:algorithm ?a }")] == ["LightGBM"]


def test_the_same_entity_twice_in_a_batch_keeps_the_later_one(
    ingestor: Ingestor, store: Store, make_source: Any
) -> None:
    first = {"type": "table", "name": "t", "description": "old"}
    second = {"type": "table", "name": "t", "description": "new"}
    report = ingestor.ingest(store=store, sources=[make_source([first, second], name="twice.json")])
    assert report.ok and [a.where for a in report.accepted] == ["twice.json#/1"]
    assert any("the later document wins" in n.message and n.where == "twice.json#/0" for n in report.notices)
    assert [str(r["d"]) for r in select(store, "SELECT ?d WHERE { ?t mlkg:description ?d }")] == ["new"]


def test_dry_run_and_check_write_nothing(ingestor: Ingestor, store: Store, make_source: Any) -> None:
    source = make_source({"type": "table", "name": "t"})
    assert ingestor.ingest(store=store, sources=[source], dry_run=True).dry_run
    assert ingestor.check(sources=[source]).ok
    assert {q for q in snapshot(store) if q[3] != ONTOLOGY_GRAPH} == set()


def test_delete_drops_the_entity_graph(ingestor: Ingestor, store: Store, make_source: Any) -> None:
    assert ingestor.ingest(store=store, sources=[make_source({"type": "table", "name": "t"})]).ok
    assert ingestor.delete(store=store, entity=URIRef(f"{BASE}table/t"))
    assert not ingestor.delete(store=store, entity=URIRef(f"{BASE}table/t"))
    assert {q for q in snapshot(store) if q[3] != ONTOLOGY_GRAPH} == set()


def test_stored_graph_is_exactly_the_document(ingestor: Ingestor, store: Store, make_source: Any) -> None:
    doc = {"type": "table", "name": "t", "columns": [{"name": "c", "tags": ["PII.Sensitive"]}]}
    report = ingestor.ingest(store=store, sources=[make_source(doc)])
    assert report.ok
    stored = Graph()
    for s, p, o, _ in store.quads(graph=URIRef(f"{BASE}table/t")):
        stored.add((s, p, o))
    expected = Graph().parse(
        format="turtle",
        data=f"""
        @prefix mlkg: <https://w3id.org/mlkg#> .
        <{BASE}table/t> a mlkg:Table ; mlkg:name "t" ; mlkg:hasColumn <{BASE}column/t.c> .
        <{BASE}column/t.c> a mlkg:Column ; mlkg:name "c" ; mlkg:tag <{BASE}tag/PII.Sensitive> .
        <{BASE}tag/PII.Sensitive> a mlkg:Tag ; mlkg:tagFQN "PII.Sensitive" ;
            mlkg:classification <{BASE}classification/PII> .
        <{BASE}classification/PII> a mlkg:Classification ; mlkg:name "PII" .
        """,
    )
    assert isomorphic(stored, expected)


def test_another_base_iri_mints_under_it(store: Store, make_source: Any) -> None:
    other = Ingestor(minter=IriMinter.from_ontology(base="https://catalog.example.com/id/"), max_bytes=1024)
    report = other.ingest(store=store, sources=[make_source(json.dumps({"type": "team", "name": "ds"}))])
    assert report.entities == [URIRef("https://catalog.example.com/id/team/ds")]
