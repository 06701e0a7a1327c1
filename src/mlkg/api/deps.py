"""What every route needs: the application state (store, ingestor, named queries), the write-token check,
bounded request bodies, and running store calls off the event loop with a time limit (SPARQL queries on an
on-disk store in worker processes that are killed at their limit, :mod:`mlkg.api.workers`).

One :class:`AppState` per app, made by :func:`mlkg.api.app.create_app` and kept on ``app.state.mlkg``; there
is no module-level state.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

import anyio
import anyio.to_thread
from fastapi import Request
from rdflib import URIRef

from mlkg.access.audit import Attempt
from mlkg.access.gate import PermissionGate
from mlkg.access.roles import Permission
from mlkg.api.auth import require
from mlkg.api.caller import caller_in, request_id_of
from mlkg.api.representations import answer_query
from mlkg.api.workers import FORGET_SECONDS, QueryJob, QueryWorkers, key_of
from mlkg.catalog import Catalog
from mlkg.config import Settings
from mlkg.errors import (
    InputError,
    PayloadTooLargeError,
    QueryTimeoutError,
    ServiceBusyError,
    StoreError,
)
from mlkg.events import ChangeEvents
from mlkg.ids import IriMinter
from mlkg.ingest import Ingestor
from mlkg.queries import QueryCatalog
from mlkg.reasoning.program import LineageProgram
from mlkg.reasoning.store import ReasonedStore
from mlkg.store.base import Term
from mlkg.web import Pages

__all__ = [
    "AppState",
    "absolute_iri",
    "entity_iri",
    "read_body",
    "require_writer",
    "run_query",
    "run_read",
    "run_write",
    "state_of",
]

T = TypeVar("T")


@dataclass
class AppState:
    """The objects one app serves from: a :class:`~mlkg.catalog.Catalog` (the Python front door, so the
    store is always reasoned) and the named queries. ``write_lock`` serialises writes (the reasoner's state
    is updated in place); reads never take it: the embedded store answers each query on a consistent
    snapshot."""

    settings: Settings
    catalog: Catalog
    queries: QueryCatalog
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    #: The worker threads reads run in (a plain executor: its hand-off costs less than anyio's), bounded so a
    #: burst of slow queries cannot exhaust the process.
    readers: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=16, thread_name_prefix="mlkg-read")
    )
    #: The worker processes SPARQL queries run in (an on-disk store, ``query_isolation="process"``), started
    #: with the app's lifespan; None: queries run in ``readers``.
    workers: QueryWorkers | None = None
    #: Writes acknowledged so far (counted by :func:`run_write`): a query sent to a worker process carries it,
    #: so that the process reads a view of the store holding them all (read-your-writes).
    writes: int = 0
    #: Change events: subscriptions, their deliveries and the ``/events`` stream (:mod:`mlkg.events`); made
    #: by :func:`~mlkg.api.app.create_app`, started and stopped with the app.
    events: ChangeEvents | None = None
    #: Reads run in ``readers`` that are past their time limit and still running (:func:`run_read`).
    overdue: int = 0
    _overdue_lock: threading.Lock = field(default_factory=threading.Lock)
    #: The web pages' templates (:mod:`mlkg.web`), one environment per app.
    pages: Pages = field(default_factory=Pages)

    @property
    def store(self) -> ReasonedStore:
        """The catalog's store: writes through it keep the inferred graph exact."""
        return self.catalog.store

    @property
    def ingestor(self) -> Ingestor:
        """The catalog's ingest (parsing, validation, batched writes)."""
        return self.catalog.ingestor

    @property
    def minter(self) -> IriMinter:
        """The catalog's entity IRI rule (docs/architecture.md, section 2)."""
        return self.catalog.minter

    @property
    def program(self) -> LineageProgram:
        """The lineage rules, as compiled from the ontology for the store's reasoner."""
        return self.catalog.program

    def timeout(self, requested: float | None) -> float:
        """The time limit of one request: the server's limit, or a lower one the client asked for."""
        limit = self.settings.query_timeout
        return limit if requested is None or requested <= 0 else min(limit, requested)


