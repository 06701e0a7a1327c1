"""``POST /entities``: upload entity documents through the same ingest path as ``mlkg load``.

The body is JSON-LD or plain (OpenMetadata-shaped) JSON, one document, an array or an ``@graph``; RDF
syntaxes are taken too, by ``Content-Type``; or an ``application/x-ndjson`` stream (JSON Lines) of any
length, one document per line, read as it arrives and validated and written in batches, the size limit
applying to each line (line N+1 is pointer ``/N``). Every document is validated (SHACL) before anything is
written, and a rejected document writes nothing. A single body holds at most ``MLKG_MAX_REQUEST_DOCUMENTS``
documents (10,000; 413 past it) and is written in parts of :data:`DEFAULT_BATCH_SIZE`, so no upload holds the
store's writes for long; a write that waited ``MLKG_WRITE_TIMEOUT`` (60 s) for the ones before it is
refused with 503 and ``Retry-After``, nothing written. Answers:

- 201 with the ingest report when every document was written (``entities`` lists their IRIs, and
  ``Location`` names the first);
- the status of the first rejection otherwise (400 malformed, 413 too large, 415 unsupported type, 422 SHACL
  violation) with the report: ``accepted`` documents of a mixed batch *were* written, as with ``mlkg load``;
  ``rejected`` says what is wrong and where.

Both carry ``documents``: one entry per document in input order, with its ``status`` (``accepted`` or
``rejected``), ``entity`` IRI and, when rejected, ``errors`` with JSON pointers into the body.
"""

from __future__ import annotations

import io
from functools import partial
from typing import Annotated, Any, Literal

import anyio.to_thread
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from rdflib import URIRef

from mlkg.access.roles import Permission
from mlkg.api.auth import needs
from mlkg.api.deps import AppState, read_body, run_write, state_of
from mlkg.api.errors import error_body, status_of
from mlkg.api.routers import datahub
from mlkg.errors import ParseError, UnsupportedFormatError
from mlkg.ingest import IngestReport, InputFormat, Source
from mlkg.ingest.ingestor import DEFAULT_BATCH_SIZE, CheckedBatch
from mlkg.store.base import Triple

__all__ = ["router", "upload_body"]

router = APIRouter(tags=["Entities"])

#: The source name of an uploaded body in reports (``request body#/3``).
BODY = "request body"


@router.post(
    "/entities",
    status_code=201,
    dependencies=[needs(Permission.WRITE)],
    summary="Upload JSON-LD or plain JSON entity documents (validated, then stored)",
)
async def upload(
    request: Request,
    mode: Annotated[
        Literal["replace", "merge"],
        Query(
            description="replace: each document replaces its entity; merge: it adds to it (values it gives "
            "replace stored ones, links are added, what it does not mention stays)."
        ),
    ] = "replace",
    action: Annotated[
        Literal["ingest"] | None,
        Query(
            description="ingest: the body is a DataHub metadata change event, as DataHub's REST emitter "
            "sends one (README, 'DataHub')."
        ),
    ] = None,
) -> JSONResponse:
    if action == "ingest":
        return await datahub.receive(request, action=action)
    state = state_of(request)
    merge = mode == "merge"
    content_type = request.headers.get("content-type", "")
    if not content_type:
        raise UnsupportedFormatError(
            "POST /entities needs a Content-Type: application/ld+json or application/json (or an RDF type)"
        )
    fmt = InputFormat.from_media_type(content_type)
    if fmt is InputFormat.JSONL:
        report = await _upload_lines(request, state, merge=merge)
    else:
        data = await read_body(request)
        report = await upload_body(request, Source(name=BODY, data=data, format=fmt), merge=merge)
    body: dict[str, Any] = report.to_dict()
    body["entities"] = [str(e) for e in report.entities]
    body["documents"] = report.documents()
    if report.rejected:
        error = report.rejected[0].to_error()
        return JSONResponse({**error_body(error), "report": body}, status_code=status_of(error))
    headers = {"location": str(report.entities[0])} if report.entities else None
    return JSONResponse(body, status_code=201, headers=headers)


