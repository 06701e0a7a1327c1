"""``GET /health``: the service is up and its store answers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from mlkg import __version__
from mlkg.api.deps import run_read, state_of
from mlkg.store.base import AskResult

__all__ = ["router"]

router = APIRouter(tags=["Service"])


@router.get("/health", summary="Liveness: the store answers a query")
async def health(request: Request) -> dict[str, Any]:
    state = state_of(request)
    result = await run_read(state, lambda: state.store.query(query="ASK {}"), timeout=5.0)
    return {"status": "ok", "version": __version__, "store": isinstance(result, AskResult) and result.value}
