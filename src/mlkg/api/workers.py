"""SPARQL queries in worker processes that can be stopped: the time limit of ``/sparql`` and ``/queries/*``
on the embedded on-disk store (DESIGN.md: "queries run off the event loop with a timeout").

pyoxigraph cannot cancel a query: one evaluation step (an aggregate over a cross product) is one native call
that no Python code can interrupt, and a thread running it would go on using a core after its request was
answered 503. So :class:`QueryWorkers` runs these queries in a worker process, several at a time (one thread
each), on a read-only view of the store (pyoxigraph ``Store.read_only``). When a query passes its time limit
the whole process is killed (SIGKILL) and a new one forked: the query stops using CPU at its limit. The other
queries that were running in the killed process are sent again to the new one, within their own time limits
(a query is a read: running it twice changes nothing).

Read-your-writes: the app counts its acknowledged writes (:attr:`mlkg.api.deps.AppState.writes`). Each job
carries that count as it was when the job was sent; a worker answering a job of a newer count first opens a
new view (10-50 ms on a 100k-triple store), which holds every write acknowledged before the job was sent.

The read-only view can fail to open, or a query on it fail, when the writer's compaction removes a file the
view had not opened yet: the view is opened again (:func:`open_view`) and the query run once more.

Worker processes are forked by :mod:`multiprocessing`'s fork server, which imports this module (and so
pyoxigraph, rdflib and the serialisers) once: replacing a killed worker costs a fork, not a Python start-up.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass
from typing import Final, Literal

from rdflib import URIRef

from mlkg.api.representations import answer_query
from mlkg.errors import MlkgError, QueryError, QueryTimeoutError, ServiceBusyError, StoreError
from mlkg.store.base import Term
from mlkg.store.oxigraph import OxigraphStore

__all__ = ["QueryJob", "QueryWorkers", "open_view", "serve"]

#: Seconds a query may run past its limit before its process is killed: time for the worker's own deadline
#: checks (while results are serialised) to answer first without a kill.
GRACE: Final = 0.1
#: A query whose process was killed (another query passed its limit) is sent again only if at least this
#: many seconds of its own limit are left.
RETRY_MIN_SECONDS: Final = 0.05
#: Queries one worker process runs at once, one thread each. A query is never queued behind others: a cheap
#: one runs next to the heavy ones (sharing the cores), and past this many the request is refused at once
#: (503, ``Retry-After``). Threads waiting for work cost no CPU.
THREADS: Final = 64
#: Attempts at opening a read-only view (a compaction can remove a file while it is being opened).
OPEN_ATTEMPTS: Final = 5

Answer = tuple[bytes, str]
Reply = tuple[Literal["ok"], Answer] | tuple[Literal["error"], MlkgError]


@dataclass(frozen=True, slots=True)
class QueryJob:
    """One query to answer, as :func:`mlkg.api.representations.answer_query` takes it (sent by pickle)."""

    query: str
    accept: str | None
    bindings: Mapping[str, Term] | None = None
    default_graphs: Sequence[URIRef] | None = None
    named_graphs: Sequence[URIRef] | None = None


class _WorkerGone(Exception):
    """The worker process running a job was killed (or died) before it answered."""


class _Worker:
    """One worker process: its pipe, the jobs sent and not answered yet, and a thread reading the answers."""

    def __init__(
        self, *, context: multiprocessing.context.ForkServerContext, path: str, threads: int
    ) -> None:
        parent, child = context.Pipe()
        self.process = context.Process(
            target=serve,
            kwargs={"conn": child, "path": path, "threads": threads},
            name="mlkg-query",
            daemon=True,
        )
        self.process.start()
        child.close()
        self.threads = threads
        self.conn = parent
        self.alive = True
        self._lock = threading.Lock()
        self._pending: dict[int, Future[Reply]] = {}
        self._sent = 0
        self._reader = threading.Thread(target=self._read, name="mlkg-query-answers", daemon=True)
        self._reader.start()

    def submit(self, job: QueryJob, *, generation: int, timeout: float) -> Future[Reply]:
        """Send a job; its future gets the reply, or :class:`_WorkerGone` if the process dies first.

        :raises _WorkerGone: if the process is already dead.
        :raises ServiceBusyError: if the process already runs as many queries as it has threads.
        """
        future: Future[Reply] = Future()
        with self._lock:
            if not self.alive:
                raise _WorkerGone
            if len(self._pending) >= self.threads:
                raise ServiceBusyError(
                    f"{self.threads} queries are running already; try again shortly", retry_after=1
                )
            self._sent += 1
            ident = self._sent
            self._pending[ident] = future
            try:
                self.conn.send((ident, generation, timeout, job))
            except (OSError, ValueError) as error:
                del self._pending[ident]
                raise _WorkerGone from error
        return future

    def kill(self) -> None:
        """Stop the process now (SIGKILL); the reader thread then fails its pending jobs and reaps it."""
        with self._lock:
            self.alive = False
        self.process.kill()

    def _read(self) -> None:
        try:
            while True:
                ident, reply = self.conn.recv()
                with self._lock:
                    future = self._pending.pop(ident, None)
                if future is not None:
                    _settle(future, reply)
        except (EOFError, OSError):
            pass
        finally:
            with self._lock:
                self.alive = False
                pending, self._pending = self._pending, {}
            for future in pending.values():
                _settle(future, None)
            self.conn.close()
            self.process.join()


def _settle(future: Future[Reply], reply: Reply | None) -> None:
    try:
        if reply is None:
            future.set_exception(_WorkerGone())
        else:
            future.set_result(reply)
    except InvalidStateError:
        pass  # the request went away (cancelled) before its answer came


class QueryWorkers:
    """Runs queries on the on-disk store at ``path`` in a worker process of ``threads`` threads (at most that
    many queries at once), killed and replaced when a query passes its time limit (see the module's
    description).

    Made by the app at start-up (:func:`mlkg.api.app.create_app`'s lifespan) and closed at shutdown; used
    from the event loop only.
    """

    def __init__(self, *, path: str, threads: int = THREADS) -> None:
        self._context = multiprocessing.get_context("forkserver")
        # The fork server is one per Python process: the first pool to start it decides what it preloads.
        self._context.set_forkserver_preload(["__main__", __name__])
        self._path = path
        self._threads = threads
        self._current: _Worker | None = None
        #: How many worker processes were killed for a query past its limit (reported by ``/health``).
        self.stopped = 0

    def start(self) -> None:
        """Start the fork server and the first worker (a second or so on first use: the fork server imports
        this module). Call it before serving, off the event loop or before it runs."""
        self._worker()

    def _worker(self) -> _Worker:
        worker = self._current
        if worker is None or not worker.alive:
            worker = self._current = _Worker(context=self._context, path=self._path, threads=self._threads)
        return worker

    @property
    def pids(self) -> list[int]:
        """The process ids of the live worker processes (none, or one)."""
        worker = self._current
        return [worker.process.pid] if worker is not None and worker.alive and worker.process.pid else []

    async def answer(self, job: QueryJob, *, generation: int, timeout: float) -> Answer:
        """Answer ``job`` in a worker process: ``(body, Content-Type)`` as :func:`answer_query` returns.

        ``generation`` is the number of writes acknowledged so far; the answer reflects all of them.

        :raises QueryTimeoutError: if ``timeout`` seconds pass; the process running the query is killed.
        :raises ServiceBusyError: if ``threads`` queries are running already (refused at once).
        :raises QueryError: for a malformed query; and whatever else :func:`answer_query` raises.
        :raises StoreError: if the store cannot be read, or worker processes keep dying.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        for attempt in range(3):
            remaining = deadline - loop.time()
            if remaining <= (RETRY_MIN_SECONDS if attempt else 0):
                break
            worker = self._worker()
            try:
                future = asyncio.wrap_future(worker.submit(job, generation=generation, timeout=remaining))
            except _WorkerGone:
                continue
            expired: list[bool] = []

            def expire(worker: _Worker = worker, expired: list[bool] = expired) -> None:
                expired.append(True)
                if worker.alive:
                    self.stopped += 1
                    worker.kill()

            timer = loop.call_later(remaining + GRACE, expire)
            try:
                kind, value = await future
            except _WorkerGone:
                if expired:
                    break
                continue  # another query's time ran out in that process: run this one again
            finally:
                timer.cancel()
            if kind == "error":
                assert isinstance(value, MlkgError)
                raise value
            assert isinstance(value, tuple)
            return value
        else:
            raise StoreError("the query worker process stopped three times while running this query")
        raise QueryTimeoutError(
            f"the query did not finish within {timeout:g} s and was stopped (MLKG_QUERY_TIMEOUT, or the "
            "'timeout' parameter)"
        )

    def close(self) -> None:
        """Kill the worker process (running queries included). Idempotent."""
        worker, self._current = self._current, None
        if worker is not None and worker.alive:
            worker.kill()


# -- in the worker process ------------------------------------------------------------------------------


def open_view(*, path: str) -> OxigraphStore:
    """A read-only view of the on-disk store at ``path``, holding every write committed before this call.

    :raises StoreError: if it cannot be opened after :data:`OPEN_ATTEMPTS` tries (the directory holds no
        store; or a compaction kept removing files while it was being opened).
    """
    for attempt in range(OPEN_ATTEMPTS):
        try:
            return OxigraphStore(path=path, read_only=True)
        except StoreError:
            if attempt == OPEN_ATTEMPTS - 1:
                raise
            time.sleep(0.01 * (attempt + 1))
    raise AssertionError("unreachable")


class _View:
    """The worker's read-only view of the store, opened again for jobs sent after a newer write."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._store: OxigraphStore | None = None
        self._generation = -1

    def get(self, generation: int) -> OxigraphStore:
        """A view holding at least write number ``generation``.

        :raises StoreError: as :func:`open_view`.
        """
        with self._lock:
            if self._store is None or generation > self._generation:
                self._store = open_view(path=self._path)
                self._generation = generation
            return self._store

    def discard(self, store: OxigraphStore) -> None:
        """Forget ``store`` (a query on it failed for a missing file): :meth:`get` then opens a new one."""
        with self._lock:
            if self._store is store:
                self._store = None


def _stale(error: MlkgError) -> bool:
    """True if ``error`` came from the view's files changing under it (not from the query itself)."""
    text = f"{error} {error.__cause__}"
    return isinstance(error, (StoreError, QueryError)) and any(
        sign in text for sign in ("No such file", "Corruption", "IO error")
    )


def _answer(view: _View, generation: int, timeout: float, job: QueryJob) -> Reply:
    for attempt in range(2):
        store: OxigraphStore | None = None
        try:
            store = view.get(generation)
            return "ok", answer_query(
                store=store,
                query=job.query,
                accept=job.accept,
                bindings=job.bindings,
                default_graphs=job.default_graphs,
                named_graphs=job.named_graphs,
                timeout=timeout,
            )
        except MlkgError as error:
            if attempt == 0 and _stale(error):
                if store is not None:
                    view.discard(store)
                continue
            error.__traceback__ = None  # it may hold pyoxigraph objects: drop them on this thread
            return "error", error
        except Exception as error:  # a bug: answered as a store failure, never a dead worker
            return "error", StoreError(f"the query worker failed: {type(error).__name__}: {error}")
    raise AssertionError("unreachable")


def serve(*, conn: multiprocessing.connection.Connection, path: str, threads: int) -> None:
    """The worker process: answer the jobs read from ``conn`` in ``threads`` threads, until ``conn`` closes
    (the server stopped or died); then exit at once."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which stops this process
    view = _View(path)
    receiving, sending = threading.Lock(), threading.Lock()

    def work() -> None:
        while True:
            with receiving:
                try:
                    ident, generation, timeout, job = conn.recv()
                except (EOFError, OSError):
                    os._exit(0)
            reply = _answer(view, generation, timeout, job)
            with sending:
                try:
                    conn.send((ident, reply))
                except (EOFError, OSError):
                    os._exit(0)
                except Exception as error:  # an error that does not pickle: say so, never leave it waiting
                    conn.send((ident, ("error", StoreError(f"the query worker failed to answer: {error}"))))
            del reply

    for _ in range(threads - 1):
        threading.Thread(target=work, name="mlkg-query", daemon=True).start()
    work()
