"""SPARQL queries in worker processes that can be stopped: the time limit of ``/sparql`` and ``/queries/*``
on the embedded on-disk store (docs/architecture.md, section 1: queries run off the event loop with a time
limit; issue 11).

pyoxigraph cannot cancel a query: one evaluation step (an aggregate over a cross product) is one native call
that no Python code can interrupt, and a thread running it would go on using a core after its request was
answered 503. So :class:`QueryWorkers` runs these queries in a worker process, several at a time (one thread
each), on a read-only view of the store (pyoxigraph ``Store.read_only``; :mod:`mlkg.api.workerproc`). When a
query passes its time limit the whole process is killed (SIGKILL) and a new one forked: the query stops using
CPU at its limit. The other queries that were running in the killed process are sent again to the new one,
within their own time limits (a query is a read: running it twice changes nothing).

Read-your-writes: the app counts its acknowledged writes (:attr:`mlkg.api.deps.AppState.writes`). Each job
carries that count as it was when the job was sent; a worker answering a job of a newer count first opens a
new view, which holds every write acknowledged before the job was sent. A reopen costs 20-50 ms on a
100k-triple store, and more while the writer's log holds many writes (about 0.4-0.8 s after 300 uploads):
so a query seen to be cheap here (:class:`CheapQueries`) is run by the app in its own threads next time,
on the store itself, and only new (or slow) query texts pay the hand-off and the reopen.

The read-only view can fail to open, or a query on it fail, when the writer's compaction removes a file the
view had not opened yet: the view is opened again and the query run once more.

Worker processes are forked by :mod:`multiprocessing`'s fork server, which imports the worker's module (and
so pyoxigraph, rdflib and the serialisers) once: replacing a killed worker costs a fork, not a Python
start-up.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import multiprocessing.connection
import threading
from typing import Final

from rdflib import URIRef

from mlkg.api.workerproc import Answer, Counter, QueryJob, Reply, serve
from mlkg.errors import MlkgError, QueryTimeoutError, ServiceBusyError, StoreError
from mlkg.store.base import Term

__all__ = ["CHEAP_SECONDS", "FORGET_SECONDS", "CheapQueries", "QueryJob", "QueryWorkers", "key_of"]

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
#: A query that took at most this many seconds is "cheap" (:class:`CheapQueries`).
CHEAP_SECONDS: Final = 0.1
#: A cheap query run in the server's threads is forgotten if it took more than this many seconds there (its
#: data grew). Higher than :data:`CHEAP_SECONDS`: a thread's time includes waiting for the GIL while uploads
#: are validated, and a query wrongly forgotten pays a view reopen in the worker (up to a second).
FORGET_SECONDS: Final = 1.0
#: How many cheap queries are remembered (least recently used forgotten first).
CHEAP_MEMORY: Final = 4096
#: Key of a query for :class:`CheapQueries`: its text, dataset and bindings.
QueryKey = tuple[
    str, tuple[URIRef, ...] | None, tuple[URIRef, ...] | None, frozenset[tuple[str, Term]] | None
]


class _WorkerGone(Exception):
    """The worker process running a job was killed (or died) before it answered."""


class _Worker:
    """One worker process: its pipe and the jobs sent and not answered yet. Answers are read on the event
    loop when the pipe is readable (no thread hand-off); everything here runs on the loop's thread."""

    def __init__(
        self,
        *,
        context: multiprocessing.context.ForkServerContext,
        path: str,
        threads: int,
        acknowledged: Counter,
    ) -> None:
        parent, child = context.Pipe()
        self.process = context.Process(
            target=serve,
            kwargs={"conn": child, "path": path, "threads": threads, "acknowledged": acknowledged},
            name="mlkg-query",
            daemon=True,
        )
        self.process.start()
        child.close()
        self.threads = threads
        self.conn = parent
        self.alive = True
        self._pending: dict[int, asyncio.Future[Reply]] = {}
        self._sent = 0
        self._loop: asyncio.AbstractEventLoop | None = None

    def submit(self, job: QueryJob, *, generation: int, timeout: float) -> asyncio.Future[Reply]:
        """Send a job; its future gets the reply, or :class:`_WorkerGone` if the process dies first.

        :raises _WorkerGone: if the process is already dead.
        :raises ServiceBusyError: if the process already runs as many queries as it has threads.
        """
        if not self.alive:
            raise _WorkerGone
        if len(self._pending) >= self.threads:
            raise ServiceBusyError(
                f"{self.threads} queries are running already; try again shortly", retry_after=1
            )
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # the first job on this loop: read the answers on it
            if self._loop is not None and not self._loop.is_closed():
                self._loop.remove_reader(self.conn.fileno())
            loop.add_reader(self.conn.fileno(), self._read)
            self._loop = loop
        self._sent += 1
        future: asyncio.Future[Reply] = loop.create_future()
        try:
            self.conn.send((self._sent, generation, timeout, job))
        except (OSError, ValueError) as error:
            self._ended()
            raise _WorkerGone from error
        self._pending[self._sent] = future
        return future

    def kill(self) -> None:
        """Stop the process now (SIGKILL); its pending jobs fail with :class:`_WorkerGone`."""
        if self.alive:
            self.process.kill()
            self._ended()

    def _read(self) -> None:
        try:
            ident, reply = self.conn.recv()
        except (EOFError, OSError):
            self._ended()
            return
        future = self._pending.pop(ident, None)
        if future is not None and not future.done():
            future.set_result(reply)

    def _ended(self) -> None:
        """The process is gone or going: fail its pending jobs, stop reading, reap it in the background."""
        if not self.alive:
            return
        self.alive = False
        pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(_WorkerGone())
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(self.conn.fileno())
        self.conn.close()
        threading.Thread(target=self.process.join, name="mlkg-query-reap", daemon=True).start()


