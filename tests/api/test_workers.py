"""Bounded work per query (issue 11, point 2): queries on an on-disk store run in worker processes that are
killed at their time limit; reads left on threads are refused at once while too many are past their limit;
``/health`` never waits behind queries. The timing budget itself is checked in ``tests/reliability``."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rdflib import URIRef

from mlkg.api import create_app
from mlkg.api.deps import AppState, run_read
from mlkg.api.errors import error_response
from mlkg.api.workerproc import _View
from mlkg.api.workers import CheapQueries, QueryJob, QueryWorkers, key_of
from mlkg.config import MEMORY_STORE, Settings
from mlkg.errors import QueryError, QueryTimeoutError, ServiceBusyError, StoreError
from mlkg.store.oxigraph import OxigraphStore

#: Four copies of every triple joined: never finishes on the demo catalog (3,000 triples).
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
CSV = {"Accept": "text/csv"}


def _pid_gone(pid: int) -> bool:
    """True once ``pid`` is no process any more (killed and reaped by the fork server)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.fixture
def disk_client(tmp_path: Path) -> Iterator[TestClient]:
    """An app over an on-disk store holding the demo catalog, with its query worker processes started."""
    app = create_app(Settings(store=str(tmp_path / "store")), demo=True)
    with TestClient(app) as client:
        yield client


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[QueryWorkers]:
    """Query workers over an on-disk store of three triples."""
    path = str(tmp_path / "store")
    with OxigraphStore(path=path) as store:
        store.update(update="INSERT DATA { <urn:s> <urn:p> 1, 2, 3 }")
    pool = QueryWorkers(path=path)
    pool.start()
    yield pool
    pool.close()


def _state(client: TestClient) -> AppState:
    state: AppState = client.app.state.mlkg  # type: ignore[attr-defined]
    return state


def test_an_on_disk_app_runs_queries_in_worker_processes(disk_client: TestClient) -> None:
    assert _state(disk_client).workers is not None
    health = disk_client.get("/health").json()
    assert health["queries"]["isolation"] == "process"
    rows = disk_client.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"}, headers=CSV)
    assert rows.status_code == 200 and int(rows.text.split()[1]) > 1000


def test_a_read_after_an_acknowledged_write_sees_it(disk_client: TestClient) -> None:
    """On both paths: a new query text (run in a worker process, whose view must be reopened after the write)
    and a text already seen to be cheap (run in the server's threads, on the store itself)."""
    workers = _state(disk_client).workers
    assert workers is not None
    count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <urn:g> { ?s ?p ?o } }"
    for i in range(1, 6):
        update = f"INSERT DATA {{ GRAPH <urn:g> {{ <urn:s{i}> <urn:p> <urn:o> }} }}"
        assert disk_client.post("/update", data={"update": update}).status_code == 204
        new = f"SELECT (COUNT(*) AS ?n{i}) WHERE {{ GRAPH <urn:g> {{ ?s ?p ?o }} }}"
        assert key_of(QueryJob(query=new, accept=None)) not in workers.cheap
        assert disk_client.get("/sparql", params={"query": new}, headers=CSV).text.split() == [
            f"n{i}",
            str(i),
        ]
        assert disk_client.get("/sparql", params={"query": count}, headers=CSV).text.split() == ["n", str(i)]
    assert key_of(QueryJob(query=count, accept=None)) in workers.cheap


def test_only_queries_seen_to_be_cheap_are_remembered() -> None:
    cheap = CheapQueries()
    job = QueryJob(query="ASK {}", accept=None, bindings={"x": URIRef("urn:x")})
    assert key_of(job) not in cheap
    cheap.add(key_of(job))
    assert key_of(job._replace(accept="text/csv")) in cheap  # the same work, another format
    assert key_of(job._replace(bindings={"x": URIRef("urn:y")})) not in cheap
    assert key_of(job._replace(default_graphs=[URIRef("urn:g")])) not in cheap
    cheap.forget(key_of(job))
    assert key_of(job) not in cheap


def test_named_queries_and_errors_come_back_from_the_workers(disk_client: TestClient) -> None:
    listed = disk_client.get("/queries").json()["queries"]
    assert disk_client.get(f"/queries/{listed[0]['name']}", params={}).status_code in (200, 400)
    malformed = disk_client.get("/sparql", params={"query": "SELECT WHERE {"})
    assert malformed.status_code == 400 and malformed.json()["error"] == "query"
    assert (
        disk_client.get("/sparql", params={"query": "ASK {}"}, headers={"Accept": "image/png"}).status_code
        == 406
    )


