"""Change events over HTTP against real servers and a real loopback webhook receiver: the filters by type, tag
and "upstream of", the impact event of a major table change and the ``/events`` Server-Sent Events stream
read by httpx, against the app ``mlkg serve`` runs (uvicorn in a thread of the test process, over the demo
catalog); and ``mlkg serve`` itself (a subprocess) ending open streams when it is stopped. The routes
themselves: tests/api/test_routes_subscriptions.py."""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from tests.events.receiver import Receiver, start_receiver
from tests.serving import launch

from mlkg.api import create_app
from mlkg.config import MEMORY_STORE, Settings

TOKEN = "events-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BASE = "http://localhost:8000/id/"
CUSTOMERS = "postgres_prod.ecommerce.public.customers"
CHURN = "mlflow_prod.customer_churn_predictor"
FORECAST = "vertex_ai.demand_forecasting"

pytestmark = pytest.mark.slow  # servers with the demo catalog


@pytest.fixture(scope="module")
def hooks() -> Iterator[Receiver]:
    found, server = start_receiver()
    yield found
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def server(hooks: Receiver) -> Iterator[str]:
    """The app over the demo catalog, served by uvicorn on a loopback port in a thread; its URL."""
    settings = Settings(store=MEMORY_STORE, write_token=TOKEN, webhook_allow=[hooks.url + "hooks"])
    app = create_app(settings, demo=True)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    served = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=served.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not served.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/"
    finally:
        app.state.mlkg.events.hub.close()  # open streams would hold uvicorn's shutdown
        served.should_exit = True
        thread.join(15)
        listener.close()


@pytest.fixture
def http(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=30) as client:
        yield client


