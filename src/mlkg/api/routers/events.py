"""``GET /events``: change events as a Server-Sent Events stream for browsers (docs/architecture.md, section
8; WHATWG HTML, "Server-sent events").

Each event is one message: ``id:`` the server process's epoch and the event's number in it, ``event:`` its
kind, ``data:`` its JSON (the body webhooks get). A comment line is sent every :data:`KEEP_ALIVE` seconds
without events, so proxies keep the connection open. A client reconnecting with ``Last-Event-ID`` (browsers
send it by themselves) is first given the events after it that the server still holds (the last 1000; all
of them for an id of an earlier server process). The filters of subscriptions are query parameters:
``events`` (kinds, comma-separated), ``type`` and ``tag`` (repeatable), ``upstreamOf``. Served by the
process that writes (every write happens in the server's main process). A stream never ends, so the API
fuzzing leaves it out (``tests/api/schemathesis.toml``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Final

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from mlkg.access.roles import Permission
from mlkg.api.auth import needs
from mlkg.api.deps import run_read, state_of
from mlkg.errors import InputError, StoreError
from mlkg.events import ChangeEvent, EventFilter

__all__ = ["router"]

router = APIRouter(tags=["Change events"])

#: Seconds between keep-alive comments.
KEEP_ALIVE: Final = 15.0
#: What browsers wait before reconnecting (the stream's ``retry:`` field), in milliseconds.
RETRY_MS: Final = 2000


def _message(event_id: str, event: ChangeEvent) -> bytes:
    data = event.payload().decode("utf-8")
    return f"id: {event_id}\nevent: {event.kind.value}\ndata: {data}\n\n".encode()


@router.get(
    "/events",
    dependencies=[needs(Permission.READ)],
    summary="Change events as Server-Sent Events (a stream that does not end)",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The event stream",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
        400: {
            "description": "Unknown kind or type, or upstreamOf naming nothing",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        },
    },
)
async def events(
    request: Request,
    kinds: Annotated[str | None, Query(alias="events", max_length=200)] = None,
    types: Annotated[list[str] | None, Query(alias="type")] = None,
    tags: Annotated[list[str] | None, Query(alias="tag")] = None,
    upstream_of: Annotated[str | None, Query(alias="upstreamOf", max_length=2000)] = None,
) -> StreamingResponse:
    """The stream.

    :raises InputError: for an unknown kind or type, or an ``upstreamOf`` naming no entity (HTTP 400).
    """
    state = state_of(request)
    if state.events is None:
        raise StoreError("change events are not running in this app")
    catalog = state.catalog

    def parse() -> EventFilter:
        try:
            return EventFilter.parse(
                kinds=[k.strip() for k in (kinds or "").split(",") if k.strip()],
                types=types or [],
                tags=tags or [],
                upstream_of=upstream_of,
                type_class=lambda name: catalog.minter.type_named(name).cls,
                resolve=catalog.resolve,
            )
        except InputError as error:  # a query parameter: 400, as every bad parameter
            raise InputError(error.message, where=error.where) from error

    wanted = await run_read(state, parse, timeout=state.timeout(None))
    hub = state.events.hub
    stream, replay = hub.join(after=hub.after(request.headers.get("last-event-id")))

    async def messages() -> AsyncIterator[bytes]:
        try:
            yield f"retry: {RETRY_MS}\n: mlkg change events\n\n".encode()
            for number, event in replay:
                if wanted.passes(event):
                    yield _message(hub.event_id(number), event)
            while True:
                item = await stream.next(timeout=KEEP_ALIVE)
                if item is None:
                    return
                if item is False:
                    yield b": keep-alive\n\n"
                    continue
                assert isinstance(item, tuple)
                number, event = item
                if wanted.passes(event):
                    yield _message(hub.event_id(number), event)
        finally:
            hub.leave(stream)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(messages(), media_type="text/event-stream", headers=headers)
