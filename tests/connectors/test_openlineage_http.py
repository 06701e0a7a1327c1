"""``POST /api/v1/lineage`` on a real ``mlkg serve``, fed by the official OpenLineage Python client and its
HTTP transport; ``mlkg load`` of an OpenLineage event file."""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import requests
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import column_lineage_dataset, schema_dataset
from openlineage.client.serde import Serde
from openlineage.client.transport.http import ApiKeyTokenProvider, HttpConfig, HttpTransport, TokenProvider
from tests.serving import Launched, LiveServer, launch
from typer.testing import CliRunner

import mlkg
from mlkg.cli import app

TOKEN = "openlineage-token"
PG = "postgres://db.host:5432"
KAFKA = "kafka://broker:9092"
ID = "http://localhost:8000/id/"
SOURCE_COLUMN = f"{ID}column/kafka.payments.amount"
TARGET_COLUMN = f"{ID}column/postgres_prod.ecommerce.public.orders.total_amount_30d"
PRODUCER = "https://github.com/example/mlkg-tests"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    mappings = ["--openlineage-namespace", f"{PG}=postgres_prod", "--openlineage-namespace", f"{KAFKA}=kafka"]
    started: Launched = launch(
        log=tmp_path_factory.mktemp("ol") / "serve.log", demo=True, token=TOKEN, options=mappings
    )
    try:
        yield started.ready()
    finally:
        started.stop()


def client(server: LiveServer, *, token: str | None) -> OpenLineageClient:
    auth = ApiKeyTokenProvider({"api_key": token}) if token else TokenProvider({})
    transport = HttpTransport(HttpConfig(url=server.url, auth=auth, retry={"total": 0}))
    return OpenLineageClient(transport=transport)


def payments_job(run_id: str, state: RunState, time: str) -> RunEvent:
    """A job filling the demo's orders.total_amount_30d from a Kafka topic's amount field."""
    lineage = column_lineage_dataset.ColumnLineageDatasetFacet(
        fields={
            "total_amount_30d": column_lineage_dataset.Fields(
                inputFields=[
                    column_lineage_dataset.InputField(namespace=KAFKA, name="payments", field="amount")
                ],
                transformationDescription="rolling 30-day sum",
                transformationType="AGGREGATION",
            )
        }
    )
    schema = schema_dataset.SchemaDatasetFacet(
        fields=[schema_dataset.SchemaDatasetFacetFields(name="amount", type="DOUBLE")]
    )
    return RunEvent(
        eventType=state,
        eventTime=time,
        run=Run(runId=run_id),
        job=Job(namespace="airflow", name="payments.orders_30d"),
        producer=PRODUCER,
        inputs=[InputDataset(namespace=KAFKA, name="payments", facets={"schema": schema})],
        outputs=[
            OutputDataset(namespace=PG, name="ecommerce.public.orders", facets={"columnLineage": lineage})
        ],
    )


def downstream(server: LiveServer, iri: str) -> set[str]:
    answer = httpx.get(f"{server.url}lineage?entity={quote(iri, safe='')}&direction=downstream")
    assert answer.status_code == 200, answer.text
    return {node["id"] for node in answer.json()["nodes"]}


def test_the_openlineage_client_feeds_column_lineage_that_impact_follows(server: LiveServer) -> None:
    run_id = str(uuid.uuid4())
    sender = client(server, token=TOKEN)
    sender.emit(payments_job(run_id, RunState.START, "2024-06-01T02:00:00+00:00"))
    sender.emit(payments_job(run_id, RunState.COMPLETE, "2024-06-01T02:04:00+00:00"))
    reached = downstream(server, SOURCE_COLUMN)
    assert TARGET_COLUMN in reached
    # and beyond it, what the demo builds on that column: churn features, the model, its predictions
    assert f"{ID}table/snowflake.prod.churn_scores" in reached
    assert any("/feature/" in iri for iri in reached)
    run = httpx.get(
        f"{server.url}sparql",
        params={"query": f"SELECT ?s ?t WHERE {{ ?r <https://w3id.org/mlkg#externalId> '{run_id}' ; "
                "<https://w3id.org/mlkg#status> ?s ; <https://w3id.org/mlkg#startTime> ?t }"},
        headers={"accept": "application/sparql-results+json"},
    ).json()["results"]["bindings"]  # fmt: skip
    assert [(b["s"]["value"], b["t"]["value"]) for b in run] == [("COMPLETE", "2024-06-01T02:00:00Z")]


