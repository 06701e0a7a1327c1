"""Webhook subscriptions to change events over HTTP (docs/architecture.md, section 8; README, "Change
events"):

- ``POST /subscriptions``: ``{"url": ..., "events": [kinds], "filters": {"types": [], "tags": [],
  "upstreamOf": IRI or name}}``; 201 with the subscription and its signing ``secret``, shown this once; 422
  for a URL outside the allow-list (``MLKG_WEBHOOK_ALLOW``), an unknown type or an entity naming nothing;
- ``GET /subscriptions``, ``GET /subscriptions/{id}``, ``DELETE /subscriptions/{id}`` (204);
- ``GET /subscriptions/{id}/deliveries``: the delivery log, newest first (attempts, status, error).

Every route is for administrators: :data:`ADMIN` is the one check they all use.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from mlkg.access.roles import Permission
from mlkg.api.auth import needs
from mlkg.api.deps import AppState, run_write, state_of
from mlkg.errors import StoreError
from mlkg.events import ChangeEvents, EventFilter, EventKind

__all__ = ["ADMIN", "router"]

#: Who may manage subscriptions: administrators (docs/architecture.md, section 10).
ADMIN = needs(Permission.ADMIN)

_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}

router = APIRouter(
    tags=["Change events"],
    dependencies=[ADMIN],
    responses={
        400: {"description": "Malformed request", **_ERROR},
        401: {"description": "Not an administrator", **_ERROR},
        403: {"description": "A browser page of another origin", **_ERROR},
    },
)

SubscriptionId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="The subscription's id.")]


class Filters(BaseModel):
    """Which events pass; an empty part lets every event pass it."""

    model_config = ConfigDict(extra="forbid")

    types: list[Annotated[str, Field(max_length=2000)]] = Field(
        default_factory=list, max_length=100, description="Entity types (JSON type names or class IRIs)."
    )
    tags: list[Annotated[str, Field(max_length=2000)]] = Field(
        default_factory=list, max_length=100, description="Tags, by fully qualified name (PII.Sensitive)."
    )
    upstreamOf: str | None = Field(
        default=None,
        max_length=2000,
        description="An entity (IRI or fully qualified name): events of it and of what is upstream of it.",
    )


class NewSubscription(BaseModel):
    """A subscription to make."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=2000, description="Where events are posted; must be in the allow-list.")
    events: list[EventKind] = Field(
        default_factory=list, max_length=10, description="The kinds of event wanted; empty: every kind."
    )
    filters: Filters = Field(default_factory=Filters)


def _events(state: AppState) -> ChangeEvents:
    if state.events is None:
        raise StoreError("change events are not running in this app")
    return state.events


@router.post(
    "/subscriptions",
    status_code=201,
    summary="Subscribe a webhook to change events (the secret is shown once)",
    responses={422: {"description": "URL outside the allow-list, unknown type or entity", **_ERROR}},
)
async def subscribe(request: Request, given: NewSubscription) -> JSONResponse:
    state = state_of(request)
    events = _events(state)
    catalog = state.catalog

    def make() -> dict[str, Any]:
        wanted = EventFilter.parse(
            kinds=[k.value for k in given.events],
            types=given.filters.types,
            tags=given.filters.tags,
            upstream_of=given.filters.upstreamOf,
            type_class=lambda name: catalog.minter.type_named(name).cls,
            resolve=catalog.resolve,
        )
        made, secret = events.subscribe(url=given.url, filter=wanted)
        return {**made.as_json(), "secret": secret}

    shown = await run_write(request, make)
    return JSONResponse(shown, status_code=201, headers={"Location": f"/subscriptions/{shown['id']}"})


@router.get("/subscriptions", summary="The webhook subscriptions")
async def subscriptions(request: Request) -> JSONResponse:
    events = _events(state_of(request))
    return JSONResponse({"subscriptions": [s.as_json() for s in events.book.all()]})


@router.get(
    "/subscriptions/{subscription}",
    summary="One webhook subscription",
    responses={404: {"description": "No such subscription", **_ERROR}},
)
async def subscription(request: Request, subscription: SubscriptionId) -> JSONResponse:
    events = _events(state_of(request))
    return JSONResponse(events.book.get(subscription).as_json())


@router.delete(
    "/subscriptions/{subscription}",
    status_code=204,
    summary="Delete a webhook subscription",
    responses={404: {"description": "No such subscription", **_ERROR}},
)
async def unsubscribe(request: Request, subscription: SubscriptionId) -> Response:
    state = state_of(request)
    events = _events(state)
    await run_write(request, lambda: events.unsubscribe(subscription))
    return Response(status_code=204)


@router.get(
    "/subscriptions/{subscription}/deliveries",
    summary="The delivery log of a webhook subscription, newest first",
    responses={404: {"description": "No such subscription", **_ERROR}},
)
async def deliveries(request: Request, subscription: SubscriptionId) -> JSONResponse:
    events = _events(state_of(request))
    found = events.book.get(subscription)
    shown = [d.as_json() for d in events.dispatcher.deliveries(found.id)]
    return JSONResponse({"subscription": found.id, "deliveries": shown})
