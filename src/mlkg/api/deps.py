"""What every route needs: the application state (store, ingestor, named queries), the write-token check,
bounded request bodies, and running store calls off the event loop with a time limit.

One :class:`AppState` per app, made by :func:`mlkg.api.app.create_app` and kept on ``app.state.mlkg``; there
is no module-level state.
"""

from __future__ import annotations

import asyncio
import hmac
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

import anyio
import anyio.to_thread
from fastapi import Request
from rdflib import URIRef

from mlkg.api.guard import check_write_origin
from mlkg.config import Settings
from mlkg.errors import AuthenticationError, InputError, PayloadTooLargeError, QueryTimeoutError
from mlkg.ids import IriMinter
from mlkg.ingest import Ingestor
from mlkg.queries import QueryCatalog
from mlkg.reasoning.program import LineageProgram
from mlkg.reasoning.store import ReasonedStore

__all__ = ["AppState", "absolute_iri", "read_body", "require_writer", "run_read", "run_write", "state_of"]

T = TypeVar("T")


@dataclass
class AppState:
    """The objects one app serves from. ``write_lock`` serialises writes (the reasoner's state is updated in
    place); reads never take it: the embedded store answers each query on a consistent snapshot."""

    settings: Settings
    store: ReasonedStore
    ingestor: Ingestor
    catalog: QueryCatalog
    minter: IriMinter
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    #: The worker threads reads run in (a plain executor: its hand-off costs less than anyio's), bounded so a
    #: burst of slow queries cannot exhaust the process.
    readers: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=16, thread_name_prefix="mlkg-read")
    )

    @property
    def program(self) -> LineageProgram:
        """The lineage rules, as compiled from the ontology for the store's reasoner."""
        return self.store.reasoner.program

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


def require_writer(request: Request) -> None:
    """Check that a write may be made: from no browser page of another origin (:mod:`mlkg.api.guard`), and
    with ``Authorization: Bearer <token>`` when a write token is configured (DESIGN.md, HTTP).

    The token is compared in constant time (:func:`hmac.compare_digest`) and never logged or echoed.

    :raises ForbiddenError: if a browser page of another origin sent the write (HTTP 403).
    :raises AuthenticationError: if a token is configured and the request does not carry it (HTTP 401).
    """
    settings = state_of(request).settings
    headers = request.headers
    check_write_origin(
        origin=headers.get("origin"),
        host=headers.get("host"),
        fetch_site=headers.get("sec-fetch-site"),
        settings=settings,
    )
    token = settings.write_token
    if token is None:
        return
    scheme, _, given = headers.get("authorization", "").partition(" ")
    expected = token.get_secret_value().encode("utf-8")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode("utf-8"), expected):
        raise AuthenticationError("this write needs 'Authorization: Bearer <token>' with the server's token")


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
    thread is abandoned; the store call also gets the deadline and stops collecting results by itself.

    :raises QueryTimeoutError: if ``timeout`` passes.
    """
    loop = asyncio.get_running_loop()
    future = loop.run_in_executor(state.readers, call)
    expired: list[bool] = []

    def expire() -> None:
        expired.append(True)
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


async def run_write(state: AppState, call: Callable[[], T]) -> T:
    """Run a write in a worker thread, one at a time (writes are never abandoned half-way)."""

    def locked() -> T:
        with state.write_lock:
            return call()

    return await anyio.to_thread.run_sync(locked)
