"""The embedded store's native results serialisation (the HTTP fast path) says what ``query`` says."""

from __future__ import annotations

import csv
import io
import json

import pytest
from rdflib import Literal, URIRef

from mlkg.errors import QueryError, QueryTimeoutError
from mlkg.exports.results import ResultsFormat, serialize_results
from mlkg.store.base import GraphResult, SelectResult
from mlkg.store.oxigraph import OxigraphStore

DATA = """INSERT DATA {
GRAPH <urn:g1> { <urn:a> <urn:p> "x\\ny, \\"z\\"" ; <urn:p> 3 . <urn:a> <urn:q> _:b . }
GRAPH <urn:g2> { <urn:b> <urn:p> "chat"@fr } }"""


@pytest.fixture
def filled() -> OxigraphStore:
    store = OxigraphStore(path=None)
    store.update(update=DATA)
    return store


def test_json_and_csv_say_what_query_says(filled: OxigraphStore) -> None:
    query = "SELECT ?s ?o WHERE { ?s <urn:p> ?o } ORDER BY ?s ?o"
    expected = filled.query(query=query)
    assert isinstance(expected, SelectResult)
    native = filled.query_serialized(query=query, results_format=lambda: "application/sparql-results+json")
    assert isinstance(native, bytes)
    ours = serialize_results(result=expected, format=ResultsFormat.JSON)
    assert json.loads(native) == json.loads(ours)
    as_csv = filled.query_serialized(query=query, results_format=lambda: "text/csv")
    assert isinstance(as_csv, bytes)
    ours_csv = serialize_results(result=expected, format=ResultsFormat.CSV)
    assert list(csv.reader(io.StringIO(as_csv.decode()))) == list(csv.reader(io.StringIO(ours_csv.decode())))


def test_bindings_dataset_and_ask(filled: OxigraphStore) -> None:
    query = "SELECT ?s ?o WHERE { ?s <urn:p> ?o }"
    bound = filled.query_serialized(
        query=query,
        results_format=lambda: "application/sparql-results+json",
        bindings={"s": URIRef("urn:b")},
    )
    assert isinstance(bound, bytes)
    rows = json.loads(bound)["results"]["bindings"]
    assert [r["o"]["value"] for r in rows] == ["chat"]
    only_g2 = filled.query_serialized(
        query="ASK { <urn:a> ?p ?o }",
        results_format=lambda: "application/sparql-results+json",
        default_graphs=[URIRef("urn:g2")],
    )
    assert json.loads(only_g2) == {"head": {}, "boolean": False}


def test_construct_comes_back_as_triples(filled: OxigraphStore) -> None:
    found = filled.query_serialized(
        query="CONSTRUCT { ?s <urn:r> ?o } WHERE { ?s <urn:p> ?o }",
        results_format=lambda: "application/sparql-results+json",
    )
    assert isinstance(found, GraphResult)
    assert (URIRef("urn:b"), URIRef("urn:r"), Literal("chat", lang="fr")) in found.triples


def test_errors_and_deadline(filled: OxigraphStore) -> None:
    with pytest.raises(QueryError, match="malformed"):
        filled.query_serialized(query="SELECT WHERE", results_format=lambda: "text/csv")
    with pytest.raises(QueryError, match="SERVICE"):
        filled.query_serialized(
            query="SELECT * { SERVICE <http://x.org/> { ?s ?p ?o } }", results_format=lambda: "text/csv"
        )
    filled.update(update="INSERT DATA { " + " ".join(f"<urn:n{i}> <urn:p> {i} ." for i in range(2000)) + " }")
    with pytest.raises(QueryTimeoutError):
        filled.query_serialized(
            query="SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }", results_format=lambda: "text/csv", timeout=0.2
        )