def test_a_query_past_its_limit_kills_its_process_and_the_next_query_is_answered(
    disk_client: TestClient,
) -> None:
    workers = _state(disk_client).workers
    assert workers is not None
    [pid] = workers.pids
    answer = disk_client.get("/sparql", params={"query": RUNAWAY, "timeout": "0.5"})
    assert answer.status_code == 503
    assert answer.json()["error"] == "querytimeout" and "stopped" in answer.json()["message"]
    assert disk_client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}).json()["boolean"] is True
    assert workers.pids and workers.pids != [pid]
    assert disk_client.get("/health").json()["queries"]["stopped"] == 1
    for _ in range(500):  # the kill is immediate; the fork server reaps the process a moment later
        if _pid_gone(pid):
            break
        time.sleep(0.01)
    assert _pid_gone(pid)


def test_a_query_whose_process_was_killed_is_sent_again(workers: QueryWorkers) -> None:
    """Another query's kill takes down the queries running next to it: they are run again elsewhere."""
    [pid] = workers.pids

    async def scenario() -> tuple[bytes, str]:
        os.kill(pid, signal.SIGSTOP)  # the job waits in the pipe, unanswered
        asked = asyncio.create_task(
            workers.answer(
                QueryJob(query="SELECT ?o { ?s ?p ?o }", accept="text/csv"), generation=0, timeout=30
            )
        )
        await asyncio.sleep(0)  # sent
        os.kill(pid, signal.SIGKILL)
        return await asked

    body, content_type = asyncio.run(scenario())
    assert content_type.startswith("text/csv") and sorted(body.split()) == [b"1", b"2", b"3", b"o"]
    assert workers.pids and workers.pids != [pid]


def test_worker_errors_are_mlkg_errors(workers: QueryWorkers) -> None:
    async def ask(query: str, timeout: float = 30) -> tuple[bytes, str]:
        return await workers.answer(QueryJob(query=query, accept=None), generation=0, timeout=timeout)

    with pytest.raises(QueryError, match="malformed"):
        asyncio.run(ask("SELECT WHERE {"))
    with pytest.raises(QueryError, match="SERVICE"):
        asyncio.run(ask("SELECT * { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"))


def test_reads_are_refused_at_once_while_too_many_are_past_their_limit() -> None:
    app = create_app(Settings(store=MEMORY_STORE, max_overdue_queries=1))
    state: AppState = app.state.mlkg
    release = threading.Event()

    async def scenario() -> None:
        with pytest.raises(QueryTimeoutError):
            await run_read(state, release.wait, timeout=0.05)
        assert state.overdue == 1
        with pytest.raises(ServiceBusyError) as refused:
            await run_read(state, lambda: 42, timeout=5)
        assert refused.value.retry_after >= 1
        release.set()
        while state.overdue:  # the abandoned read ends, and is no longer counted
            await asyncio.sleep(0.01)
        assert await run_read(state, lambda: 42, timeout=5) == 42

    try:
        asyncio.run(scenario())
    finally:
        release.set()
        state.readers.shutdown(wait=True)


def test_a_refusal_is_a_503_with_retry_after() -> None:
    response = error_response(ServiceBusyError("busy", retry_after=7))
    assert response.status_code == 503 and response.headers["retry-after"] == "7"


def test_health_does_not_wait_for_the_read_pool() -> None:
    app = create_app(Settings(store=MEMORY_STORE))
    release = threading.Event()
    with TestClient(app) as client:
        state = _state(client)
        held = [state.readers.submit(release.wait) for _ in range(32)]  # every reader busy, more queued
        try:
            assert client.get("/health").json()["status"] == "ok"
        finally:
            release.set()
            for future in held:
                future.result()


def test_one_reopened_view_serves_every_job_sent_before_it(tmp_path: Path) -> None:
    path = str(tmp_path / "store")
    acknowledged = multiprocessing.get_context("forkserver").RawValue("q", 0)
    with OxigraphStore(path=path) as primary:
        view = _View(path, acknowledged)
        first = view.get(0)
        assert view.get(0) is first
        primary.update(update="INSERT DATA { <urn:s> <urn:p> 1 }")
        acknowledged.value = 1
        primary.update(update="INSERT DATA { <urn:s> <urn:p> 2 }")
        acknowledged.value = 2
        second = view.get(1)  # a job sent after the first write: reopened, holding both
        assert second is not first and view.get(2) is second
        assert len(second.query(query="SELECT ?o { ?s ?p ?o }").rows) == 2  # type: ignore[union-attr]


def test_a_worker_that_cannot_read_the_store_falls_back_to_the_store_itself(
    disk_client: TestClient, tmp_path: Path
) -> None:
    state = _state(disk_client)
    assert state.workers is not None
    state.workers.close()
    state.workers = QueryWorkers(path=str(tmp_path / "no-store-here"))
    try:
        with pytest.raises(StoreError, match="cannot open"):
            asyncio.run(state.workers.answer(QueryJob(query="ASK {}", accept=None), generation=0, timeout=30))
        answer = disk_client.get("/sparql", params={"query": "ASK { ?s a ?t }"})
        assert answer.status_code == 200 and answer.json()["boolean"] is True
    finally:
        state.workers.close()