def key_of(job: QueryJob) -> QueryKey:
    """What makes two queries the same work: text, dataset and bindings (not the result format)."""
    return (
        job.query,
        None if job.default_graphs is None else tuple(job.default_graphs),
        None if job.named_graphs is None else tuple(job.named_graphs),
        None if not job.bindings else frozenset(job.bindings.items()),
    )


class CheapQueries:
    """The last :data:`CHEAP_MEMORY` queries (:func:`key_of`) that finished within :data:`CHEAP_SECONDS`.

    The same query on the same data costs the same, so one of these may run in the server's own threads
    (no process hand-off, no view to reopen after a write); a new text, however it looks, is run where it
    can be stopped first. A remembered query that turns slow (the data grew) is forgotten by
    :meth:`forget`; the app's cap on reads past their limit bounds what such a one can cost meanwhile.
    """

    def __init__(self) -> None:
        self._keys: dict[QueryKey, None] = {}

    def __contains__(self, key: QueryKey) -> bool:
        return key in self._keys

    def add(self, key: QueryKey) -> None:
        self._keys.pop(key, None)
        self._keys[key] = None
        if len(self._keys) > CHEAP_MEMORY:
            del self._keys[next(iter(self._keys))]

    def forget(self, key: QueryKey) -> None:
        self._keys.pop(key, None)


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
        self._context.set_forkserver_preload(["__main__", "mlkg.api.workerproc"])
        self._acknowledged: Counter = self._context.RawValue("q", 0)
        self._path = path
        self._threads = threads
        self._current: _Worker | None = None
        #: How many worker processes were killed for a query past its limit (reported by ``/health``).
        self.stopped = 0
        #: The queries seen to finish quickly here, which the app may run in its own threads.
        self.cheap = CheapQueries()

    def start(self) -> None:
        """Start the fork server and the first worker (a second or so on first use: the fork server imports
        this module). Call it before serving, off the event loop or before it runs."""
        self._worker()

    def _worker(self) -> _Worker:
        worker = self._current
        if worker is None or not worker.alive:
            worker = self._current = _Worker(
                context=self._context, path=self._path, threads=self._threads, acknowledged=self._acknowledged
            )
        return worker

    def acknowledge(self, *, writes: int) -> None:
        """Say that ``writes`` writes are acknowledged (called by the writer, before it answers)."""
        self._acknowledged.value = writes

    @property
    def pids(self) -> list[int]:
        """The process ids of the live worker processes (none, or one)."""
        worker = self._current
        return [worker.process.pid] if worker is not None and worker.alive and worker.process.pid else []

    async def answer(self, job: QueryJob, *, generation: int, timeout: float) -> Answer:
        """Answer ``job`` in a worker process: ``(body, Content-Type)`` as :func:`answer_query` returns.

        ``generation`` is the number of writes acknowledged so far; the answer reflects all of them. A query
        that took at most :data:`CHEAP_SECONDS` in the worker is remembered in :attr:`cheap`.

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
                future = worker.submit(job, generation=generation, timeout=remaining)
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
                kind, value, seconds = await future
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
            if seconds <= CHEAP_SECONDS:
                self.cheap.add(key_of(job))
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