async def upload_body(request: Request, source: Source, *, merge: bool) -> IngestReport:
    """Parse and validate a whole body outside the write lock (other writes go on meanwhile; validation reads
    the store as it is then), refusing more than ``Settings.max_request_documents`` documents (413), then
    write its valid documents :data:`DEFAULT_BATCH_SIZE` at a time, each part one write, so that no upload
    holds the store for long. Only the first part's wait is limited (``Settings.write_timeout``): once a
    request has started writing, it finishes.

    A merge upload reads each entity's stored graph to merge with: it is checked and written under the write
    lock, so no other write comes between.

    :raises ServiceBusyError: if the first part waited too long; nothing was written.
    :raises StoreError: if the store fails (the parts before were written).
    """
    state = state_of(request)
    ingestor = state.ingestor
    limit = state.settings.max_request_documents
    if merge:

        def merged() -> IngestReport:
            outcomes = [ingestor.parse(source=source, max_documents=limit)]
            return IngestReport.combine(
                ingestor.ingest_stream(store=state.store, outcomes=outcomes, merge=True)
            )

        return await run_write(request, merged)

    def check() -> CheckedBatch:
        parsed = ingestor.parse(source=source, max_documents=limit)
        return ingestor.check_batch(parsed=parsed, store=state.store)

    checked = await anyio.to_thread.run_sync(check)
    graphs = list(checked.graphs.items())
    every = dict(checked.graphs)

    def first(*, graphs: dict[URIRef, list[Triple]]) -> None:
        # A body written in parts is judged whole by the request's gate before its first part is written,
        # so a part needing a permission the caller lacks refuses the upload before anything is written.
        gate = state.store.gate
        if gate is not None and len(every) > DEFAULT_BATCH_SIZE:
            stored = {n: [(s, p, o) for s, p, o, _ in state.store.quads(graph=n)] for n in every}
            gate.replacing(given=every, stored=stored)
        state.store.replace_graphs(graphs=graphs)

    for start in range(0, len(graphs), DEFAULT_BATCH_SIZE):
        part = dict(graphs[start : start + DEFAULT_BATCH_SIZE])
        write = partial(first if start == 0 else state.store.replace_graphs, graphs=part)
        await run_write(request, write, limited=start == 0)
    return checked.report


async def _upload_lines(request: Request, state: AppState, *, merge: bool) -> IngestReport:
    """Read an NDJSON body line by line as it arrives; every :data:`DEFAULT_BATCH_SIZE` lines are parsed,
    validated and written in one write (:meth:`Ingestor.ingest_stream`). A line longer than the size limit is
    kept only to the limit (and so rejected as too large), so memory stays bounded by a batch.

    :raises StoreError: if the store fails (the batches before were written).
    """
    limit = state.settings.max_document_bytes
    reports: list[IngestReport] = []
    lines: list[bytes] = []
    first = 0  # index of lines[0] in the whole stream
    partial = bytearray()  # the line being received, cut after limit + 2 bytes

    async def flush() -> None:
        nonlocal first
        if not lines:
            return
        block, start = b"".join(lines), first
        first += len(lines)
        lines.clear()

        def write() -> IngestReport:
            outcomes = state.ingestor.parse_stream(
                name=BODY, stream=io.BytesIO(block), format=InputFormat.JSONL, first_line=start
            )
            batches = state.ingestor.ingest_stream(store=state.store, outcomes=outcomes, merge=merge)
            return IngestReport.combine(batches)

        reports.append(await run_write(request, write))

    async for chunk in request.stream():
        start = 0
        while start < len(chunk):
            end = chunk.find(b"\n", start)
            stop = len(chunk) if end < 0 else end + 1
            partial += chunk[start : min(stop, start + max(0, limit + 2 - len(partial)))]
            start = stop
            if end >= 0:
                # a cut line does not end with a newline: the reader then rejects it as too large
                lines.append(bytes(partial) if partial.endswith(b"\n") else bytes(partial) + b"\n")
                partial = bytearray()
                if len(lines) >= DEFAULT_BATCH_SIZE:
                    await flush()
    if partial:
        lines.append(bytes(partial) + b"\n")
    if not lines and not reports:
        raise ParseError(f"the {BODY} is empty", where=BODY)
    await flush()
    return IngestReport.combine(reports)
