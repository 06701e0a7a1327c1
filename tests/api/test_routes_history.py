"""Entity history over HTTP, as a client reads and drives it: versions, one version as RDF or JSON, diff,
restore and soft / hard delete under the entity's own IRI (issue 14, points 3 to 5)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import rdflib
from fastapi.testclient import TestClient
from rdflib.compare import isomorphic
from tests.api.conftest import AUTH

CHURN = "/id/model/mlflow.churn"
ORDERS = "pg.shop.public.orders"
MODEL: dict[str, Any] = {
    "type": "mlmodel",
    "name": "churn",
    "fullyQualifiedName": "mlflow.churn",
    "description": "Who will leave.",
    "algorithm": "XGBoost",
    "mlFeatures": [
        {
            "name": "amount",
            "dataType": "numerical",
            "featureSources": [
                {
                    "name": "amount",
                    "dataType": "number",
                    "dataSource": {"type": "column", "fullyQualifiedName": f"{ORDERS}.amount"},
                }
            ],
        }
    ],
}
TABLE = {
    "type": "table",
    "name": "orders",
    "fullyQualifiedName": ORDERS,
    "columns": [{"name": "amount", "dataType": "DECIMAL"}],
}


def post(client: TestClient, *documents: dict[str, Any]) -> None:
    answer = client.post("/entities", json=list(documents), headers=AUTH)
    assert answer.status_code in (200, 201), answer.text


def with_changes(**fields: Any) -> dict[str, Any]:
    changed = copy.deepcopy(MODEL)
    changed.update(fields)
    return changed


def impact_kinds(client: TestClient) -> set[str]:
    answer = client.get("/lineage", params={"entity": ORDERS})
    assert answer.status_code == 200, answer.text
    return {node["kind"] for node in answer.json()["nodes"]}


def test_versions_diff_and_one_version(client: TestClient) -> None:
    post(client, TABLE, MODEL)
    post(client, TABLE, MODEL)  # identical: no version
    post(client, with_changes(algorithm="LightGBM"))
    listed = client.get(f"{CHURN}/versions")
    assert listed.status_code == 200
    body = listed.json()
    assert body["entity"] == "http://localhost:8000/id/model/mlflow.churn"
    assert [(v["version"], v["changeType"], v["updatedBy"]) for v in body["versions"]] == [
        # the request's principal: the write token stands for the admin principal "write-token"
        ("1.1", "major", "write-token"),
        ("0.1", "created", "write-token"),
    ]
    assert body["versions"][0]["changeDescription"]["fieldsUpdated"] == [
        {"name": "algorithm", "oldValue": "XGBoost", "newValue": "LightGBM"}
    ]

    diff = client.get(f"{CHURN}/versions/0.1/diff/1.1")
    assert diff.status_code == 200
    assert diff.json()["changeDescription"]["fieldsUpdated"][0]["name"] == "algorithm"

    turtle = client.get(f"{CHURN}/versions/0.1", headers={"Accept": "text/turtle"})
    assert turtle.status_code == 200 and turtle.headers["content-type"].startswith("text/turtle")
    old = rdflib.Graph().parse(data=turtle.text, format="turtle")
    assert tuple(str(o) for o in old.objects(None, rdflib.URIRef("https://w3id.org/mlkg#algorithm"))) == (
        "XGBoost",
    )
    stored = client.get("/store", params={"graph": body["entity"]}, headers={"Accept": "text/turtle"})
    current = client.get(f"{CHURN}/versions/1.1", params={"format": "ttl"})
    now = rdflib.Graph().parse(data=stored.text, format="turtle")
    assert isomorphic(rdflib.Graph().parse(data=current.text, format="turtle"), now)
    # dereferencing the entity shows its current version too
    page = rdflib.Graph().parse(
        data=client.get(CHURN, headers={"Accept": "text/turtle"}).text, format="turtle"
    )
    assert (
        str(page.value(rdflib.URIRef(body["entity"]), rdflib.URIRef("https://w3id.org/mlkg#entityVersion")))
        == "1.1"
    )

    as_json = client.get(f"{CHURN}/versions/0.1", headers={"Accept": "application/json"})
    assert as_json.status_code == 200 and as_json.headers["content-type"] == "application/json"
    shown = as_json.json()
    assert (shown["version"], shown["changeType"]) == ("0.1", "created")
    graph = rdflib.Graph().parse(data=json.dumps(shown["description"]), format="json-ld")
    assert isomorphic(graph, old)


def test_unknown_entity_or_version_is_a_clean_4xx(client: TestClient) -> None:
    post(client, TABLE, MODEL)
    for path, status in [
        ("/id/model/nothing/versions", 404),
        (f"{CHURN}/versions/9.9", 404),
        (f"{CHURN}/versions/latest", 400),
        (f"{CHURN}/versions/0.1/diff/banana", 400),
    ]:
        answer = client.get(path, headers={"Accept": "application/json"})
        assert answer.status_code == status, (path, answer.text)
        assert answer.json()["message"]


def test_soft_delete_restore_and_hard_delete(client: TestClient) -> None:
    post(client, TABLE, MODEL)
    assert "model" in impact_kinds(client)
    assert client.delete(CHURN).status_code == 401  # writes need the token
    assert client.delete(CHURN, headers=AUTH).json() == {
        "entity": "http://localhost:8000/id/model/mlflow.churn",
        "deleted": True,
        "hard": False,
    }
    assert "model" not in impact_kinds(client)
    gone = client.get(CHURN, headers={"Accept": "text/turtle"})
    assert gone.status_code == 410, gone.text  # deleted, and said so: what to restore is in the message
    assert "/versions/0.1/restore" in gone.json()["message"]
    versions = client.get(f"{CHURN}/versions").json()["versions"]
    assert (versions[0]["version"], versions[0]["deleted"]) == ("0.2", True)

    restored = client.post(f"{CHURN}/versions/0.1/restore", headers=AUTH)
    assert restored.status_code == 200, restored.text
    assert restored.json()["version"] == "0.3"
    assert "model" in impact_kinds(client)
    assert client.get(CHURN, headers={"Accept": "text/turtle"}).status_code == 200

    assert client.delete(CHURN, params={"hardDelete": "true"}, headers=AUTH).json()["hard"] is True
    assert client.get(f"{CHURN}/versions").status_code == 404
    assert client.delete(CHURN, headers=AUTH).status_code == 404


def test_a_graph_store_put_keeps_the_graph_exact_and_versions_it(client: TestClient) -> None:
    graph = "http://localhost:8000/id/pipeline/dbt.build"
    turtle = f'<{graph}> a <https://w3id.org/mlkg#Pipeline> ; <https://w3id.org/mlkg#name> "build" .'
    headers = {**AUTH, "Content-Type": "text/turtle"}
    assert client.put("/store", params={"graph": graph}, content=turtle, headers=headers).status_code == 201
    got = client.get("/store", params={"graph": graph}, headers={"Accept": "text/turtle"})
    assert isomorphic(rdflib.Graph().parse(data=got.text, format="turtle"), rdflib.Graph().parse(data=turtle))
    again = turtle.replace('"build"', '"build all"')
    assert client.put("/store", params={"graph": graph}, content=again, headers=headers).status_code == 204
    versions = client.get("/id/pipeline/dbt.build/versions").json()["versions"]
    assert [v["version"] for v in versions] == ["0.2", "0.1"]


class Clock:
    """Versions one minute apart, from a known instant."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def test_as_of_reads_the_catalog_as_it_was(client: TestClient) -> None:
    client.app.state.mlkg.catalog.history.clock = Clock()  # type: ignore[attr-defined]
    post(client, TABLE, MODEL)  # 12:01
    post(client, with_changes(algorithm="LightGBM"))  # 12:02
    assert client.delete(CHURN, headers=AUTH).status_code == 200  # 12:03
    table = "http://localhost:8000/id/table/pg.shop.public.orders"

    def downstream(at: str | None) -> set[str]:
        params = {"entity": table, **({} if at is None else {"asOf": at})}
        answer = client.get("/queries/downstream", params=params)
        assert answer.status_code == 200, answer.text
        return {row["asset"]["value"] for row in answer.json()["results"]["bindings"]}

    model = "http://localhost:8000/id/model/mlflow.churn"
    assert model not in downstream(None)
    assert model in downstream("2026-03-01T12:01:30Z")
    assert model not in downstream("2026-03-01T12:03:30Z")
    nodes = client.get("/lineage", params={"entity": ORDERS, "asOf": "2026-03-01T12:02:30+00:00"}).json()[
        "nodes"
    ]
    assert model in {n["id"] for n in nodes}

    then = client.get(CHURN, params={"asOf": "2026-03-01T12:01:30", "format": "ttl"})  # no zone: UTC
    assert then.status_code == 200, then.text
    assert "XGBoost" in then.text and "LightGBM" not in then.text
    later = client.get(CHURN, params={"asOf": "2026-03-01T12:02:30Z", "format": "ttl"})
    assert "LightGBM" in later.text
    assert client.get(CHURN, params={"asOf": "2026-03-01T12:00:00Z"}).status_code == 404  # not yet there
    bad = client.get("/queries/downstream", params={"entity": table, "asOf": "last tuesday"})
    assert bad.status_code == 400 and bad.json()["where"] == "asOf"


