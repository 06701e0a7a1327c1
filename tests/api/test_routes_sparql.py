"""``/sparql``: the SPARQL 1.1 Protocol query operation, content negotiation and status codes."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest
import rdflib
from fastapi.testclient import TestClient
from tests.api.conftest import ClientFactory

from mlkg.vocab import INFERRED_GRAPH, SD

RAW_OF_CHURN_SCORES = """
PREFIX mlkg: <https://w3id.org/mlkg#>
SELECT DISTINCT ?raw WHERE {
  ?p mlkg:fullyQualifiedName "snowflake.prod.churn_scores" .
  GRAPH <https://w3id.org/mlkg/graph/inferred> { ?p mlkg:upstream ?raw }
  ?raw a mlkg:Table .
  FILTER NOT EXISTS { GRAPH <https://w3id.org/mlkg/graph/inferred> { ?raw mlkg:upstream ?up } }
} ORDER BY ?raw
"""
RAW_TABLES = [
    "http://localhost:8000/id/table/postgres_prod.ecommerce.public.customers",
    "http://localhost:8000/id/table/postgres_prod.ecommerce.public.orders",
]
CHURN = "http://localhost:8000/id/model/mlflow_prod.customer_churn_predictor"


def _bindings(response) -> list[str]:
    return [row["raw"]["value"] for row in response.json()["results"]["bindings"]]


def test_get_query_answers_sparql_results_json_by_default(demo_client: TestClient) -> None:
    response = demo_client.get("/sparql", params={"query": RAW_OF_CHURN_SCORES})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/sparql-results+json")
    assert _bindings(response) == RAW_TABLES


def test_post_form_and_post_sparql_query_give_the_same_answer(demo_client: TestClient) -> None:
    form = demo_client.post("/sparql", data={"query": RAW_OF_CHURN_SCORES})
    direct = demo_client.post(
        "/sparql", content=RAW_OF_CHURN_SCORES, headers={"Content-Type": "application/sparql-query"}
    )
    assert form.status_code == direct.status_code == 200
    assert _bindings(form) == _bindings(direct) == RAW_TABLES


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("application/json", "application/sparql-results+json"),
        ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
        ("text/*;q=0.8, application/sparql-results+json;q=0.1", "text/csv"),
        ("*/*", "application/sparql-results+json"),
    ],
)
def test_select_results_follow_accept_with_q_values(
    demo_client: TestClient, accept: str, expected: str
) -> None:
    response = demo_client.get("/sparql", params={"query": RAW_OF_CHURN_SCORES}, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == expected
    if expected == "text/csv":
        rows = list(csv.reader(io.StringIO(response.text)))
        assert rows == [["raw"], *([t] for t in RAW_TABLES)]
    if expected == "application/sparql-results+xml":
        ns = {"r": "http://www.w3.org/2005/sparql-results#"}
        uris = [u.text for u in ET.fromstring(response.content).findall(".//r:uri", ns)]
        assert uris == RAW_TABLES


def test_ask(demo_client: TestClient) -> None:
    query = f"ASK {{ GRAPH <{INFERRED_GRAPH}> {{ <{CHURN}> <https://w3id.org/mlkg#upstream> ?x }} }}"
    response = demo_client.get("/sparql", params={"query": query})
    assert response.json()["boolean"] is True


@pytest.mark.parametrize(
    ("accept", "rdflib_format"),
    [
        ("text/turtle", "turtle"),
        ("application/ld+json", "json-ld"),
        ("application/n-triples", "nt"),
        ("application/rdf+xml", "xml"),
        ("application/n-quads", "nquads"),
        ("application/trig", "trig"),
    ],
)
def test_construct_in_every_graph_format(demo_client: TestClient, accept: str, rdflib_format: str) -> None:
    query = f"CONSTRUCT {{ <{CHURN}> ?p ?o }} WHERE {{ GRAPH <{CHURN}> {{ <{CHURN}> ?p ?o }} }}"
    response = demo_client.get("/sparql", params={"query": query}, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == accept
    graph = rdflib.Dataset() if rdflib_format in ("nquads", "trig") else rdflib.Graph()
    graph.parse(data=response.text, format=rdflib_format)
    names = {str(o) for _, p, o, *_ in graph if str(p) == "https://w3id.org/mlkg#name"}
    assert names == {"customer_churn_predictor"}


def test_unsatisfiable_accept_is_406_with_the_available_types(demo_client: TestClient) -> None:
    response = demo_client.get("/sparql", params={"query": "ASK {}"}, headers={"Accept": "image/png"})
    assert response.status_code == 406
    body = response.json()
    assert "application/sparql-results+json" in body["message"]
    refused = demo_client.get("/sparql", params={"query": "ASK {}"}, headers={"Accept": "*/*;q=0"})
    assert refused.status_code == 406


def test_malformed_query_is_400_with_the_parser_message(demo_client: TestClient) -> None:
    response = demo_client.get("/sparql", params={"query": "SELECT ?x WHERE { ?x ?p }"})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "query"
    assert "malformed SPARQL query" in body["message"]


def test_update_sent_to_the_query_endpoint_is_refused(client: TestClient) -> None:
    update = "INSERT DATA { <urn:a> <urn:b> <urn:c> }"
    for response in (
        client.post("/sparql", data={"update": update}),
        client.post("/sparql", content=update, headers={"Content-Type": "application/sparql-update"}),
        client.get("/sparql", params={"query": update}),
    ):
        assert response.status_code == 400, response.text
    assert client.get("/sparql", params={"query": "ASK { <urn:a> ?p ?o }"}).json()["boolean"] is False


def test_unsupported_body_type_is_415(demo_client: TestClient) -> None:
    response = demo_client.post("/sparql", content="ASK {}", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    assert "application/sparql-query" in response.json()["message"]


def test_query_given_twice_is_400(demo_client: TestClient) -> None:
    response = demo_client.get("/sparql?query=ASK%20%7B%7D&query=ASK%20%7B%7D")
    assert response.status_code == 400


def test_dataset_parameters_select_the_default_and_named_graphs(demo_client: TestClient) -> None:
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s <https://w3id.org/mlkg#name> ?o }"
    only_churn = demo_client.get("/sparql", params={"query": count, "default-graph-uri": CHURN})
    everything = demo_client.get("/sparql", params={"query": count})
    n_churn = int(only_churn.json()["results"]["bindings"][0]["n"]["value"])
    n_all = int(everything.json()["results"]["bindings"][0]["n"]["value"])
    assert 0 < n_churn < n_all
    named = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    response = demo_client.get(
        "/sparql", params={"query": named, "named-graph-uri": [CHURN, str(INFERRED_GRAPH)]}
    )
    graphs = {row["g"]["value"] for row in response.json()["results"]["bindings"]}
    assert graphs == {CHURN, str(INFERRED_GRAPH)}


def test_relative_graph_uri_is_400(demo_client: TestClient) -> None:
    response = demo_client.get("/sparql", params={"query": "ASK {}", "default-graph-uri": "not an iri"})
    assert response.status_code == 400


def test_service_is_refused_so_no_request_makes_the_server_fetch(demo_client: TestClient) -> None:
    query = "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"
    response = demo_client.get("/sparql", params={"query": query})
    assert response.status_code == 400
    assert "SERVICE" in response.json()["message"]


def test_get_without_query_is_the_service_description(demo_client: TestClient) -> None:
    response = demo_client.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    endpoint = rdflib.URIRef("http://testserver/sparql")
    assert (endpoint, rdflib.RDF.type, SD.Service) in graph
    assert (endpoint, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert (endpoint, SD.feature, SD.UnionDefaultGraph) in graph


def test_timeout_parameter_must_be_positive(demo_client: TestClient) -> None:
    response = demo_client.get("/sparql", params={"query": "ASK {}", "timeout": "-1"})
    assert response.status_code == 400


def test_query_past_its_time_limit_is_503(make_client) -> None:
    client = make_client(demo=True)
    # Millions of rows: the engine streams them, so the deadline stops the worker thread too.
    heavy = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"
    response = client.get("/sparql", params={"query": heavy, "timeout": "0.2"})
    assert response.status_code == 503
    assert response.json()["error"] == "querytimeout"


def test_cors_lets_configured_browser_clients_query(make_client: ClientFactory) -> None:
    client = make_client(cors_origins=["https://yasgui.example"])
    response = client.options(
        "/sparql",
        headers={"Origin": "https://yasgui.example", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://yasgui.example"
    got = client.get("/sparql", params={"query": "ASK {}"}, headers={"Origin": "https://yasgui.example"})
    assert got.headers["access-control-allow-origin"] == "https://yasgui.example"
    other = client.get("/sparql", params={"query": "ASK {}"}, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_no_cross_origin_reads_unless_configured(demo_client: TestClient) -> None:
    """A page on another site must not read a local catalog through the visitor's browser."""
    for path in ("/sparql?query=ASK%20%7B%7D", "/health", "/export?format=nt"):
        got = demo_client.get(path, headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in got.headers, path


def test_json_results_are_valid_sparql_json(demo_client: TestClient) -> None:
    response = demo_client.get("/sparql", params={"query": "SELECT ?s WHERE { ?s ?p ?o } LIMIT 3"})
    document = json.loads(response.text)
    assert document["head"]["vars"] == ["s"]
    assert len(document["results"]["bindings"]) == 3


def test_the_fast_lane_leaves_other_methods_and_the_openapi_paths_alone(demo_client: TestClient) -> None:
    # /sparql's GET and POST skip FastAPI's stack; anything else still gets its answers.
    refused = demo_client.put("/sparql", content=b"ASK {}")
    assert refused.status_code == 405
    assert refused.json()["error"] == "http"
    paths = demo_client.get("/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths["/sparql"])
    head = demo_client.head("/sparql", params={"query": "ASK {}"})
    assert head.status_code == 200
    assert head.headers["content-type"] == "application/sparql-results+json"
