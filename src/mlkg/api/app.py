"""The HTTP service: ``create_app(settings)`` builds one FastAPI app over one store (docs/architecture.md,
section 1, HTTP).

The app serves one :class:`~mlkg.catalog.Catalog` (the Python front door), opened when the app is made and
closed when it shuts down. Every write goes through its
:class:`~mlkg.reasoning.store.ReasonedStore`, so the inferred lineage graph is correct after every request.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mlkg import __version__
from mlkg.api.caller import request_id_in
from mlkg.api.deps import AppState
from mlkg.api.errors import error_response, install_error_handlers
from mlkg.api.guard import cors_options, host_allowed
from mlkg.api.openapi import describe
from mlkg.api.routers import (
    datahub,
    entities,
    events,
    graphstore,
    health,
    history,
    lineage,
    linked,
    named,
    openlineage,
    openmetadata,
    patch,
    principals,
    search,
    sparql,
    subscriptions,
    update,
    web,
)
from mlkg.api.workers import QueryWorkers
from mlkg.catalog import Catalog
from mlkg.config import Settings
from mlkg.errors import InputError
from mlkg.events import ChangeEvents
from mlkg.queries import QueryCatalog
from mlkg.store import Store

__all__ = ["MlkgApp", "create_app", "query_workers"]

_LANE_METHODS = frozenset({"GET", "HEAD", "POST"})


class MlkgApp(FastAPI):
    """The FastAPI app, with a fast lane: requests to a path of ``lanes`` (``/sparql``) go straight to its
    ASGI app, with CORS, instead of through FastAPI's middleware stack and router. The SPARQL endpoint is the
    route clients call thousands of times a second; the stack cost about as much CPU as a small query.

    With ``allowed_hosts``, a request whose ``Host`` is not one of them is refused (400) before anything
    else, fast lane included (:mod:`mlkg.api.guard`).
    """

    def __init__(
        self,
        *,
        lanes: Mapping[str, ASGIApp],
        cors: Mapping[str, Any] | None,
        allowed_hosts: Sequence[str] | None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self._lanes = {
            path: lane if cors is None else CORSMiddleware(lane, **cors) for path, lane in lanes.items()
        }
        self._allowed_hosts = None if allowed_hosts is None else tuple(allowed_hosts)
        self._described: dict[str, Any] | None = None

    def openapi(self) -> dict[str, Any]:
        """FastAPI's description, completed for routes that read the request themselves (:mod:`.openapi`)."""
        if self._described is None:
            self._described = describe(super().openapi())
        return self._described

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            send = _with_request_id(scope, send)
        if self._allowed_hosts is not None and scope["type"] in ("http", "websocket"):
            host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), None)
            if not host_allowed(host, self._allowed_hosts):
                refused = InputError(
                    f"this server does not answer to the host name {host!r} (allowed: "
                    f"{', '.join(self._allowed_hosts)}; set --allowed-host or MLKG_ALLOWED_HOSTS)",
                    where="Host",
                )
                await error_response(refused)(scope, receive, send)
                return
        if scope["type"] == "http" and scope["method"] in _LANE_METHODS:
            lane = self._lanes.get(scope["path"])
            if lane is not None:
                scope["app"] = self
                await lane(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def _with_request_id(scope: Scope, send: Send) -> Send:
    """``send`` adding ``X-Request-Id`` to the response: the client's (if valid) or the one generated for
    the request (:func:`~mlkg.api.caller.request_id_in`; the audit records it)."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            header = (b"x-request-id", request_id_in(scope).encode("latin-1"))
            message = {**message, "headers": [*message.get("headers", ()), header]}
        await send(message)

    return sending


def query_workers(*, settings: Settings, catalog: Catalog) -> QueryWorkers | None:
    """The worker processes the app's SPARQL queries run in (:mod:`mlkg.api.workers`): for an embedded
    on-disk store with ``query_isolation="process"`` where processes can be forked from a fork server (not
    on Windows); None otherwise (queries run in threads)."""
    path = catalog.location
    if settings.query_isolation != "process" or path is None:
        return None
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return None
    return QueryWorkers(path=str(path))


def create_app(settings: Settings, *, store: Store | None = None, demo: bool = False) -> MlkgApp:
    """The mlkg HTTP app over ``store`` (or the store ``settings`` select, opened now and closed at shutdown);
    the ontology graph is installed in it either way, so the app answers as ``mlkg serve`` does.

    ``demo=True`` loads the demo catalog before the app is returned.

    :raises StoreError: if the store cannot be opened or the demo catalog cannot be loaded.
    """
    # Versions written over HTTP are attributed to the request's principal (run_write), else "anonymous".
    catalog = Catalog(settings=settings, store=store, actor="anonymous")
    try:
        state = AppState(settings=settings, catalog=catalog, queries=QueryCatalog.load())
        if demo:
            catalog.load_demo()
        else:
            state.store.ensure_state()
        # after the demo: its load is not news to anyone
        state.events = ChangeEvents(catalog=catalog, settings=settings, queries=state.queries)
    except BaseException:
        catalog.close()
        raise

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # the search index brought up to date before the first request, not by it (README, "Search")
        await anyio.to_thread.run_sync(catalog.search_index.warm)
        state.workers = query_workers(settings=settings, catalog=catalog)
        if state.workers is not None:
            await anyio.to_thread.run_sync(state.workers.start)
        if state.events is not None:
            state.events.start()
        yield
        if state.events is not None:
            await anyio.to_thread.run_sync(state.events.close)
        if state.workers is not None:
            state.workers.close()
        state.readers.shutdown(wait=False, cancel_futures=True)
        catalog.close()

    cors = cors_options(settings)
    app = MlkgApp(
        lanes={"/sparql": sparql.endpoint},
        cors=cors,
        allowed_hosts=settings.allowed_hosts,
        title="mlkg",
        version=__version__,
        description=(
            "A semantic knowledge-graph store for machine-learning metadata: SPARQL 1.1 Protocol, Update and "
            "Graph Store Protocol, JSON-LD upload, dereferenceable entity IRIs and lineage impact analysis."
        ),
        lifespan=lifespan,
        # /docs is served from the vendored Swagger UI (mlkg.api.routers.web), never from a CDN; no ReDoc.
        docs_url=None,
        redoc_url=None,
    )
    app.state.mlkg = state
    install_error_handlers(app)
    if cors is not None:
        app.add_middleware(CORSMiddleware, **cors)
    # history before linked: its routes are longer paths under /id/ that linked's would also match
    routers = (
        sparql,
        update,
        graphstore,
        entities,
        openlineage,
        datahub,
        openmetadata,
        history,
        patch,
        linked,
        named,
        lineage,
        search,
        principals,
        health,
        subscriptions,
        events,
        web,
    )
    for router in routers:
        app.include_router(router.router)
    app.mount("/static", web.CachedStatic(), name="static")
    return app
