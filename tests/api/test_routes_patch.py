"""PATCH /id/{type}/{fqn} as a client drives it: GET the entity's JSON form, edit it, send the difference as a
JSON Patch made by the ``jsonpatch`` library (RFC 6902), conditionally with the ETag (issue 14, point 6)."""

from __future__ import annotations

import copy
from typing import Any

import jsonpatch
import rdflib
from fastapi.testclient import TestClient
from tests.api.conftest import AUTH

from mlkg.vocab import MLKG

ORDERS = "pg.shop.public.orders"
PATH = f"/id/table/{ORDERS}"
TABLE: dict[str, Any] = {
    "type": "table",
    "name": "orders",
    "fullyQualifiedName": ORDERS,
    "description": "One row per order.",
    "columns": [{"name": "id", "dataType": "BIGINT"}, {"name": "amount", "dataType": "DECIMAL"}],
}
PATCH = {**AUTH, "Content-Type": "application/json-patch+json"}


def loaded(client: TestClient) -> TestClient:
    assert client.post("/entities", json=TABLE, headers=AUTH).status_code == 201
    return client


def form(client: TestClient) -> tuple[dict[str, Any], str]:
    answer = client.get(PATH, headers={"Accept": "application/json"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    return answer.json(), answer.headers["etag"]


def test_get_edit_patch_round_trip(client: TestClient) -> None:
    document, etag = form(loaded(client))
    edited = copy.deepcopy(document)
    edited["description"] = "Every order, one row each."
    edited["columns"].append({"@id": document["@id"] + ".total", "type": "Column", "name": "total",
                              "dataType": "DECIMAL"})  # fmt: skip
    patch = jsonpatch.make_patch(document, edited)

    answer = client.patch(PATH, content=patch.to_string(), headers={**PATCH, "If-Match": etag})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["version"] == "0.2"  # a column added is a minor change
    assert body["document"] == form(client)[0]
    assert answer.headers["etag"] == form(client)[1] != etag
    # the patched document is the entity's graph: turtle says the same
    turtle = rdflib.Graph().parse(
        data=client.get(PATH, headers={"Accept": "text/turtle"}).text, format="turtle"
    )
    names = {str(o) for c in turtle.objects(rdflib.URIRef(document["@id"]), MLKG.hasColumn)
             for o in turtle.objects(c, MLKG.name)}  # fmt: skip
    assert names == {"id", "amount", "total"}
    versions = client.get(f"{PATH}/versions").json()["versions"]
    assert [v["version"] for v in versions] == ["0.2", "0.1"]

    # the ETag of the first read is stale now: 412, nothing changed
    stale = client.patch(
        PATH, json=[{"op": "remove", "path": "/description"}], headers={**PATCH, "If-Match": etag}
    )
    assert stale.status_code == 412 and stale.json()["error"] == "precondition"
    assert form(client)[0]["description"] == "Every order, one row each."


def test_bad_patches_are_4xx_with_a_json_body_and_change_nothing(client: TestClient) -> None:
    before = form(loaded(client))
    cases: list[tuple[dict[str, str], bytes, int]] = [
        (PATCH, b'[{"op": "remove", "path": "/name"}]', 422),  # breaks a shape
        (PATCH, b'[{"op": "test", "path": "/name", "value": "other"}]', 409),
        (PATCH, b'[{"op": "remove", "path": "/nothing"}]', 400),
        (PATCH, b'{"op": "remove", "path": "/name"}', 400),  # not an array
        (PATCH, b"[{", 400),
        (PATCH, b"[" * 100_000 + b"]" * 100_000, 400),  # deeper than Python's parser goes
        (PATCH, b'[{"op": "add", "path": "/x", "value": ' + b"[" * 70 + b"]" * 70 + b"}]", 400),
        ({**AUTH, "Content-Type": "text/plain"}, b"[]", 415),
        ({"Content-Type": "application/json-patch+json"}, b"[]", 401),
    ]
    for headers, body, status in cases:
        answer = client.patch(PATH, content=body, headers=headers)
        assert answer.status_code == status, (body, answer.text)
        assert {"error", "message", "where"} <= set(answer.json())
    assert form(client) == before
    assert client.patch("/id/table/pg.none", json=[], headers=PATCH).status_code == 404
    version = client.patch(f"{PATH}/versions/0.1", json=[], headers=PATCH)
    assert version.status_code == 405 and "GET" in version.headers["allow"]  # a version is never changed


def test_the_json_form_of_a_described_column_and_of_a_past_version(client: TestClient) -> None:
    loaded(client)
    column = client.get(f"/id/column/{ORDERS}.amount", headers={"Accept": "application/json"})
    assert column.status_code == 200 and "etag" not in column.headers  # no document of its own to patch
    assert column.json()["dataType"] == "DECIMAL"
    client.patch(PATH, json=[{"op": "replace", "path": "/description", "value": "new"}], headers=PATCH)
    then = client.get(PATH, params={"asOf": "2000-01-01"}, headers={"Accept": "application/json"})
    assert then.status_code == 404
    now = client.get(PATH, params={"asOf": "2999-01-01"}, headers={"Accept": "application/json"})
    assert now.json()["description"] == "new"
