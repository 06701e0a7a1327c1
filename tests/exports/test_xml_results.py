"""SPARQL XML results are well-formed and exact whoever writes them (mlkg's writer for the CLI and named
queries, pyoxigraph's for /sparql): a carriage return reads back as a carriage return, and a character XML 1.0
cannot carry is a clear error, never a document no parser reads (issue 12 and 13)."""

from __future__ import annotations

import xml.dom.minidom
import xml.etree.ElementTree as ET

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient
from rdflib import Literal, URIRef

from mlkg.api import create_app
from mlkg.config import MEMORY_STORE, Settings
from mlkg.errors import NotAcceptableError
from mlkg.exports.results import ResultsFormat, serialize_results
from mlkg.store.base import SelectResult
from mlkg.store.oxigraph import OxigraphStore

NS = "{http://www.w3.org/2005/sparql-results#}"
EXACT = ["line1\r\nline2", "tab\there", "a & b < c > d \"e\" 'f'", "\u00e9\U0001f600"]


def _literals_read_by_two_parsers(document: bytes) -> list[str]:
    by_etree = [e.text or "" for e in ET.fromstring(document).iter(NS + "literal")]
    dom = xml.dom.minidom.parseString(document)
    by_dom = ["".join(n.data for n in e.childNodes) for e in dom.getElementsByTagName("literal")]
    assert by_etree == by_dom
    results = ox.parse_query_results(document, format=ox.QueryResultsFormat.XML)
    by_oxigraph = [s["o"].value for s in results]  # type: ignore[index,union-attr]
    assert by_oxigraph == by_etree
    return by_etree


def test_mlkg_writer_keeps_every_character_xml_can_carry() -> None:
    result = SelectResult(variables=["o"], rows=[(Literal(v),) for v in EXACT])
    assert _literals_read_by_two_parsers(serialize_results(result=result, format=ResultsFormat.XML)) == EXACT


def test_mlkg_writer_refuses_what_xml_cannot_carry() -> None:
    result = SelectResult(variables=["o"], rows=[(Literal("a\x01b"),)])
    with pytest.raises(NotAcceptableError, match="U\\+0001"):
        serialize_results(result=result, format=ResultsFormat.XML)


@pytest.fixture
def client() -> TestClient:
    store = OxigraphStore(path=None)
    subject, predicate = URIRef("http://example.org/s"), URIRef("http://example.org/p")
    store.replace_graphs(graphs={subject: [(subject, predicate, Literal(v)) for v in EXACT]})
    return TestClient(create_app(Settings(store=MEMORY_STORE), store=store))


def test_sparql_endpoint_xml_is_exact(client: TestClient) -> None:
    query = "SELECT ?o WHERE { ?s <http://example.org/p> ?o }"
    response = client.get(
        "/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+xml"}
    )
    assert response.status_code == 200
    assert sorted(_literals_read_by_two_parsers(response.content)) == sorted(EXACT)


def test_sparql_endpoint_refuses_xml_it_cannot_write(client: TestClient) -> None:
    query = 'SELECT ?o WHERE { BIND("a\\u0001b" AS ?o) }'
    response = client.get(
        "/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+xml"}
    )
    assert response.status_code == 406
    assert "U+0001" in response.json()["message"]
    as_json = client.get(
        "/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"}
    )
    assert as_json.status_code == 200