def test_merge_uploads(client: TestClient) -> None:
    post(client, TABLE, MODEL)
    partial = {"type": "mlmodel", "fullyQualifiedName": "mlflow.churn", "description": "Who will churn."}
    replaced = client.post("/entities", json=[partial], headers=AUTH)
    assert replaced.status_code == 422  # alone, it is not a whole model: nothing changes
    merged = client.post("/entities", params={"mode": "merge"}, json=[partial], headers=AUTH)
    assert merged.status_code == 201, merged.text
    graph = rdflib.Graph().parse(data=client.get(CHURN, params={"format": "ttl"}).text, format="turtle")
    mlkg = rdflib.Namespace("https://w3id.org/mlkg#")
    assert {str(o) for o in graph.objects(None, mlkg.description)} == {"Who will churn."}
    assert {str(o) for o in graph.objects(None, mlkg.algorithm)} == {"XGBoost"}
    lines = json.dumps(partial | {"description": "Once more."}) + "\n"
    streamed = client.post(
        "/entities",
        params={"mode": "merge"},
        content=lines,
        headers={**AUTH, "Content-Type": "application/x-ndjson"},
    )
    assert streamed.status_code == 201, streamed.text
    versions = client.get(f"{CHURN}/versions").json()["versions"]
    assert [v["version"] for v in versions] == ["0.3", "0.2", "0.1"]
    bad = client.post("/entities", params={"mode": "upsert"}, json=[partial], headers=AUTH)
    assert bad.status_code == 400 and bad.json()["where"]
