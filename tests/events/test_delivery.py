"""Webhook delivery (:mod:`mlkg.events`): a committed write reaches a real loopback receiver, signed with the
subscription's secret, retried after a failure (seen in the delivery log), and never sent to a URL outside
the allow-list, on both store backends."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from rdflib import URIRef
from tests.events.receiver import Receiver

from mlkg.catalog import Catalog
from mlkg.config import Settings
from mlkg.errors import ValidationError
from mlkg.events import ChangeEvents, EventFilter
from mlkg.queries import QueryCatalog
from mlkg.vocab import SUBSCRIPTIONS_GRAPH

TABLE = {
    "@type": "Table",
    "fullyQualifiedName": "warehouse.sales.orders",
    "name": "orders",
    "columns": [{"name": "id", "dataType": "INT"}],
}
ORDERS = URIRef("http://localhost:8000/id/table/warehouse.sales.orders")


def _events(catalog: Catalog, receiver: Receiver, **changes: object) -> ChangeEvents:
    settings = catalog.settings.model_copy(
        update={"webhook_allow": [receiver.url + "hooks"], "webhook_backoff": 0.05, **changes}
    )
    events = ChangeEvents(catalog=catalog, settings=settings, queries=QueryCatalog.load())
    events.start()
    return events


@pytest.fixture
def catalog(open_settings: Callable[[], Settings], tmp_path: Path) -> Iterator[Catalog]:
    settings = open_settings().model_copy(update={"events_key_file": tmp_path / "events.key"})
    with Catalog(settings=settings) as opened:
        yield opened


def test_a_write_is_posted_signed_and_a_failed_attempt_is_retried(
    catalog: Catalog, receiver: Receiver
) -> None:
    events = _events(catalog, receiver)
    try:
        receiver.script["/hooks/a"] = [500]  # the first attempt fails
        subscription, secret = events.subscribe(url=receiver.url + "hooks/a", filter=EventFilter())
        catalog.load(TABLE)
        receiver.wait(lambda: len(receiver.at("/hooks/a")) == 2)
        first, second = receiver.at("/hooks/a")
        assert first.body == second.body and first.signed_with(secret) and second.signed_with(secret)
        assert not second.signed_with(secret + "0")
        assert second.headers["x-mlkg-event"] == "created"
        event = second.event
        assert (event["event"], event["entity"], event["version"]) == ("created", str(ORDERS), "0.1")
        assert "https://w3id.org/mlkg#Table" in event["types"]
        delivery = events.dispatcher.deliveries(subscription.id)[0]
        receiver.wait(lambda: delivery.state == "delivered")
        assert [a["status"] for a in delivery.attempts] == [500, 204]
        assert delivery.attempts[0]["error"] == "HTTP 500"
        assert second.headers["x-mlkg-delivery"] == delivery.id
    finally:
        events.close()


def test_a_url_outside_the_allow_list_is_refused_and_rechecked_at_delivery(
    catalog: Catalog, receiver: Receiver
) -> None:
    events = _events(catalog, receiver)
    try:
        for outside in (
            receiver.url + "other",  # another path
            receiver.url + "hooksx",  # not a path segment of the prefix
            receiver.url + "hooks/../other",
            receiver.url.replace("127.0.0.1", "localhost") + "hooks",  # another host name
            receiver.url.replace("http://", "http://user:pw@") + "hooks",
            "file:///etc/passwd",
        ):
            with pytest.raises(ValidationError):
                events.subscribe(url=outside, filter=EventFilter())
        subscription, _ = events.subscribe(url=receiver.url + "hooks/b", filter=EventFilter())
    finally:
        events.close()
    # the same store served again with an allow-list no longer holding the URL: kept, but not delivered to
    assert list(catalog.store.inner.quads(graph=SUBSCRIPTIONS_GRAPH))
    again = _events(catalog, receiver, webhook_allow=[receiver.url + "elsewhere"])
    try:
        assert [s.id for s in again.book.all()] == [subscription.id]
        catalog.load(TABLE)
        receiver.wait(lambda: bool(again.dispatcher.deliveries(subscription.id)))
        delivery = again.dispatcher.deliveries(subscription.id)[0]
        receiver.wait(lambda: delivery.state == "failed")
        assert "allow-list" in delivery.attempts[0]["error"] and len(delivery.attempts) == 1
        assert receiver.received == []
    finally:
        again.close()


def test_a_redirect_is_not_followed(catalog: Catalog, receiver: Receiver) -> None:
    events = _events(catalog, receiver, webhook_attempts=2)
    try:
        receiver.script["/hooks/moved"] = [
            (307, receiver.url + "hooks/there"),
            (307, receiver.url + "hooks/there"),
        ]
        subscription, _ = events.subscribe(url=receiver.url + "hooks/moved", filter=EventFilter())
        catalog.load(TABLE)
        receiver.wait(lambda: len(receiver.at("/hooks/moved")) == 2)
        delivery = events.dispatcher.deliveries(subscription.id)[0]
        receiver.wait(lambda: delivery.state == "failed")
        assert [a["status"] for a in delivery.attempts] == [307, 307]
        assert receiver.at("/hooks/there") == []
    finally:
        events.close()
