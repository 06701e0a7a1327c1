"""Writes over HTTP: ``/update``, the Graph Store Protocol at ``/store``, and the write token. Every write
keeps the inferred lineage graph equal to a recompute from scratch."""

from __future__ import annotations

import rdflib
from fastapi.testclient import TestClient
from rdflib.compare import isomorphic
from tests.api.conftest import AUTH, ClientFactory

from mlkg.reasoning.store import ReasonedStore
from mlkg.vocab import INFERRED_GRAPH, MLKG

UPSTREAM = str(MLKG.upstream)
T = "http://localhost:8000/id/table/"
SQL_UPDATE = {"Content-Type": "application/sparql-update", **AUTH}
TURTLE = {"Content-Type": "text/turtle", **AUTH}


def _ask(client: TestClient, query: str) -> bool:
    response = client.get("/sparql", params={"query": query})
    assert response.status_code == 200, response.text
    return bool(response.json()["boolean"])


def _inferred(client: TestClient) -> rdflib.Graph:
    response = client.get(
        "/store", params={"graph": str(INFERRED_GRAPH)}, headers={"Accept": "application/n-triples"}
    )
    graph = rdflib.Graph()
    if response.status_code == 200:
        graph.parse(data=response.text, format="nt")
    return graph


def _graph(client: TestClient, graph: str) -> rdflib.Graph:
    response = client.get("/store", params={"graph": graph}, headers={"Accept": "application/n-triples"})
    assert response.status_code == 200
    return rdflib.Graph().parse(data=response.text, format="nt")


def _assert_inferred_matches_recompute(client: TestClient) -> None:
    incremental = _inferred(client)
    store: ReasonedStore = client.app.state.mlkg.store  # type: ignore[attr-defined]
    store.recompute()
    assert isomorphic(incremental, _inferred(client))


def _lineage(a: str, b: str) -> str:
    return f"ASK {{ GRAPH <{INFERRED_GRAPH}> {{ <{a}> <{UPSTREAM}> <{b}> }} }}"


PIPELINE = f"""
@prefix mlkg: <https://w3id.org/mlkg#> .
<http://localhost:8000/id/pipeline/dbt.build_b> a mlkg:Pipeline ; mlkg:name "build_b" ;
    mlkg:readsFrom <{T}pg.a> ; mlkg:writesTo <{T}pg.b> .
"""


def test_update_needs_the_token(client: TestClient) -> None:
    update = "INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:b> <urn:c> } }"
    missing = client.post("/update", content=update, headers={"Content-Type": "application/sparql-update"})
    assert missing.status_code == 401
    assert missing.headers.get_list("www-authenticate") == ['Basic realm="mlkg"', 'Bearer realm="mlkg"']
    wrong = client.post(
        "/update",
        content=update,
        headers={"Content-Type": "application/sparql-update", "Authorization": "Bearer x"},
    )
    assert wrong.status_code == 401
    assert "s3cret" not in wrong.text
    assert not _ask(client, "ASK { <urn:a> ?p ?o }")
    assert client.post("/update", content=update, headers=SQL_UPDATE).status_code == 204
    assert _ask(client, "ASK { <urn:a> ?p ?o }")


