"""``POST /api/v1/lineage``: OpenLineage events, at Marquez's path (README, "OpenLineage").

The body is one event (``RunEvent``, ``JobEvent`` or ``DatasetEvent`` of the OpenLineage 2 spec), a JSON
array of events, or ``application/x-ndjson`` (one event a line), optionally gzip-compressed
(``Content-Encoding: gzip``, as the OpenLineage client's HTTP transport sends with ``compression: gzip``);
the body (decompressed) is limited by ``MLKG_MAX_DOCUMENT_BYTES`` and holds at most
``MLKG_MAX_REQUEST_DOCUMENTS`` events (413 past either). Events are mapped to
pipelines, tables, columns with their column lineage, and pipeline runs
(:mod:`mlkg.ingest.openlineage`), validated and written in batches through the same ingest as
``POST /entities``; a write needs the write token as any write does (the client's ``api_key`` is sent as
``Authorization: Bearer``).

Answers: 201 with one report entry per event (``events``: ``status``, ``entities`` written, ``ignored``
facets and fields with their JSON pointers) when every event was stored; otherwise the status of the first
rejected event (400 malformed event, 413, 422) with the same report: the accepted events *were* stored, and
nothing of a rejected event was.
"""

from __future__ import annotations

import io
import zlib
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from mlkg.access.roles import Permission
from mlkg.api.auth import needs
from mlkg.api.deps import AppState, read_body, run_write, state_of
from mlkg.api.errors import error_body, status_of
from mlkg.errors import ParseError, PayloadTooLargeError, UnsupportedFormatError
from mlkg.ingest import IngestReport
from mlkg.ingest.ingestor import DEFAULT_BATCH_SIZE
from mlkg.ingest.limits import too_many_documents
from mlkg.ingest.openlineage import CheckedEvents, EventItem, read_events

__all__ = ["router"]

router = APIRouter(tags=["OpenLineage"])

BODY = "request body"
_JSON = ("application/json", "application/ld+json")
_LINES = ("application/x-ndjson", "application/jsonl", "application/json-lines")


@router.post(
    "/api/v1/lineage",
    status_code=201,
    dependencies=[needs(Permission.WRITE)],
    summary="Receive OpenLineage events (RunEvent, JobEvent, DatasetEvent), as Marquez does",
)
async def receive(request: Request) -> JSONResponse:
    state = state_of(request)
    media = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if media not in _JSON + _LINES:
        raise UnsupportedFormatError(
            f"POST /api/v1/lineage takes application/json or application/x-ndjson, not {media!r}",
            where="Content-Type",
        )
    data = _decoded(await read_body(request), request=request, limit=state.settings.max_document_bytes)
    items = list(
        read_events(
            name=BODY,
            stream=io.BytesIO(data),
            lines=media in _LINES,
            max_bytes=state.settings.max_document_bytes,
        )
    )
    if len(items) == 1 and items[0].error is not None and not items[0].pointer:
        raise items[0].error  # the body as a whole is malformed or empty
    limit = state.settings.max_request_documents
    if len(items) > limit:
        raise too_many_documents(count=len(items), limit=limit, where=f"{BODY}#{items[limit].pointer}")
    batches: list[CheckedEvents] = []
    for start in range(0, len(items), DEFAULT_BATCH_SIZE):
        part = items[start : start + DEFAULT_BATCH_SIZE]
        batches.append(await run_write(request, partial(_write, state, part), limited=start == 0))
    return _answer(batches)


def _write(state: AppState, part: list[EventItem]) -> CheckedEvents:
    """Check and write one batch under the write lock (a run's stored state is read and written in one go,
    so concurrent events of one run fold correctly)."""
    return next(iter(state.catalog.load_openlineage(part, batch_size=len(part))))


def _decoded(data: bytes, *, request: Request, limit: int) -> bytes:
    """The body, gunzipped if ``Content-Encoding: gzip``, at most ``limit`` bytes once decompressed.

    :raises UnsupportedFormatError: for another content coding (415, RFC 9110 section 15.5.16).
    :raises ParseError: for a corrupt gzip stream.
    :raises PayloadTooLargeError: if it decompresses past ``limit``.
    """
    coding = request.headers.get("content-encoding", "identity").strip().lower()
    if coding in ("", "identity"):
        return data
    if coding != "gzip":
        raise UnsupportedFormatError(
            f"Content-Encoding {coding!r} is not supported (gzip is)", where="Content-Encoding"
        )
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as error:
        raise ParseError(f"the gzip body is corrupt: {error}", where=BODY) from error
    if len(out) > limit:
        raise PayloadTooLargeError(
            f"the request body decompresses past the limit of {limit} bytes (MLKG_MAX_DOCUMENT_BYTES)"
        )
    return out


def _answer(batches: list[CheckedEvents]) -> JSONResponse:
    report = IngestReport.combine(b.report for b in batches)
    events = [e for b in batches for e in b.events]
    body: dict[str, Any] = report.to_dict()
    body["entities"] = [str(e) for e in report.entities]
    body["events"] = [e.to_dict() for e in events]
    first = next((e.rejection for e in events if e.rejection is not None), None)
    if first is not None:
        error = first.to_error()
        return JSONResponse({**error_body(error), "report": body}, status_code=status_of(error))
    return JSONResponse(body, status_code=201)
