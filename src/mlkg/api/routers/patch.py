"""``PATCH /id/{type}/{fqn}``: a JSON Patch (RFC 6902, ``application/json-patch+json``) on the entity's JSON
form, the document ``GET /id/{type}/{fqn}`` answers to ``Accept: application/json``
(:meth:`mlkg.catalog.Catalog.patch`; docs/architecture.md, section 7).

The patched document is stored like an upload of it (validated with the shapes, a new version by the version
rule), all or nothing, under the write lock: nothing can change the entity between reading its document and
writing the result. ``If-Match`` with the ``ETag`` of a GET makes the patch conditional (412 if the entity
changed since). Answers the entity, its new version (``null`` if the result is what was stored) and the new
document, with its ``ETag``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from mlkg.access.roles import Permission
from mlkg.api.auth import needs
from mlkg.api.deps import entity_iri, read_body, run_write, state_of
from mlkg.api.errors import is_history_path
from mlkg.errors import InputError, UnsupportedFormatError
from mlkg.exports.entityjson import entity_tag
from mlkg.patching import parse_patch

__all__ = ["JSON_PATCH", "router"]

router = APIRouter(tags=["Linked data"])

#: The media type of a JSON Patch (RFC 6902, section 6).
JSON_PATCH = "application/json-patch+json"


@router.patch(
    "/id/{kind}/{fqn:path}",
    dependencies=[needs(Permission.WRITE)],
    summary="Change an entity with a JSON Patch (RFC 6902) on its JSON form",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {JSON_PATCH: {"schema": {"type": "array", "items": {"type": "object"}}}},
        }
    },
)
async def patch(request: Request, kind: str, fqn: str) -> JSONResponse:
    state = state_of(request)
    iri = entity_iri(request)
    if is_history_path(iri.removeprefix(state.settings.base_iri)):
        raise StarletteHTTPException(status_code=405, detail="a version of an entity is never changed")
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type not in (JSON_PATCH, "application/json"):
        raise UnsupportedFormatError(
            f"PATCH takes a JSON Patch ({JSON_PATCH}, RFC 6902), not {media_type or 'a body without a type'}"
        )
    body = await read_body(request)
    operations = parse_patch(body, where="body")
    if not isinstance(operations, list):
        raise InputError("a JSON Patch is a JSON array of operations (RFC 6902)", where="body")
    tag = request.headers.get("if-match")
    catalog = state.catalog

    def write() -> dict[str, Any]:
        version = catalog.patch(str(iri), operations, tag=None if tag in (None, "*") else tag)
        return {
            "entity": str(iri),
            "version": None if version is None else str(version),
            "document": catalog.document(str(iri)),
        }

    answer = await run_write(request, write)
    return JSONResponse(answer, headers={"etag": entity_tag(answer["document"])})
