"""Every route against every role, from one table (docs/architecture.md, section 10; README, "Access control,
audit and events").

:data:`ROUTES` holds one row or more per route of the app: the request to send and the permission it needs
(``None``: public). Each role's expected status is derived from it: a role with the permission gets one of
the row's ``ok`` statuses, an anonymous caller lacking it 401 (with both challenges), a principal lacking it
403, and a refused request changes nothing in the store. A route added to the app without a row fails
:func:`test_the_table_covers_every_route`: add a row (``Row("GET", "/search?q=churn", Permission.READ)``,
with ``route=`` the route's path template when the path has parameters).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute

from mlkg.access.roles import ROLE_PERMISSIONS, Permission, Role
from mlkg.api import create_app
from mlkg.config import MEMORY_STORE, Settings

P = Permission
TABLE = "postgres_prod.ecommerce.public.customers"
TABLE_PATH = f"/id/table/{TABLE}"
ENTITY_ROUTE = "/id/{kind}/{fqn:path}"
TURTLE = {"Content-Type": "text/turtle"}
SPARQL_UPDATE = {"Content-Type": "application/sparql-update"}
MLKG = "https://w3id.org/mlkg#"
NO_ID = "0" * 32  # a subscription id no subscription has


def _document(**fields: Any) -> bytes:
    return json.dumps(fields).encode()


def _version(name: str, **fields: Any) -> bytes:
    """A model version document of the demo's churn model."""
    model = {"type": "mlmodel", "fullyQualifiedName": "mlflow_prod.customer_churn_predictor"}
    return _document(
        type="modelVersion",
        name=name,
        fullyQualifiedName=f"mlflow_prod.customer_churn_predictor.{name}",
        versionOf=model,
        **fields,
    )


OPENLINEAGE_EVENT = _document(
    eventType="COMPLETE",
    eventTime="2024-01-01T00:00:00Z",
    run={"runId": "3f5e7c2a-1b4d-4e8f-9a6c-0d2b7e1f5a3c"},
    job={"namespace": "permissions", "name": "nightly"},
    inputs=[],
    outputs=[],
    producer="https://example.org/producer",
    schemaURL="https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
)
DATAHUB_PROPOSAL = _document(
    proposal={
        "entityType": "dataset",
        "entityUrn": "urn:li:dataset:(urn:li:dataPlatform:snowflake,shop.public.orders,PROD)",
        "changeType": "UPSERT",
        "aspectName": "datasetProperties",
        "aspect": {"value": json.dumps({"name": "orders"}), "contentType": "application/json"},
    }
)
OPENMETADATA_EDGE = _document(
    edge={
        "fromEntity": {"type": "table", "fullyQualifiedName": TABLE},
        "toEntity": {"type": "table", "fullyQualifiedName": "snowflake.prod.customers"},
    }
)


@dataclass(frozen=True)
class Row:
    """One request and the permission it needs; ``route``: the route's path template (default: the path
    without its query); ``ok``: the statuses a caller with the permission may get."""

    method: str
    path: str
    permission: Permission | None
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    ok: frozenset[int] = frozenset({200})
    route: str | None = None

    @property
    def template(self) -> str:
        return self.route or self.path.split("?", 1)[0]


def _ok(*statuses: int) -> frozenset[int]:
    return frozenset(statuses)


