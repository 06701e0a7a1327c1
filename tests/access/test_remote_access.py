"""Principals and the audit on a remote SPARQL engine (docs/architecture.md, section 10): kept in the
engine's dataset, shared by every mlkg process using it, and no update changes them, not even one that
writes graphs it does not name (``DROP ALL``: they are put back as they were)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.remote_server import OxigraphServer

import mlkg
from mlkg.access import Role
from mlkg.api import create_app
from mlkg.vocab import AUDIT_GRAPH

UPDATE = {"Content-Type": "application/sparql-update"}


def test_principals_and_audit_live_in_the_engine(fresh_remote: OxigraphServer) -> None:
    settings = fresh_remote.settings()
    with mlkg.open(settings=settings) as catalog:  # as mlkg principal add --sparql-endpoint ...
        tokens = {role: catalog.principals.add(name=role.value, role=role) for role in Role}
    auth = {role: {"Authorization": f"Bearer {token}"} for role, token in tokens.items()}
    with TestClient(create_app(settings)) as client:
        table = {"type": "table", "fullyQualifiedName": "svc.db.sch.remote", "name": "remote"}
        assert client.post("/entities", json=table, headers=auth[Role.DATA_SCIENTIST]).status_code == 201
        assert client.post("/entities", json=table).status_code == 401
        drop = client.post("/update", content="DROP ALL", headers={**UPDATE, **auth[Role.ML_ENGINEER]})
        assert drop.status_code == 403
        before = set(_audit(client))
        assert (
            client.post("/update", content="DROP ALL", headers={**UPDATE, **auth[Role.ADMIN]}).status_code
            == 204
        )
        assert before <= set(_audit(client))  # the audit and the principals are put back
        assert client.get("/principals", headers=auth[Role.ADMIN]).status_code == 200
        attempts = client.get("/audit", headers=auth[Role.ADMIN]).json()["attempts"]
        assert [(a["principal"], a["outcome"]) for a in attempts][:4] == [
            ("admin", "granted"),
            ("ml_engineer", "denied"),
            ("anonymous", "denied"),
            ("data_scientist", "granted"),
        ]


def _audit(client: TestClient) -> list[tuple[str, ...]]:
    access = client.app.state.mlkg.catalog.access_store  # type: ignore[attr-defined]
    return [tuple(map(str, q[:3])) for q in access.quads(graph=AUDIT_GRAPH)]
