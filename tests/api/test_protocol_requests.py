"""SPARQL 1.1 Protocol and Graph Store behaviours on both store backends (issue 13, point 2): an update's
protocol dataset (``using-graph-uri`` / ``using-named-graph-uri``, section 2.2.3), the request URL as base
IRI, and a graph created by POST to the Graph Store (section 5.5). The W3C tests themselves run in
``tests/w3c/``; these pin the details users rely on, with the inferred graph kept exact by every write."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from tests.api.conftest import AUTH, TOKEN

from mlkg.api import create_app
from mlkg.config import Settings

UPDATE = {"Content-Type": "application/sparql-update", **AUTH}
EX = "http://example.org/"
ID = "http://localhost:8000/id/"
INFERRED = "https://w3id.org/mlkg/graph/inferred"


@pytest.fixture
def client(open_settings: Callable[[], Settings]) -> Iterator[TestClient]:
    settings = open_settings().model_copy(update={"write_token": SecretStr(TOKEN)})
    with TestClient(create_app(settings)) as made:
        yield made


def ask(client: TestClient, query: str) -> bool:
    response = client.post("/sparql", content=query, headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 200, response.text
    return bool(response.json()["boolean"])


def update(client: TestClient, text: str, params: str = "") -> int:
    return client.post(f"/update{params}", content=text, headers=UPDATE).status_code


def seed(client: TestClient) -> None:
    graphs = f"GRAPH <{EX}g1> {{ <{EX}a> a <{EX}Doc> }} GRAPH <{EX}g2> {{ <{EX}b> a <{EX}Doc> }}"
    assert update(client, f"INSERT DATA {{ {graphs} }}") == 204


def test_using_graph_uri_is_the_default_graph_of_the_where_pattern(client: TestClient) -> None:
    seed(client)
    text = f"INSERT {{ GRAPH <{EX}out> {{ ?s a <{EX}Seen> }} }} WHERE {{ ?s a <{EX}Doc> }}"
    assert update(client, text, f"?using-graph-uri={quote(EX + 'g1', safe='')}") == 204
    assert ask(client, f"ASK {{ GRAPH <{EX}out> {{ <{EX}a> a <{EX}Seen> }} }}")
    assert not ask(client, f"ASK {{ GRAPH <{EX}out> {{ <{EX}b> a <{EX}Seen> }} }}")


def test_using_named_graph_uri_in_a_form_body_and_delete_where(client: TestClient) -> None:
    seed(client)
    form = {
        "update": f"DELETE WHERE {{ GRAPH ?g {{ ?s a <{EX}Doc> }} }}",
        "using-named-graph-uri": f"{EX}g2",
    }
    response = client.post("/update", data=form, headers=AUTH)
    assert response.status_code == 204, response.text
    # DELETE WHERE with a protocol dataset matches only in g2 (its WHERE), and deletes there.
    assert ask(client, f"ASK {{ GRAPH <{EX}g1> {{ <{EX}a> a <{EX}Doc> }} }}")
    assert not ask(client, f"ASK {{ GRAPH <{EX}g2> {{ <{EX}b> a <{EX}Doc> }} }}")


@pytest.mark.parametrize(
    "clause",
    [
        f"WITH <{EX}g1> INSERT {{ ?s a <{EX}X> }} WHERE {{ ?s ?p ?o }}",
        f"INSERT {{ ?s a <{EX}X> }} USING <{EX}g1> WHERE {{ ?s ?p ?o }}",
    ],
    ids=["WITH", "USING"],
)
def test_protocol_dataset_and_a_dataset_in_the_text_are_refused(client: TestClient, clause: str) -> None:
    response = client.post(
        f"/update?using-named-graph-uri={quote(EX + 'g2', safe='')}", content=clause, headers=UPDATE
    )
    assert response.status_code == 400
    assert response.json()["where"] == "using-graph-uri"
    assert not ask(client, f"ASK {{ ?s a <{EX}X> }}")


def test_a_protocol_dataset_cannot_open_mlkg_graphs_for_writing(client: TestClient) -> None:
    text = f"INSERT {{ GRAPH <{INFERRED}> {{ <{EX}a> <{EX}p> 1 }} }} WHERE {{}}"
    response = client.post(
        f"/update?using-graph-uri={quote(EX + 'g1', safe='')}", content=text, headers=UPDATE
    )
    assert response.status_code == 400
    assert not ask(client, f"ASK {{ GRAPH <{INFERRED}> {{ <{EX}a> ?p ?o }} }}")


def test_relative_iris_resolve_against_the_request_url(client: TestClient) -> None:
    assert update(client, f"INSERT DATA {{ GRAPH <{EX}base> {{ <{EX}s> <{EX}p> <thing> }} }}") == 204
    assert ask(client, f"ASK {{ GRAPH <{EX}base> {{ <{EX}s> <{EX}p> <http://testserver/thing> }} }}")
    construct = client.post(
        f"/sparql?default-graph-uri={quote(EX + 'no-such-graph', safe='')}",
        content="CONSTRUCT { <s> <p> 1 } WHERE {}",
        headers={"Content-Type": "application/sparql-query", "Accept": "application/n-triples"},
    )
    assert construct.status_code == 200, construct.text
    assert (
        construct.text.strip()
        == '<http://testserver/s> <http://testserver/p> "1"^^<http://www.w3.org/2001/XMLSchema#integer> .'
    )


def test_a_relative_base_in_the_text_resolves_against_the_request_url(client: TestClient) -> None:
    assert update(client, "BASE <sub/> INSERT DATA { GRAPH <http://example.org/b> { <s> <p> <o> } }") == 204
    assert ask(client, "ASK { GRAPH <http://example.org/b> { <http://testserver/sub/s> ?p ?o } }")


def test_post_to_the_graph_store_creates_a_graph_readable_at_its_location(client: TestClient) -> None:
    mlkg = "https://w3id.org/mlkg#"
    body = f"<{ID}model/svc.m> a <{mlkg}Model> ; <{mlkg}trainedOn> <{ID}table/db.t> ."
    response = client.post("/store", content=body, headers={"Content-Type": "text/turtle", **AUTH})
    assert response.status_code == 201, response.text
    location = response.headers["location"]
    assert location.startswith("http://testserver/store/")
    direct = client.get(location, headers={"Accept": "application/n-triples"})
    indirect = client.get("/store", params={"graph": location}, headers={"Accept": "application/n-triples"})
    assert direct.status_code == indirect.status_code == 200
    assert sorted(direct.text.splitlines()) == sorted(indirect.text.splitlines())
    assert len(direct.text.splitlines()) == 2
    # The write went through the reasoner: the lineage edge is in the inferred graph.
    assert ask(client, f"ASK {{ GRAPH <{INFERRED}> {{ <{ID}table/db.t> ?p <{ID}model/svc.m> }} }}")
    second = client.post("/store", content=body, headers={"Content-Type": "text/turtle", **AUTH})
    assert second.headers["location"] != location
    assert client.get("/store/no-such-graph").status_code == 404