#: Every route of the app, in the order the requests are sent (each row to every role, admin last).
ROUTES: list[Row] = [
    # public
    Row("GET", "/health", None),
    Row("GET", "/openapi.json", None),
    Row("GET", "/docs", None),
    # read: queries, exports, entity pages
    Row("GET", "/sparql?query=ASK%7B%7D", P.READ),
    Row("POST", "/sparql", P.READ, b"query=ASK%7B%7D", {"Content-Type": "application/x-www-form-urlencoded"}),
    Row("HEAD", "/store?default", P.READ, ok=_ok(200, 404)),
    Row("HEAD", "/store/nothing", P.READ, ok=_ok(404), route="/store/{key:path}"),
    Row("GET", "/store?default", P.READ),
    Row("GET", "/store/nothing", P.READ, ok=_ok(404), route="/store/{key:path}"),
    Row("GET", "/config", P.READ),
    Row("GET", "/api/v1/mlmodels/name/mlflow_prod.customer_churn_predictor", P.READ,
        route="/api/v1/mlmodels/name/{fqn}"),
    Row("GET", f"/api/v1/tables/name/{TABLE}", P.READ, route="/api/v1/tables/name/{fqn}"),
    Row("GET", "/api/v1/pipelines/name/none", P.READ, ok=_ok(404), route="/api/v1/pipelines/name/{fqn}"),
    Row("GET", "/api/v1/dashboards/name/none", P.READ, ok=_ok(404), route="/api/v1/dashboards/name/{fqn}"),
    Row("GET", f"/api/v1/lineage/table/name/{TABLE}", P.READ, route="/api/v1/lineage/{entity}/name/{fqn}"),
    Row("GET", f"{TABLE_PATH}/versions", P.READ, route="/id/{kind}/{fqn:path}/versions"),
    Row("GET", f"{TABLE_PATH}/versions/0.1/diff/0.1", P.READ, ok=_ok(200, 400),
        route="/id/{kind}/{fqn:path}/versions/{old}/diff/{new}"),
    Row("GET", f"{TABLE_PATH}/versions/0.1", P.READ, route="/id/{kind}/{fqn:path}/versions/{version}"),
    Row("GET", TABLE_PATH, P.READ, headers={"Accept": "text/turtle"}, route=ENTITY_ROUTE),
    Row("GET", "/export?format=nt", P.READ),
    Row("GET", "/", P.READ),
    Row("GET", f"/impact?entity={TABLE}", P.READ),
    Row("GET", "/queries", P.READ),
    Row("GET", "/search?q=churn", P.READ),
    Row("GET", "/queries/sensitive-assets", P.READ, route="/queries/{name}"),
    Row("GET", f"/lineage?entity={TABLE}", P.READ),
    # write: uploads, PATCH, Graph Store and SPARQL Update on entity graphs
    Row("POST", "/update", P.WRITE, b'INSERT DATA { GRAPH <urn:t:u> { <urn:t:a> <urn:t:b> "x" } }',
        SPARQL_UPDATE, ok=_ok(204)),
    Row("PUT", "/store?graph=urn:t:p", P.WRITE, b"<urn:t:a> <urn:t:b> 1 .", TURTLE, ok=_ok(201, 204)),
    Row("PUT", "/store/k1", P.WRITE, b"<urn:t:a> <urn:t:b> 1 .", TURTLE, ok=_ok(201, 204),
        route="/store/{key:path}"),
    Row("POST", "/store?graph=urn:t:p", P.WRITE, b"<urn:t:a> <urn:t:b> 2 .", TURTLE, ok=_ok(201, 204)),
    Row("POST", "/store/k1", P.WRITE, b"<urn:t:a> <urn:t:b> 2 .", TURTLE, ok=_ok(201, 204),
        route="/store/{key:path}"),
    Row("POST", "/entities", P.WRITE,
        _document(type="table", fullyQualifiedName="svc.db.sch.uploaded", name="uploaded"),
        {"Content-Type": "application/json"}, ok=_ok(200, 201)),
    Row("POST", "/api/v1/lineage", P.WRITE, OPENLINEAGE_EVENT, {"Content-Type": "application/json"},
        ok=_ok(200, 201)),
    Row("POST", "/aspects?action=ingestProposal", P.WRITE, DATAHUB_PROPOSAL,
        {"Content-Type": "application/json"}, ok=_ok(200, 201)),
    Row("PUT", "/api/v1/lineage", P.WRITE, OPENMETADATA_EDGE, {"Content-Type": "application/json"},
        ok=_ok(200, 201)),
    Row("PATCH", TABLE_PATH, P.WRITE,
        json.dumps([{"op": "add", "path": "/description", "value": "Patched."}]).encode(),
        {"Content-Type": "application/json-patch+json"}, route=ENTITY_ROUTE),
    Row("POST", f"{TABLE_PATH}/versions/0.1/restore", P.WRITE,
        route="/id/{kind}/{fqn:path}/versions/{version}/restore"),
    # deploy: stage transitions to Production or Archived, alias changes, deployment entities
    Row("POST", "/entities", P.DEPLOY, _version("v2", stage="Production"),
        {"Content-Type": "application/json"}, ok=_ok(200, 201)),
    Row("POST", "/entities", P.DEPLOY, _version("v9", aliases=["challenger"]),
        {"Content-Type": "application/json"}, ok=_ok(200, 201)),
    Row("POST", "/entities", P.DEPLOY,
        _document(type="deployment", fullyQualifiedName="k8s.churn-canary", name="churn-canary"),
        {"Content-Type": "application/json"}, ok=_ok(200, 201)),
    Row("POST", "/update", P.DEPLOY,
        f'INSERT DATA {{ GRAPH <urn:t:s> {{ <urn:t:s> <{MLKG}stage> "Production" }} }}'.encode(),
        SPARQL_UPDATE, ok=_ok(204)),
    # delete: deletes, hard deletes, DROP / CLEAR
    Row("POST", "/update", P.DELETE, b"DROP SILENT GRAPH <urn:t:u>", SPARQL_UPDATE, ok=_ok(204)),
    Row("POST", "/update", P.DELETE, b"CLEAR SILENT GRAPH <urn:t:s>", SPARQL_UPDATE, ok=_ok(204)),
    Row("DELETE", "/store?graph=urn:t:p", P.DELETE, ok=_ok(204, 404)),
    Row("DELETE", "/store/k1", P.DELETE, ok=_ok(204, 404), route="/store/{key:path}"),
    Row("DELETE", "/id/table/postgres_prod.ecommerce.public.orders", P.DELETE, ok=_ok(200, 204),
        route=ENTITY_ROUTE),
    # admin: principals, the audit
    Row("GET", "/principals", P.ADMIN),
    Row("POST", "/principals", P.ADMIN, _document(name="newcomer", role="viewer"),
        {"Content-Type": "application/json"}, ok=_ok(201)),
    Row("PUT", "/principals/newcomer/role", P.ADMIN, _document(role="data_scientist"),
        {"Content-Type": "application/json"}, route="/principals/{name}/role"),
    Row("DELETE", "/principals/newcomer", P.ADMIN, ok=_ok(204), route="/principals/{name}"),
    Row("GET", "/audit", P.ADMIN),
    Row("POST", "/subscriptions", P.ADMIN, _document(url="https://hooks.example.org/mlkg"),
        {"Content-Type": "application/json"}, ok=_ok(201, 422)),
    Row("GET", "/subscriptions", P.ADMIN),
    Row("GET", f"/subscriptions/{NO_ID}", P.ADMIN, ok=_ok(404), route="/subscriptions/{subscription}"),
    Row("GET", f"/subscriptions/{NO_ID}/deliveries", P.ADMIN, ok=_ok(404),
        route="/subscriptions/{subscription}/deliveries"),
    Row("DELETE", f"/subscriptions/{NO_ID}", P.ADMIN, ok=_ok(404), route="/subscriptions/{subscription}"),
    # the change-event stream never ends: a bad filter answers at once, after the permission check
    Row("GET", "/events?events=nonsense", P.READ, ok=_ok(400)),
    # last: a dataset PUT replaces every graph
    Row("PUT", "/store?default", P.WRITE, b"<urn:t:a> <urn:t:b> 3 .", TURTLE, ok=_ok(201, 204)),
]  # fmt: skip