def absolute_iri(value: str, *, name: str) -> URIRef:
    """A request parameter that must be an absolute IRI (a graph name).

    :raises InputError: if it is relative or holds characters an IRI cannot (RFC 3987), naming ``name``.
    """
    if not value.startswith(("http://", "https://", "urn:")) or any(c in value for c in ' <>"{}|^`\\'):
        raise InputError(f"{name} {value!r} is not an absolute IRI", where=name)
    return URIRef(value)


def state_of(request: Request) -> AppState:
    state: AppState = request.app.state.mlkg
    return state


#: The write permission, as a route dependency (``dependencies=[Depends(require_writer)]``): the same as
#: ``require(Permission.WRITE)`` (:mod:`mlkg.api.auth`).
require_writer = require(Permission.WRITE)


async def read_body(request: Request) -> bytes:
    """The request body, refused past ``max_document_bytes`` without reading the rest.

    :raises PayloadTooLargeError: if ``Content-Length`` or the bytes received pass the limit (HTTP 413).
    """
    limit = state_of(request).settings.max_document_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError(
            f"the request body is {declared} bytes, more than the limit of {limit} bytes "
            "(MLKG_MAX_DOCUMENT_BYTES)"
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(
                f"the request body passes the limit of {limit} bytes (MLKG_MAX_DOCUMENT_BYTES)"
            )
        chunks.append(chunk)
    return b"".join(chunks)


async def run_read(state: AppState, call: Callable[[], T], *, timeout: float) -> T:
    """Run a store read in a worker thread, giving up after ``timeout`` seconds.

    The engine cannot always be interrupted mid-evaluation: on timeout the request is answered (503) and the
    thread is abandoned, counted in ``state.overdue`` until it ends; the store call also gets the deadline
    and stops collecting results by itself. While ``max_overdue_queries`` abandoned reads are still running,
    new reads are refused at once rather than queued behind them.

    :raises ServiceBusyError: if ``max_overdue_queries`` reads are past their limit and still running.
    :raises QueryTimeoutError: if ``timeout`` passes.
    """
    limit = state.settings.max_overdue_queries
    if state.overdue >= limit:
        raise ServiceBusyError(
            f"{state.overdue} earlier queries are still running past their time limit; try again shortly "
            f"(MLKG_MAX_OVERDUE_QUERIES={limit})",
            retry_after=max(1, round(state.settings.query_timeout / 4)),
        )
    loop = asyncio.get_running_loop()
    work = state.readers.submit(call)
    future = asyncio.wrap_future(work, loop=loop)
    expired: list[bool] = []

    def finished(_: Future[T]) -> None:
        with state._overdue_lock:
            state.overdue -= 1

    def expire() -> None:
        expired.append(True)
        if not work.cancel():  # it is running: it runs on, abandoned
            with state._overdue_lock:
                state.overdue += 1
            work.add_done_callback(finished)  # called at once if it has just finished
        future.cancel()

    # A timer on the future itself, not asyncio.wait_for: same behaviour, a third of the event-loop work.
    timer = loop.call_later(timeout, expire)
    try:
        return await future
    except asyncio.CancelledError as error:
        if expired:
            raise QueryTimeoutError(f"the request did not finish within {timeout:g} s") from error
        raise  # the request itself was cancelled (the client went away)
    finally:
        timer.cancel()


async def run_query(
    state: AppState,
    *,
    query: str,
    accept: str | None,
    timeout: float,
    bindings: Mapping[str, Term] | None = None,
    default_graphs: Sequence[URIRef] | None = None,
    named_graphs: Sequence[URIRef] | None = None,
) -> tuple[bytes, str]:
    """Answer a SPARQL query for a client (:func:`~mlkg.api.representations.answer_query`) within
    ``timeout`` seconds.

    With query worker processes (:mod:`mlkg.api.workers`), a query runs in one, where it is killed at its
    limit, unless it is one already seen to be cheap there (:class:`~mlkg.api.workers.CheapQueries`): that
    one runs in a worker thread (:func:`run_read`), as every query does without worker processes, and is
    forgotten if it turns slow (:data:`~mlkg.api.workers.FORGET_SECONDS`). While ``max_overdue_queries``
    thread reads are past their limit, every query goes to the worker processes.

    :raises QueryTimeoutError: if ``timeout`` passes.
    :raises ServiceBusyError: on the thread path as :func:`run_read`; in a worker, if it is full.
    :raises QueryError: for a malformed query; and whatever else ``answer_query`` raises.
    """

    spent: list[float] = []

    def run() -> tuple[bytes, str]:
        started = time.perf_counter()
        try:
            return answer_query(
                store=state.store,
                query=query,
                accept=accept,
                bindings=bindings,
                default_graphs=default_graphs,
                named_graphs=named_graphs,
                timeout=timeout,
            )
        finally:
            spent.append(time.perf_counter() - started)

    workers = state.workers
    if workers is None:
        return await run_read(state, run, timeout=timeout)
    job = QueryJob(
        query=query,
        accept=accept,
        bindings=bindings,
        default_graphs=default_graphs,
        named_graphs=named_graphs,
    )
    key = key_of(job)
    if key not in workers.cheap or state.overdue >= state.settings.max_overdue_queries:
        started = time.monotonic()
        try:
            return await workers.answer(job, generation=state.writes, timeout=timeout)
        except StoreError:
            # the worker's view of the store failed, not the store: answer from the store, in a thread
            timeout -= time.monotonic() - started
            if timeout <= 0:
                raise
        return await run_read(state, run, timeout=timeout)
    try:
        answer = await run_read(state, run, timeout=timeout)
    except QueryTimeoutError:
        workers.cheap.forget(key)
        raise
    if spent and spent[0] > FORGET_SECONDS:  # its own run, not the wait for a thread
        workers.cheap.forget(key)
    return answer


async def run_write(request: Request, call: Callable[[], T], *, limited: bool = True) -> T:
    """Run a request's write in a worker thread, one at a time (writes are never abandoned half-way);
    counted in ``state.writes`` once it has ended, before it is acknowledged.

    The write is made as the request's caller (:mod:`mlkg.api.auth`): the store's gate refuses what its
    role may not do, decided on the parsed write (:class:`~mlkg.access.gate.PermissionGate`: deploy,
    delete), and the attempt is recorded in the audit graph, granted (with the entities and versions it
    wrote), denied or failed (docs/architecture.md, section 10).

    A ``limited`` write waits at most ``Settings.write_timeout`` seconds for the writes before it; a later
    part of a request already under way (``limited=False``) waits as long as it takes.

    :raises ServiceBusyError: if the wait passed the limit; nothing was written.
    :raises ForbiddenError: if the caller's role lacks the permission the parsed write needs; nothing was
        written.
    """
    state = state_of(request)
    wait = state.settings.write_timeout if limited else -1
    caller = caller_in(request)
    gate = None if caller is None else PermissionGate(permissions=caller.permissions, who=caller.describe())
    attempt = Attempt(
        agent=caller.name if caller is not None else "anonymous",
        action=f"{request.method} {request.url.path}",
        request_id=request_id_of(request),
    )

    def locked() -> T:
        if not state.write_lock.acquire(timeout=wait):
            raise ServiceBusyError(
                f"the writes before this one held the store for more than {state.settings.write_timeout:g} s "
                "(MLKG_WRITE_TIMEOUT); nothing was written, try again later",
                retry_after=max(1, round(state.settings.write_timeout / 4)),
            )
        history = state.catalog.history
        anonymous = history.actor
        history.actor = attempt.agent  # the versions it writes are attributed to the caller
        try:
            with state.catalog.audit.recording(store=state.store, attempt=attempt, gate=gate):
                return call()
        finally:
            history.actor = anonymous
            state.writes += 1
            if state.workers is not None:
                state.workers.acknowledge(writes=state.writes)
            state.write_lock.release()

    return await anyio.to_thread.run_sync(locked)


def entity_iri(request: Request, *, suffix: str = "") -> URIRef:
    """The entity IRI a request path under ``/id/`` names, before ``suffix`` (e.g. ``/versions/1.2``): the
    server's base IRI and the path as sent (percent escapes kept), so every IRI mlkg mints dereferences on
    the server that serves its base."""
    raw = request.scope.get("raw_path") or request.url.path.encode("utf-8")
    path = raw.decode("latin-1").split("?", 1)[0].split("/id/", 1)[1]
    if suffix and path.endswith(suffix):
        path = path[: -len(suffix)]
    return URIRef(state_of(request).settings.base_iri + path)