def test_without_the_token_the_client_is_refused(server: LiveServer) -> None:
    with pytest.raises(requests.HTTPError) as raised:
        client(server, token=None).emit(
            payments_job(str(uuid.uuid4()), RunState.START, "2024-06-01T02:00:00Z")
        )
    assert raised.value.response.status_code == 401


def post(server: LiveServer, body: Any, **headers: str) -> httpx.Response:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(
        f"{server.url}api/v1/lineage",
        content=data,
        headers={"authorization": f"Bearer {TOKEN}", "content-type": "application/json", **headers},
    )


def test_a_bad_event_is_400_with_a_pointer_and_the_good_ones_are_stored(server: LiveServer) -> None:
    good = json.loads(Serde.to_json(payments_job(str(uuid.uuid4()), RunState.START, "2024-06-01T03:00:00Z")))
    bad = json.loads(json.dumps(good))
    bad["run"]["runId"] = str(uuid.uuid4())
    bad["eventType"] = "FINISHED"
    answer = post(server, [good, bad])
    assert answer.status_code == 400
    body = answer.json()
    assert body["where"] == "request body#/1/eventType"
    statuses = [e["status"] for e in body["report"]["events"]]
    assert statuses == ["accepted", "rejected"]
    assert body["report"]["events"][1]["errors"][0]["pointer"] == "/1/eventType"


def test_ndjson_and_gzip_bodies_are_taken(server: LiveServer) -> None:
    lines = "\n".join(
        Serde.to_json(payments_job(str(uuid.uuid4()), RunState.START, "2024-06-01T04:00:00Z"))
        for _ in range(3)
    )
    answer = post(server, lines.encode(), **{"content-type": "application/x-ndjson"})
    assert answer.status_code == 201, answer.text
    assert len(answer.json()["events"]) == 3
    zipped = gzip.compress(lines.encode())
    answer = post(server, zipped, **{"content-type": "application/x-ndjson", "content-encoding": "gzip"})
    assert answer.status_code == 201, answer.text
    assert post(server, b"{", **{"content-type": "application/json"}).status_code == 400
    assert post(server, b"x", **{"content-type": "text/plain"}).status_code == 415


def test_mlkg_load_takes_an_openlineage_event_file(tmp_path: Path) -> None:
    run_id = str(uuid.uuid4())
    events = tmp_path / "events.jsonl"
    events.write_text(
        "\n".join(
            Serde.to_json(payments_job(run_id, state, time))
            for state, time in (
                (RunState.START, "2024-06-01T02:00:00Z"),
                (RunState.COMPLETE, "2024-06-01T02:09:00Z"),
            )
        )
        + "\n",
        encoding="utf-8",
    )
    store = tmp_path / "store"
    demo = Path(__file__).resolve().parents[2] / "examples" / "demo"
    arguments = ["load", "--store", str(store), str(demo), str(events)]
    arguments += [
        "--openlineage-namespace",
        f"{PG}=postgres_prod",
        "--openlineage-namespace",
        f"{KAFKA}=kafka",
    ]
    result = CliRunner().invoke(app, arguments, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with mlkg.open(store=str(store), read_only=True) as catalog:
        report = catalog.impact(SOURCE_COLUMN)
        assert TARGET_COLUMN in {str(a.iri) for a in report.by_kind()["column"]}
        assert "model" in report.by_kind()
