"""``POST /entities``: upload entity documents through the same ingest path as ``mlkg load``.

The body is JSON-LD or plain (OpenMetadata-shaped) JSON, one document, an array or an ``@graph``; RDF
syntaxes are taken too, by ``Content-Type``. Every document is validated (SHACL) before anything is written,
and a rejected document writes nothing. Answers:

- 201 with the ingest report when every document was written (``entities`` lists their IRIs, and
  ``Location`` names the first);
- the status of the first rejection otherwise (400 malformed, 413 too large, 415 unsupported type, 422 SHACL
  violation) with the report: ``accepted`` documents of a mixed batch *were* written, as with ``mlkg load``;
  ``rejected`` says what is wrong and where.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from mlkg.api.deps import read_body, require_writer, run_write, state_of
from mlkg.api.errors import error_body, status_of
from mlkg.errors import UnsupportedFormatError
from mlkg.ingest import InputFormat, Source

__all__ = ["router"]

router = APIRouter(tags=["Entities"])


@router.post(
    "/entities",
    status_code=201,
    dependencies=[Depends(require_writer)],
    summary="Upload JSON-LD or plain JSON entity documents (validated, then stored)",
)
async def upload(request: Request) -> JSONResponse:
    state = state_of(request)
    content_type = request.headers.get("content-type", "")
    if not content_type:
        raise UnsupportedFormatError(
            "POST /entities needs a Content-Type: application/ld+json or application/json (or an RDF type)"
        )
    fmt = InputFormat.from_media_type(content_type)
    data = await read_body(request)
    source = Source(name="request body", data=data, format=fmt)
    report = await run_write(state, lambda: state.ingestor.ingest(store=state.store, sources=[source]))
    body: dict[str, Any] = report.to_dict()
    body["entities"] = [str(e) for e in report.entities]
    if report.rejected:
        error = report.rejected[0].to_error()
        return JSONResponse({**error_body(error), "report": body}, status_code=status_of(error))
    headers = {"location": str(report.entities[0])} if report.entities else None
    return JSONResponse(body, status_code=201, headers=headers)