#: The callers every row is sent as: no credentials, then each role (a principal named after it).
CALLERS: list[Role | None] = [None, *Role]


def _routes(routes: Iterable[BaseRoute]) -> Iterator[tuple[str, str]]:
    """(method, path template) of every route, through included routers; a GET route's implied HEAD is
    left out (the table has a HEAD row only where the app has a HEAD route of its own)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _routes(included.routes)
            continue
        methods = set(getattr(route, "methods", None) or ())
        if len(methods) > 1:
            methods.discard("HEAD")
        for method in methods:
            yield method, getattr(route, "path", "")


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[TestClient, dict[Role, str]]]:
    app = create_app(Settings(store=MEMORY_STORE), demo=True)
    principals = app.state.mlkg.catalog.principals
    tokens = {role: principals.add(name=role.value, role=role) for role in Role}
    with TestClient(app) as client:
        yield client, tokens


def _headers(role: Role | None, tokens: dict[Role, str], *, basic: bool) -> dict[str, str]:
    if role is None:
        return {}
    if basic:
        pair = base64.b64encode(f"{role.value}:{tokens[role]}".encode()).decode()
        return {"Authorization": f"Basic {pair}"}
    return {"Authorization": f"Bearer {tokens[role]}"}


def _fingerprint(client: TestClient) -> set[tuple[str, ...]]:
    """Every quad of the catalog store, as text."""
    inner = client.app.state.mlkg.store.inner  # type: ignore[attr-defined]
    return {tuple(str(t) for t in quad) for quad in inner.quads()}


def test_the_table_covers_every_route(served: tuple[TestClient, dict[Role, str]]) -> None:
    client, _ = served
    in_app = set(_routes(client.app.routes))  # type: ignore[attr-defined]
    in_table = {(row.method, row.template) for row in ROUTES}
    assert in_app - in_table == set(), "routes without a row in ROUTES (add one)"
    assert in_table - in_app == set(), "rows of ROUTES naming no route"
    described = client.get("/openapi.json").json()
    schemes = described["components"]["securitySchemes"]
    assert {name: (s["type"], s["scheme"]) for name, s in schemes.items()} == {
        "bearer": ("http", "bearer"),
        "basic": ("http", "basic"),
    }


@pytest.mark.parametrize("row", ROUTES, ids=lambda r: f"{r.method} {r.path[:60]} {r.permission}")
def test_each_role_gets_the_status_its_permissions_give(
    served: tuple[TestClient, dict[Role, str]], row: Row
) -> None:
    client, tokens = served
    for number, role in enumerate(CALLERS):
        granted = row.permission is None or (
            row.permission in ROLE_PERMISSIONS[role] if role is not None else row.permission is P.READ
        )
        before = None if granted else _fingerprint(client)
        headers = {**row.headers, **_headers(role, tokens, basic=number % 2 == 0)}
        answer = client.request(row.method, row.path, content=row.body, headers=headers)
        who = role.value if role is not None else "anonymous"
        if granted:
            assert answer.status_code in row.ok, (who, answer.status_code, answer.text[:300])
            continue
        expected = 401 if role is None else 403
        assert answer.status_code == expected, (who, answer.status_code, answer.text[:300])
        assert answer.json()["error"] in ("authentication", "forbidden")
        if expected == 401:
            assert answer.headers.get_list("www-authenticate") == [
                'Basic realm="mlkg"',
                'Bearer realm="mlkg"',
            ]
        assert _fingerprint(client) == before, f"a refused {row.method} {row.path} changed the store"
