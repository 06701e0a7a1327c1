"""The audit trail over HTTP (docs/architecture.md, section 10): every write attempt, granted or denied, is
recorded with who, when, what, which entities, the outcome, the versions and the request id; ``GET /audit``
reads it for admins; the audit graph refuses every kind of write; only admins query it with SPARQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mlkg.access import Role
from mlkg.api import create_app
from mlkg.config import MEMORY_STORE, Settings
from mlkg.vocab import AUDIT_GRAPH, MLKG, PRINCIPALS_GRAPH

ID = "http://localhost:8000/id/"
TABLE = f"{ID}table/svc.db.sch.audited"
UPDATE = {"Content-Type": "application/sparql-update"}
TURTLE = {"Content-Type": "text/turtle"}


@pytest.fixture
def served() -> Iterator[tuple[TestClient, dict[Role, dict[str, str]]]]:
    app = create_app(Settings(store=MEMORY_STORE))
    principals = app.state.mlkg.catalog.principals
    headers = {
        role: {"Authorization": f"Bearer {principals.add(name=role.value, role=role)}"} for role in Role
    }
    with TestClient(app) as client:
        yield client, headers


def _audit(client: TestClient, admin: dict[str, str], **params: str) -> list[dict[str, Any]]:
    answer = client.get("/audit", params=params, headers=admin)
    assert answer.status_code == 200, answer.text
    attempts: list[dict[str, Any]] = answer.json()["attempts"]
    return attempts


def _audit_triples(client: TestClient) -> set[tuple[str, ...]]:
    access = client.app.state.mlkg.catalog.access_store  # type: ignore[attr-defined]
    return {tuple(map(str, q[:3])) for q in access.quads(graph=AUDIT_GRAPH)}


def test_granted_and_denied_attempts_are_recorded(
    served: tuple[TestClient, dict[Role, dict[str, str]]],
) -> None:
    client, headers = served
    scientist, admin = headers[Role.DATA_SCIENTIST], headers[Role.ADMIN]
    table = {"type": "table", "fullyQualifiedName": "svc.db.sch.audited", "name": "audited"}
    made = client.post("/entities", json=table, headers={**scientist, "X-Request-Id": "req-1"})
    assert made.status_code == 201 and made.headers["x-request-id"] == "req-1"
    changed = client.post("/entities", json={**table, "description": "Now described."}, headers=scientist)
    assert changed.status_code == 201
    generated = changed.headers["x-request-id"]
    assert len(generated) == 32  # none given: one is made and echoed
    assert client.delete("/id/table/svc.db.sch.audited", headers=scientist).status_code == 403
    assert client.post("/update", content="DROP ALL", headers=UPDATE).status_code == 401
    odd = client.get("/health", headers={"X-Request-Id": "bad id <script>"})  # invalid: replaced
    assert odd.headers["x-request-id"] != "bad id <script>"

    attempts = _audit(client, admin)
    summary = [(a["principal"], a["action"], a["outcome"], a["permission"]) for a in attempts]
    assert summary == [
        ("anonymous", "POST /update", "denied", "write"),
        ("data_scientist", "DELETE /id/table/svc.db.sch.audited", "denied", "delete"),
        ("data_scientist", "POST /entities", "granted", "write"),
        ("data_scientist", "POST /entities", "granted", "write"),
    ]
    second, first = attempts[2], attempts[3]
    assert first["requestId"] == "req-1" and second["requestId"] == generated
    assert first["entities"] == [TABLE] and first["versions"] == [
        {"entity": TABLE, "before": None, "after": "0.1"}
    ]
    assert second["versions"] == [{"entity": TABLE, "before": "0.1", "after": "0.2"}]
    assert "delete permission" in attempts[1]["detail"]
    assert all(a["at"].startswith("20") for a in attempts)

    assert len(_audit(client, admin, principal="data_scientist")) == 3
    assert [a["requestId"] for a in _audit(client, admin, entity=TABLE)] == [generated, "req-1"]
    assert _audit(client, admin, since="2999-01-01") == []
    bad = client.get("/audit", params={"since": "yesterday"}, headers=admin)
    assert bad.status_code == 400 and bad.json()["where"] == "since"
    assert client.get("/audit", headers=scientist).status_code == 403
    assert client.get("/audit").status_code == 401


def test_a_refused_deploy_is_recorded_with_its_entity(
    served: tuple[TestClient, dict[Role, dict[str, str]]],
) -> None:
    client, headers = served
    version = {
        "type": "modelVersion",
        "name": "v1",
        "fullyQualifiedName": "reg.churn.v1",
        "versionOf": {"type": "mlmodel", "fullyQualifiedName": "reg.churn"},
        "stage": "Production",
    }
    refused = client.post("/entities", json=version, headers=headers[Role.DATA_SCIENTIST])
    assert refused.status_code == 403 and "deploy permission" in refused.json()["message"]
    assert client.get("/id/modelVersion/reg.churn.v1").status_code == 404  # nothing written
    assert client.post("/entities", json=version, headers=headers[Role.ML_ENGINEER]).status_code == 201
    attempts = _audit(client, headers[Role.ADMIN])
    assert [(a["principal"], a["outcome"], a["permission"]) for a in attempts] == [
        ("ml_engineer", "granted", "deploy"),
        ("data_scientist", "denied", "deploy"),
    ]
    assert attempts[1]["entities"] == [f"{ID}version/reg.churn.v1"]


A, P = AUDIT_GRAPH, PRINCIPALS_GRAPH
WRITES_OF_THE_AUDIT_GRAPH = [
    ("PUT", f"/store?graph={AUDIT_GRAPH}", b"<urn:a> <urn:b> <urn:c> .", TURTLE),
    ("POST", f"/store?graph={AUDIT_GRAPH}", b"<urn:a> <urn:b> <urn:c> .", TURTLE),
    ("DELETE", f"/store?graph={AUDIT_GRAPH}", None, {}),
    ("PUT", f"/store?graph={PRINCIPALS_GRAPH}", b"<urn:a> <urn:b> <urn:c> .", TURTLE),
    ("POST", "/update", f"INSERT DATA {{ GRAPH <{A}> {{ <urn:a> <urn:b> <urn:c> }} }}".encode(), UPDATE),
    ("POST", "/update", f"DELETE WHERE {{ GRAPH <{AUDIT_GRAPH}> {{ ?s ?p ?o }} }}".encode(), UPDATE),
    ("POST", "/update", f"DROP GRAPH <{AUDIT_GRAPH}>".encode(), UPDATE),
    ("POST", "/update", f"CLEAR GRAPH <{AUDIT_GRAPH}>".encode(), UPDATE),
    ("POST", "/update", f"MOVE <{AUDIT_GRAPH}> TO <urn:t:moved>".encode(), UPDATE),
    ("POST", "/update", f"COPY <urn:t:x> TO <{AUDIT_GRAPH}>".encode(), UPDATE),
    ("POST", "/update", f"ADD <urn:t:x> TO <{AUDIT_GRAPH}>".encode(), UPDATE),
    ("POST", "/update", f"DELETE DATA {{ GRAPH <{P}> {{ <urn:a> <urn:b> <urn:c> }} }}".encode(), UPDATE),
]  # fmt: skip


def test_no_write_changes_the_audit_graph(served: tuple[TestClient, dict[Role, dict[str, str]]]) -> None:
    client, headers = served
    admin = headers[Role.ADMIN]
    client.put("/store?graph=urn:t:x", content=b"<urn:a> <urn:b> 1 .", headers={**TURTLE, **admin})
    for method, path, body, extra in WRITES_OF_THE_AUDIT_GRAPH:
        before = _audit_triples(client)
        answer = client.request(method, path, content=body, headers={**extra, **admin})
        assert answer.status_code == 403, (method, path, body, answer.text)
        assert "access control" in answer.json()["message"]
        assert before <= _audit_triples(client)  # only appended to: the refused attempt
    # an upload naming the audit graph as its entity, and an update that writes graphs it does not name
    upload = {"@context": "https://w3id.org/mlkg/context.jsonld", "@id": str(AUDIT_GRAPH), "@type": "Table",
              "name": "audit", "fullyQualifiedName": "x.audit"}  # fmt: skip
    before = _audit_triples(client)
    answer = client.post(
        "/entities", content=json.dumps(upload), headers={**admin, "Content-Type": "application/ld+json"}
    )
    assert answer.status_code == 403, answer.text
    for update in (
        "DROP ALL",
        "CLEAR ALL",
        "DROP NAMED",
        "INSERT { GRAPH ?g { <urn:a> <urn:b> 1 } } WHERE { GRAPH ?g { ?s ?p ?o } }",
    ):
        assert client.post("/update", content=update, headers={**UPDATE, **admin}).status_code == 204
    assert before <= _audit_triples(client)
    assert client.get("/principals", headers=admin).json()["principals"][0]["name"] == "admin"
    # JSON Patch cannot move an entity onto the audit graph: its @id does not change
    table = {"type": "table", "fullyQualifiedName": "svc.db.sch.t", "name": "t"}
    assert client.post("/entities", json=table, headers=admin).status_code == 201
    patch = [{"op": "replace", "path": "/@id", "value": str(AUDIT_GRAPH)}]
    patched = client.patch("/id/table/svc.db.sch.t", json=patch, headers=admin)
    assert patched.status_code in (400, 409), patched.text
    assert before <= _audit_triples(client)


def test_only_admins_query_the_audit_and_principals_with_sparql(
    served: tuple[TestClient, dict[Role, dict[str, str]]],
) -> None:
    client, headers = served
    client.post("/update", content="INSERT DATA { GRAPH <urn:t:g> { <urn:a> <urn:b> 1 } }",
                headers={**UPDATE, **headers[Role.DATA_SCIENTIST]})  # fmt: skip
    audit = f"SELECT ?action WHERE {{ GRAPH <{AUDIT_GRAPH}> {{ ?a <{MLKG.action}> ?action }} }}"
    answer = client.get(
        "/sparql",
        params={"query": audit},
        headers={**headers[Role.ADMIN], "Accept": "application/sparql-results+json"},
    )
    assert answer.status_code == 200
    assert [b["action"]["value"] for b in answer.json()["results"]["bindings"]] == ["POST /update"]
    hashes = f"SELECT ?h FROM <{PRINCIPALS_GRAPH}> WHERE {{ ?p <{MLKG.tokenHash}> ?h }}"
    assert (
        client.get("/sparql", params={"query": hashes}, headers=headers[Role.ML_ENGINEER]).status_code == 403
    )
    assert client.get("/sparql", params={"query": hashes}).status_code == 401
    dataset = {"query": "ASK { ?s ?p ?o }", "default-graph-uri": str(AUDIT_GRAPH)}
    by_dataset = client.get("/sparql", params=dataset, headers=headers[Role.VIEWER])
    assert by_dataset.status_code == 403
    # a query that does not name them reads the catalog only: no hash, no attempt, whoever asks
    for term in (MLKG.tokenHash, MLKG.action, MLKG.principalName):
        ask = f"ASK {{ {{ ?s <{term}> ?o }} UNION {{ GRAPH ?g {{ ?s <{term}> ?o }} }} }}"
        found = client.get(
            "/sparql",
            params={"query": ask},
            headers={**headers[Role.ADMIN], "Accept": "application/sparql-results+json"},
        )
        assert found.json()["boolean"] is False, term
    export = client.get("/export?format=nq", headers=headers[Role.ADMIN]).text
    assert str(AUDIT_GRAPH) not in export and "tokenHash" not in export


def test_an_upload_written_in_parts_is_refused_whole(
    served: tuple[TestClient, dict[Role, dict[str, str]]],
) -> None:
    client, headers = served
    tables = [{"type": "table", "fullyQualifiedName": f"s.d.c.t{n}", "name": f"t{n}"} for n in range(520)]
    deployment = {"type": "deployment", "fullyQualifiedName": "k8s.last", "name": "last"}
    answer = client.post("/entities", json=[*tables, deployment], headers=headers[Role.DATA_SCIENTIST])
    assert answer.status_code == 403, answer.text
    assert client.get("/id/table/s.d.c.t0").status_code == 404  # not even the first part