def test_writes_are_open_without_a_configured_token(make_client: ClientFactory) -> None:
    client = make_client(token=None)
    response = client.post("/update", data={"update": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"})
    assert response.status_code == 204
    assert _ask(client, "ASK { <urn:a> <urn:b> <urn:c> }")


def test_update_keeps_the_inferred_graph_correct(client: TestClient) -> None:
    insert = f"""PREFIX mlkg: <https://w3id.org/mlkg#>
    INSERT DATA {{ GRAPH <http://localhost:8000/id/pipeline/p> {{
        <http://localhost:8000/id/pipeline/p> a mlkg:Pipeline ;
            mlkg:readsFrom <{T}a> ; mlkg:writesTo <{T}b> }} }}"""
    assert client.post("/update", content=insert, headers=SQL_UPDATE).status_code == 204
    assert _ask(client, _lineage(f"{T}b", f"{T}a"))
    _assert_inferred_matches_recompute(client)
    delete = "DROP GRAPH <http://localhost:8000/id/pipeline/p>"
    assert client.post("/update", content=delete, headers=SQL_UPDATE).status_code == 204
    assert not _ask(client, _lineage(f"{T}b", f"{T}a"))
    _assert_inferred_matches_recompute(client)


def test_update_errors(client: TestClient) -> None:
    malformed = client.post("/update", content="INSERT DATA { <urn:a> }", headers=SQL_UPDATE)
    assert malformed.status_code == 400
    load = client.post("/update", content="LOAD <http://example.org/data.ttl>", headers=SQL_UPDATE)
    assert load.status_code == 400
    assert "LOAD" in load.json()["message"]
    inferred = client.post(
        "/update",
        content=f"INSERT DATA {{ GRAPH <{INFERRED_GRAPH}> {{ <urn:a> <urn:b> <urn:c> }} }}",
        headers=SQL_UPDATE,
    )
    assert inferred.status_code == 400
    query = client.post("/update", data={"query": "ASK {}"}, headers=AUTH)
    assert query.status_code == 400
    wrong_type = client.post("/update", content="x", headers={"Content-Type": "text/plain", **AUTH})
    assert wrong_type.status_code == 415
    assert not _ask(
        client,
        "ASK { ?s ?p ?o FILTER(?s != <urn:none>) FILTER(!STRSTARTS(STR(?s), 'https://w3id.org/mlkg')) }",
    )


def test_graph_store_put_get_post_delete_a_named_graph(client: TestClient) -> None:
    graph = "http://localhost:8000/id/pipeline/dbt.build_b"
    created = client.put("/store", params={"graph": graph}, content=PIPELINE, headers=TURTLE)
    assert created.status_code == 201
    assert client.put("/store", params={"graph": graph}, content=PIPELINE, headers=TURTLE).status_code == 204
    got = client.get("/store", params={"graph": graph}, headers={"Accept": "text/turtle"})
    assert got.status_code == 200
    assert isomorphic(
        rdflib.Graph().parse(data=got.text, format="turtle"), rdflib.Graph().parse(data=PIPELINE)
    )
    assert client.head("/store", params={"graph": graph}).status_code == 200
    assert _ask(client, _lineage(f"{T}pg.b", f"{T}pg.a"))

    extra = f"<{graph}> <https://w3id.org/mlkg#readsFrom> <{T}pg.c> ."
    assert client.post("/store", params={"graph": graph}, content=extra, headers=TURTLE).status_code == 204
    assert _ask(client, _lineage(f"{T}pg.b", f"{T}pg.c"))
    assert _ask(client, _lineage(f"{T}pg.b", f"{T}pg.a")), "POST merges, it does not replace"
    _assert_inferred_matches_recompute(client)

    assert client.delete("/store", params={"graph": graph}, headers=AUTH).status_code == 204
    assert client.get("/store", params={"graph": graph}).status_code == 404
    assert client.head("/store", params={"graph": graph}).status_code == 404
    assert client.delete("/store", params={"graph": graph}, headers=AUTH).status_code == 404
    assert not _ask(client, _lineage(f"{T}pg.b", f"{T}pg.a"))
    _assert_inferred_matches_recompute(client)


def test_graph_store_default_graph(client: TestClient) -> None:
    def default_graph() -> rdflib.Graph:
        got = client.get("/store?default", headers={"Accept": "application/n-triples"})
        assert got.status_code == 200
        return rdflib.Graph().parse(data=got.text, format="nt")

    triple = "<urn:a> <urn:b> <urn:c> ."
    assert client.put("/store?default", content=triple, headers=TURTLE).status_code == 204
    assert isomorphic(default_graph(), rdflib.Graph().parse(data=triple, format="nt"))
    assert (
        client.post("/store?default", content="<urn:a> <urn:b> <urn:d> .", headers=TURTLE).status_code == 204
    )
    assert len(default_graph()) == 2
    assert client.delete("/store?default", headers=AUTH).status_code == 204
    assert len(default_graph()) == 0


def test_graph_store_errors_leave_the_store_unchanged(client: TestClient) -> None:
    graph = "http://localhost:8000/id/pipeline/dbt.build_b"
    assert client.put("/store", params={"graph": graph}, content=PIPELINE, headers=TURTLE).status_code == 201
    before = _graph(client, graph)
    cases = [
        (client.put("/store", params={"graph": graph}, content="<urn:a> <urn:b> .", headers=TURTLE), 400),
        (
            client.put(
                "/store",
                params={"graph": graph},
                content="{}",
                headers={"Content-Type": "application/json", **AUTH},
            ),
            415,
        ),
        (
            client.put(
                "/store",
                params={"graph": graph},
                content=PIPELINE,
                headers={"Content-Type": "image/png", **AUTH},
            ),
            415,
        ),
        (
            client.put(
                "/store", params={"graph": graph}, content=PIPELINE, headers={"Content-Type": "text/turtle"}
            ),
            401,
        ),
        (client.put("/store", params={"graph": "relative"}, content=PIPELINE, headers=TURTLE), 400),
        (client.put("/store", params={"graph": graph, "default": ""}, content=PIPELINE, headers=TURTLE), 400),
        (client.put("/store", params={"graph": str(INFERRED_GRAPH)}, content=PIPELINE, headers=TURTLE), 400),
        (client.delete("/store", headers=AUTH), 400),
    ]
    for response, status in cases:
        assert response.status_code == status, response.text
        assert response.json()["message"]
    assert isomorphic(_graph(client, graph), before)


def test_graph_store_body_over_the_limit_is_413(make_client: ClientFactory) -> None:
    client = make_client(max_document_bytes=1000)
    body = '<urn:a> <urn:b> "' + "x" * 2000 + '" .'
    response = client.put("/store", params={"graph": "urn:g"}, content=body, headers=TURTLE)
    assert response.status_code == 413
    assert "1000" in response.json()["message"]
    assert client.get("/store", params={"graph": "urn:g"}).status_code == 404


def test_export_put_into_a_fresh_server_is_isomorphic(make_client: ClientFactory, same_dataset) -> None:
    source = make_client(demo=True)
    exported = source.get("/export", params={"format": "nq"})
    assert exported.status_code == 200
    target = make_client()
    loaded = target.put(
        "/store", content=exported.content, headers={"Content-Type": "application/n-quads", **AUTH}
    )
    assert loaded.status_code == 204, loaded.text
    again = target.get("/export", params={"format": "nq"})
    left, right = rdflib.Dataset(), rdflib.Dataset()
    left.parse(data=exported.text, format="nquads")
    right.parse(data=again.text, format="nquads")
    assert same_dataset(left, right)


def test_dataset_put_replaces_every_asserted_graph(make_client: ClientFactory) -> None:
    client = make_client(demo=True)
    body = "<urn:x> <urn:y> <urn:z> <urn:only-graph> ."
    response = client.put("/store", content=body, headers={"Content-Type": "application/n-quads", **AUTH})
    assert response.status_code == 204
    graphs = client.get(
        "/sparql", params={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"}
    ).json()
    names = {row["g"]["value"] for row in graphs["results"]["bindings"]}
    assert "urn:only-graph" in names
    assert not any(n.startswith("http://localhost:8000/id/") for n in names)
    assert not _ask(client, f"ASK {{ GRAPH <{INFERRED_GRAPH}> {{ ?a <{UPSTREAM}> ?b }} }}")
