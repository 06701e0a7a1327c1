"""The subscription routes (:mod:`mlkg.api.routers.subscriptions`): for the administrator only, 422 for a URL
outside the webhook allow-list, the secret shown once and never stored, the subscriptions graph refused to
SPARQL Update, and a write delivered to a real loopback receiver with the shown secret."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from tests.api.conftest import AUTH, ClientFactory
from tests.events.receiver import Receiver, start_receiver

TABLE = {"@type": "Table", "fullyQualifiedName": "warehouse.sales.orders", "name": "orders"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found, server = start_receiver()
    yield found
    server.shutdown()
    server.server_close()


@pytest.fixture
def client(make_client: ClientFactory, receiver: Receiver) -> TestClient:
    return make_client(webhook_allow=[receiver.url + "hooks"], webhook_backoff=0.05)


def test_subscription_routes_are_for_the_admin_and_keep_to_the_allow_list(
    client: TestClient, receiver: Receiver
) -> None:
    assert client.post("/subscriptions", json={"url": receiver.url + "hooks/x"}).status_code == 401
    assert client.get("/subscriptions").status_code == 401
    outside = client.post("/subscriptions", json={"url": receiver.url + "elsewhere"}, headers=AUTH)
    assert outside.status_code == 422
    assert outside.json()["error"] == "validation" and "allow-list" in outside.json()["message"]
    bad_kind = client.post(
        "/subscriptions", json={"url": receiver.url + "hooks/x", "events": ["no"]}, headers=AUTH
    )
    assert bad_kind.status_code == 400 and bad_kind.json()["where"]
    unknown = {"url": receiver.url + "hooks/x", "filters": {"upstreamOf": "no.such.thing"}}
    assert client.post("/subscriptions", json=unknown, headers=AUTH).status_code == 422

    answer = client.post(
        "/subscriptions", json={"url": receiver.url + "hooks/x", "events": ["created"]}, headers=AUTH
    )
    assert answer.status_code == 201
    made = answer.json()
    assert len(made["secret"]) == 64 and made["events"] == ["created"]
    assert answer.headers["location"] == f"/subscriptions/{made['id']}"
    shown = client.get(f"/subscriptions/{made['id']}", headers=AUTH).json()
    assert "secret" not in shown and shown["url"] == receiver.url + "hooks/x"
    listed = client.get("/subscriptions", headers=AUTH).json()["subscriptions"]
    assert [s["id"] for s in listed] == [made["id"]]
    # readable through SPARQL like everything stored, but its secret is nowhere in the store
    dump = client.get("/export", params={"format": "nq"}).text
    assert made["id"] in dump and made["secret"] not in dump
    update = "DROP GRAPH <https://w3id.org/mlkg/graph/subscriptions>"
    refused = client.post(
        "/update", content=update, headers={**AUTH, "Content-Type": "application/sparql-update"}
    )
    assert refused.status_code == 400

    assert client.post("/entities", json=TABLE, headers=AUTH).status_code == 201
    receiver.wait(lambda: bool(receiver.at("/hooks/x")))
    (received,) = receiver.at("/hooks/x")
    assert received.signed_with(made["secret"]) and received.event["event"] == "created"
    log = client.get(f"/subscriptions/{made['id']}/deliveries", headers=AUTH).json()
    assert log["deliveries"][0]["id"] == received.headers["x-mlkg-delivery"]

    assert client.delete(f"/subscriptions/{made['id']}", headers=AUTH).status_code == 204
    assert client.get(f"/subscriptions/{made['id']}", headers=AUTH).status_code == 404
    assert client.get(f"/subscriptions/{made['id']}/deliveries", headers=AUTH).status_code == 404
    assert client.get("/subscriptions/not-an-id", headers=AUTH).status_code == 400