def _subscribe(http: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    answer = http.post("subscriptions", json=body, headers=AUTH)
    assert answer.status_code == 201, answer.text
    made: dict[str, Any] = answer.json()
    return made


def _describe(http: httpx.Client, fqn: str, kind: str, text: str) -> None:
    """Change an entity's description with a JSON Patch (a minor version)."""
    patch = [{"op": "add", "path": "/description", "value": text}]
    answer = http.patch(
        f"id/{kind}/{fqn}",
        content=json.dumps(patch),
        headers={**AUTH, "Content-Type": "application/json-patch+json"},
    )
    assert answer.status_code == 200, answer.text


def test_filters_by_type_tag_and_upstream_and_the_delivery_log(http: httpx.Client, hooks: Receiver) -> None:
    models = _subscribe(http, {"url": hooks.url + "hooks/models", "filters": {"types": ["mlmodel"]}})
    tier1 = _subscribe(http, {"url": hooks.url + "hooks/tier1", "filters": {"tags": ["Tier.Tier1"]}})
    feeding = _subscribe(http, {"url": hooks.url + "hooks/churn", "filters": {"upstreamOf": CHURN}})
    # a Tier1 table upstream of the churn model, then a model neither Tier1 nor upstream of it
    _describe(http, CUSTOMERS, "table", "Customers, one row each.")
    _describe(http, FORECAST, "model", "Forecasts units sold.")
    hooks.wait(lambda: len(hooks.at("/hooks/models")) >= 1 and len(hooks.at("/hooks/tier1")) >= 1)
    hooks.wait(lambda: len(hooks.at("/hooks/churn")) >= 1)

    def entities(path: str) -> set[str]:
        return {r.event["entity"] for r in hooks.at(path)}

    assert entities("/hooks/models") == {BASE + "model/" + FORECAST}
    assert entities("/hooks/tier1") == {BASE + "table/" + CUSTOMERS}
    assert entities("/hooks/churn") == {BASE + "table/" + CUSTOMERS}
    for made, path in ((models, "/hooks/models"), (tier1, "/hooks/tier1"), (feeding, "/hooks/churn")):
        received = hooks.at(path)[0]
        assert received.signed_with(made["secret"])
        log = http.get(f"subscriptions/{made['id']}/deliveries", headers=AUTH).json()["deliveries"]
        assert log[0]["id"] == received.headers["x-mlkg-delivery"]
        assert log[0]["attempts"][0]["status"] == 204
        http.delete(f"subscriptions/{made['id']}", headers=AUTH)
    event = hooks.at("/hooks/tier1")[0].event
    assert event["event"] == "updated" and event["changeType"] == "minor"
    assert event["changeDescription"]["fieldsUpdated"][0]["name"] == "description"


def test_a_major_table_change_sends_one_impact_event_naming_downstream_assets_and_owners(
    http: httpx.Client, hooks: Receiver
) -> None:
    made = _subscribe(http, {"url": hooks.url + "hooks/impact", "events": ["impact"]})
    form = http.get(f"id/table/{CUSTOMERS}", headers={"Accept": "application/json"}).json()
    dropped = next(i for i, c in enumerate(form["columns"]) if c["name"] == "birth_date")
    patch = [{"op": "remove", "path": f"/columns/{dropped}"}]  # removing a column: a major version
    answer = http.patch(
        f"id/table/{CUSTOMERS}",
        content=json.dumps(patch),
        headers={**AUTH, "Content-Type": "application/json-patch+json"},
    )
    assert answer.status_code == 200, answer.text
    hooks.wait(lambda: bool(hooks.at("/hooks/impact")))
    (received,) = hooks.at("/hooks/impact")
    assert received.signed_with(made["secret"]) and received.headers["x-mlkg-event"] == "impact"
    event = received.event
    assert (event["entity"], event["changeType"]) == (BASE + "table/" + CUSTOMERS, "major")
    downstream = {a["name"] for a in event["downstream"]}
    assert {"snowflake.prod.customers", CHURN, "snowflake.prod.churn_scores"} <= downstream
    owners = {o["name"]: {a["name"] for a in o["assets"]} for o in event["owners"]}
    assert "snowflake.prod.customers" in owners["Data Engineering Team"]
    assert CHURN in owners["Data Science Team"]
    http.delete(f"subscriptions/{made['id']}", headers=AUTH)


def test_events_stream_as_server_sent_events_and_resume_after_the_last_id(http: httpx.Client) -> None:
    with http.stream("GET", "events", params={"events": "updated", "type": "table"}) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.iter_lines()
        assert next(lines).startswith("retry:")
        _describe(http, "snowflake.prod.customers", "table", "Replicated customers.")
        _describe(http, FORECAST, "model", "Not a table: filtered out.")
        _describe(http, "snowflake.prod.transactions", "table", "Replicated transactions.")
        messages = _read(lines, count=2)
    assert [m["event"] for m in messages] == ["updated", "updated"]
    assert [json.loads(m["data"])["entity"] for m in messages] == [
        BASE + "table/snowflake.prod.customers",
        BASE + "table/snowflake.prod.transactions",
    ]
    resumed = {"Last-Event-ID": messages[0]["id"]}
    with http.stream("GET", "events", params={"type": "table"}, headers=resumed) as stream:
        (again,) = _read(stream.iter_lines(), count=1)
    assert again["id"] == messages[1]["id"] and again["data"] == messages[1]["data"]
    bad = http.get("events", params={"events": "nope"})
    assert bad.status_code == 400 and bad.json()["error"] == "input"


def _read(lines: Iterator[str], *, count: int) -> list[dict[str, str]]:
    """The next ``count`` messages of an event stream (comments skipped)."""
    messages: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in lines:
        if not line:
            if "data" in current:  # a message (not the retry field alone)
                messages.append(current)
                if len(messages) == count:
                    return messages
            current = {}
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        current[name] = value.removeprefix(" ")
    raise AssertionError(f"the stream ended after {messages}")


def test_an_open_stream_does_not_hold_the_server_at_shutdown(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    launched = launch(log=tmp_path_factory.mktemp("events-stop") / "serve.log", demo=False, token=TOKEN)
    try:
        live = launched.ready()
        with httpx.Client(timeout=30) as client, client.stream("GET", live.url + "events") as stream:
            lines = stream.iter_lines()
            assert next(lines).startswith("retry:")
            os.kill(live.pid, signal.SIGTERM)  # as Ctrl-C or a service manager stops it
            started = time.monotonic()
            rest = list(lines)  # the server ends the stream (else this waits for the 30 s read timeout)
            assert all(not line or line.startswith(":") for line in rest)
            launched.process.wait(timeout=10)
            assert time.monotonic() - started < 5
    finally:
        launched.stop()
