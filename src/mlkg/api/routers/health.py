"""``GET /health``: the service is up and its store answers.

It never waits behind queries: the store check is one lookup (is the inferred graph there; the ontology graph
is served by mlkg, not read from the store) in a thread of its own, not in the read pool, bounded by
:data:`CHECK_SECONDS`; it also says how many reads are past their time limit and how many query worker
processes were stopped for one (:mod:`mlkg.api.workers`).
"""

from __future__ import annotations

from typing import Any, Final

import anyio
import anyio.to_thread
from fastapi import APIRouter, Request

from mlkg import __version__
from mlkg.api.deps import state_of
from mlkg.errors import QueryTimeoutError
from mlkg.vocab import INFERRED_GRAPH

__all__ = ["CHECK_SECONDS", "router"]

#: Seconds the store check may take before ``/health`` answers 503.
CHECK_SECONDS: Final = 5.0

router = APIRouter(tags=["Service"])


@router.get("/health", summary="Liveness: the store answers, whatever queries are running")
async def health(request: Request) -> dict[str, Any]:
    """:raises QueryTimeoutError: if the store does not answer within :data:`CHECK_SECONDS` (HTTP 503)."""
    state = state_of(request)
    store = state.store
    with anyio.move_on_after(CHECK_SECONDS) as scope:
        await anyio.to_thread.run_sync(lambda: store.has_graph(graph=INFERRED_GRAPH), abandon_on_cancel=True)
    if scope.cancelled_caught:
        raise QueryTimeoutError(f"the store did not answer the health check within {CHECK_SECONDS:g} s")
    workers = state.workers
    return {
        "status": "ok",
        "version": __version__,
        "store": True,  # it answered (a failing store raises StoreError)
        "queries": {
            "isolation": "thread" if workers is None else "process",
            "overdue": state.overdue,
            "stopped": 0 if workers is None else workers.stopped,
        },
    }
