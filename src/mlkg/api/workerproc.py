"""The worker process side of :mod:`mlkg.api.workers`: a read-only view of the store, reopened for jobs sent
after newer writes, and threads answering the jobs read from the pipe.

A job is ``(ident, generation, timeout, QueryJob)``; the reply ``(ident, Reply)``. Errors come back as mlkg
errors (pickled); a bug in a job is answered as a :class:`~mlkg.errors.StoreError`, never a dead worker.
"""

from __future__ import annotations

import multiprocessing.connection
import os
import signal
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Literal, NamedTuple, Protocol

from rdflib import URIRef

from mlkg.api.representations import answer_query
from mlkg.errors import MlkgError, QueryError, StoreError
from mlkg.store.base import Term
from mlkg.store.oxigraph import OxigraphStore
from mlkg.store.reading import OPEN_ATTEMPTS, open_view

__all__ = ["OPEN_ATTEMPTS", "Answer", "Counter", "QueryJob", "Reply", "open_view", "serve"]

Answer = tuple[bytes, str]
#: ``("ok", (body, Content-Type), seconds the query took in the worker)`` or ``("error", error, 0.0)``.
Reply = tuple[Literal["ok"], Answer, float] | tuple[Literal["error"], MlkgError, float]


class Counter(Protocol):
    """An integer in memory shared between processes (:func:`multiprocessing.RawValue`)."""

    value: int


class QueryJob(NamedTuple):
    """One query to answer, as :func:`mlkg.api.representations.answer_query` takes it (sent by pickle)."""

    query: str
    accept: str | None
    bindings: Mapping[str, Term] | None = None
    default_graphs: Sequence[URIRef] | None = None
    named_graphs: Sequence[URIRef] | None = None


class _View:
    """The worker's read-only view of the store, opened again for jobs sent after a newer write.

    ``acknowledged`` is the count of writes the server has acknowledged, in memory shared with it: read just
    before a view is opened, it says which writes the view holds, so one reopen serves every job sent before
    it, however many writes came in between.
    """

    def __init__(self, path: str, acknowledged: Counter) -> None:
        self._path = path
        self._acknowledged = acknowledged
        self._lock = threading.Lock()
        self._store: OxigraphStore | None = None
        self._generation = -1

    def get(self, generation: int) -> OxigraphStore:
        """A view holding at least write number ``generation``.

        :raises StoreError: as :func:`open_view`.
        """
        with self._lock:
            if self._store is None or generation > self._generation:
                held = self._acknowledged.value
                self._store = open_view(path=self._path)
                self._generation = max(held, generation)
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
    for attempt in range(3):
        store: OxigraphStore | None = None
        try:
            store = view.get(generation)
            started = time.perf_counter()
            answer = answer_query(
                store=store,
                query=job.query,
                accept=job.accept,
                bindings=job.bindings,
                default_graphs=job.default_graphs,
                named_graphs=job.named_graphs,
                timeout=timeout,
            )
            return "ok", answer, time.perf_counter() - started
        except MlkgError as error:
            if attempt < 2 and store is not None and _stale(error):  # the query failed, not the opening
                view.discard(store)
                continue
            error.__traceback__ = None  # it may hold pyoxigraph objects: drop them on this thread
            return "error", error, 0.0
        except Exception as error:  # a bug: answered as a store failure, never a dead worker
            return "error", StoreError(f"the query worker failed: {type(error).__name__}: {error}"), 0.0
    raise AssertionError("unreachable")


def serve(
    *, conn: multiprocessing.connection.Connection, path: str, threads: int, acknowledged: Counter
) -> None:
    """The worker process: answer the jobs read from ``conn`` in ``threads`` threads, until ``conn`` closes
    (the server stopped or died); then exit at once. ``acknowledged``: see :class:`_View`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which stops this process
    view = _View(path, acknowledged)
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
                    failed = StoreError(f"the query worker failed to answer: {error}")
                    conn.send((ident, ("error", failed, 0.0)))
            del reply

    for _ in range(threads - 1):
        threading.Thread(target=work, name="mlkg-query", daemon=True).start()
    work()
