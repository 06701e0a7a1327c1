"""`mlkg serve` on a remote backend (issue 5): the HTTP service over a SPARQL engine answers as over the
embedded store, and its writes keep the engine's inferred graph correct."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from tests.api.conftest import AUTH, TOKEN
from tests.remote_server import OxigraphServer

from mlkg.api import create_app

ID = "http://localhost:8000/id/"
CUSTOMERS = f"{ID}table/postgres_prod.ecommerce.public.customers"
SCORES = f"{ID}table/snowflake.prod.churn_scores"
PATHS = [
    f"/queries/downstream?entity={quote(CUSTOMERS)}",
    f"/queries/downstream-summary?entity={quote(CUSTOMERS)}",
    f"/queries/raw-sources?entity={quote(SCORES)}",
    "/queries/models-using-sensitive-data",
    f"/lineage?entity={quote(CUSTOMERS)}&direction=downstream",
    f"/lineage?entity={quote(SCORES)}&direction=upstream",
    "/sparql?query="
    + quote("SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE { ?m a <https://w3id.org/mlkg#Model> }"),
]


def unordered(document: Any) -> Any:
    if isinstance(document, dict) and "edges" in document:
        return {k: sorted(map(json.dumps, v)) if k in ("edges", "nodes") else v for k, v in document.items()}
    return document


@pytest.fixture(scope="module")
def remote_client(fresh_remote: OxigraphServer) -> Iterator[TestClient]:
    """``mlkg serve --demo`` on a fresh Oxigraph server."""
    with TestClient(create_app(fresh_remote.settings(write_token=TOKEN), demo=True)) as client:
        yield client


@pytest.mark.parametrize("path", PATHS)
def test_reads_answer_the_same_as_the_embedded_store(
    remote_client: TestClient, demo_client: TestClient, path: str
) -> None:
    remote = remote_client.get(path)
    embedded = demo_client.get(path)
    assert remote.status_code == embedded.status_code == 200
    assert remote.headers["content-type"] == embedded.headers["content-type"]
    # the embedded store writes SPARQL JSON itself, the remote one through rdflib: same JSON, other spacing;
    # /lineage lists nodes and edges in the order the store yields them
    assert unordered(remote.json()) == unordered(embedded.json())
    assert len(remote.content) > 50


BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_web_pages_answer_the_same_as_on_the_embedded_store(
    remote_client: TestClient, demo_client: TestClient
) -> None:
    """The pages read through the Catalog and Store API only (issue 17, point 5): the same summaries, and the
    same pages up to the order of what the store yields. (Before the tests below write to the engine.)"""
    assert remote_client.get("/").json()["entities"] == demo_client.get("/").json()["entities"]
    impact = {c: c.get("/impact", params={"entity": CUSTOMERS}).json() for c in (remote_client, demo_client)}
    remote, embedded = impact[remote_client], impact[demo_client]
    assert remote["count"] == embedded["count"] > 0
    assert {o["name"] for o in remote["owners"]} == {o["name"] for o in embedded["owners"]}
    for path in ("/", "/id/model/mlflow_prod.customer_churn_predictor", f"/impact?entity={quote(CUSTOMERS)}"):
        pages = [c.get(path, headers=BROWSER) for c in (remote_client, demo_client)]
        assert [p.status_code for p in pages] == [200, 200], path
        assert all(p.headers["content-type"].startswith("text/html") for p in pages)
        if path.startswith("/id/"):
            assert sorted(pages[0].text.splitlines()) == sorted(pages[1].text.splitlines())
    table = remote_client.get(f"/queries/downstream?entity={quote(CUSTOMERS)}", headers=BROWSER).text
    assert '<table class="results">' in table
    assert 'href="/id/model/mlflow_prod.customer_churn_predictor"' in table


def test_an_upload_over_http_keeps_the_engines_inferred_graph_correct(remote_client: TestClient) -> None:
    dashboard = {
        "type": "dashboard",
        "name": "churn_watch",
        "fullyQualifiedName": "superset.churn_watch",
        "readsFrom": [{"type": "predictionTable", "fullyQualifiedName": "snowflake.prod.churn_scores"}],
    }
    created = remote_client.post("/entities", json=dashboard, headers=AUTH)
    assert created.status_code == 201, created.text
    found = remote_client.get(
        f"/queries/downstream?entity={quote(CUSTOMERS)}", headers={"Accept": "text/csv"}
    )
    assert f"{ID}dashboard/superset.churn_watch" in found.text
