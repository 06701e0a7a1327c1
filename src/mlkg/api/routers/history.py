"""Entity history over HTTP (docs/architecture.md, section 7), under the entity's own IRI:

- ``GET /id/{type}/{fqn}/versions``: ``{"entity": IRI, "versions": [...]}``, newest first (OpenMetadata's
  ``GET /v1/{entities}/{id}/versions`` with mlkg's fields: ``version``, ``updatedAt``, ``updatedBy``,
  ``changeType``, ``deleted``, ``changeDescription``);
- ``GET /id/{type}/{fqn}/versions/{version}``: that version's description, RDF by ``Accept`` (or
  ``?format=``), or JSON: the version's record and its description as JSON-LD;
- ``GET /id/{type}/{fqn}/versions/{v1}/diff/{v2}``: the change description between two versions;
- ``POST /id/{type}/{fqn}/versions/{version}/restore``: make that version current again, as a new version;
- ``DELETE /id/{type}/{fqn}`` (``?hardDelete=true``): a soft delete, or a hard one that removes the history.

The entity IRI is the request path under ``/id/`` on the server's base IRI, as for ``GET /id/...``
(:mod:`.linked`). Writes need the write token like every write (:func:`~mlkg.api.deps.require_writer`).
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from rdflib import URIRef

from mlkg.access.roles import Permission
from mlkg.api.auth import needs
from mlkg.api.deps import AppState, entity_iri, run_read, run_write, state_of
from mlkg.api.representations import GRAPH_TYPES, graph_format
from mlkg.api.webpage import browser_asks, page
from mlkg.errors import InputError, NotFoundError
from mlkg.exports import serialize_triples
from mlkg.history import VERSION_PATTERN, parse_version
from mlkg.ingest.document import is_reserved
from mlkg.store.base import RdfFormat

__all__ = ["router"]

router = APIRouter(tags=["History"])

_JSON = "application/json"

Version = Annotated[str, Path(pattern=VERSION_PATTERN, description="A version number such as 0.1 or 1.2.")]
FormatParam = Annotated[RdfFormat | None, Query(description="Force an RDF representation instead of Accept.")]
_VERSIONS = "/versions"


def _known(state: AppState, iri: URIRef) -> URIRef:
    """``iri`` if it is stored or has history.

    :raises NotFoundError: otherwise.
    """
    if state.store.has_graph(graph=iri) or state.catalog.history.versions(store=state.store, entity=iri):
        return iri
    raise NotFoundError(f"no entity {iri} in the store")


@router.get(
    "/id/{kind}/{fqn:path}/versions",
    dependencies=[needs(Permission.READ)],
    summary="The versions of an entity, newest first",
)
async def versions(request: Request, kind: str, fqn: str) -> Response:
    state = state_of(request)
    iri = entity_iri(request, suffix=_VERSIONS)

    def read() -> dict[str, Any]:
        found = state.catalog.history.versions(store=state.store, entity=_known(state, iri))
        return {"entity": str(iri), "versions": [v.as_json() for v in found]}

    history = await run_read(state, read, timeout=state.settings.query_timeout)
    if browser_asks(request, data_types=(_JSON,)):  # a browser: the same history as a table
        return page(
            request,
            "versions.html",
            entity=str(iri),
            name=unquote(fqn),
            page=request.url.path.removesuffix(_VERSIONS),
            versions=history["versions"],
        )
    return JSONResponse(history)


@router.get(
    "/id/{kind}/{fqn:path}/versions/{old}/diff/{new}",
    dependencies=[needs(Permission.READ)],
    summary="What changed between two versions of an entity",
)
async def diff(request: Request, kind: str, fqn: str, old: Version, new: Version) -> JSONResponse:
    state = state_of(request)
    iri = entity_iri(request, suffix=f"{_VERSIONS}/{old}/diff/{new}")
    first, second = parse_version(old, where="path"), parse_version(new, where="path")

    def read() -> dict[str, Any]:
        change = state.catalog.diff(str(_known(state, iri)), first, second)
        return {
            "entity": str(iri),
            "from": str(first),
            "to": str(second),
            "changeDescription": change.as_json(),
        }

    return JSONResponse(await run_read(state, read, timeout=state.settings.query_timeout))


@router.get(
    "/id/{kind}/{fqn:path}/versions/{version}",
    dependencies=[needs(Permission.READ)],
    summary="One version of an entity (RDF or JSON)",
)
async def version(
    request: Request, kind: str, fqn: str, version: Version, format: FormatParam = None
) -> Response:
    state = state_of(request)
    iri = entity_iri(request, suffix=f"{_VERSIONS}/{version}")
    number = parse_version(version, where="path")
    if format is not None:
        fmt: RdfFormat | None = format
        media_type = format.media_type
    else:
        media_type, _ = graph_format(
            request.headers.get("accept"), what=f"version {number} of {iri}", extra=(_JSON,)
        )
        fmt = None if media_type == _JSON else GRAPH_TYPES.get(media_type)

    def read() -> bytes:
        history = state.catalog.history
        triples = history.description(store=state.store, entity=_known(state, iri), version=number)
        if fmt is not None:
            return serialize_triples(triples=triples, format=fmt)
        record = history.record(store=state.store, entity=iri, version=number)
        described = (
            json.loads(serialize_triples(triples=triples, format=RdfFormat.JSONLD)) if triples else None
        )
        shown = {"entity": str(iri), **record.as_json(), "description": described}
        return json.dumps(shown, ensure_ascii=False).encode("utf-8")

    body = await run_read(state, read, timeout=state.settings.query_timeout)
    if fmt is None:
        return Response(body, headers={"content-type": _JSON, "vary": "Accept"})
    content_type = f"{media_type}; charset=utf-8" if media_type.startswith("text/") else media_type
    return Response(body, headers={"content-type": content_type, "vary": "Accept"})


@router.post(
    "/id/{kind}/{fqn:path}/versions/{version}/restore",
    dependencies=[needs(Permission.WRITE)],
    summary="Make a version of an entity current again, as a new version",
)
async def restore(request: Request, kind: str, fqn: str, version: Version) -> JSONResponse:
    state = state_of(request)
    iri = entity_iri(request, suffix=f"{_VERSIONS}/{version}/restore")
    number = parse_version(version, where="path")

    def write() -> dict[str, Any]:
        made = state.catalog.restore(str(_known(state, iri)), number)
        return {
            "entity": str(iri),
            "restoredFrom": str(number),
            "version": None if made is None else str(made),
        }

    return JSONResponse(await run_write(request, write))


@router.delete(
    "/id/{kind}/{fqn:path}",
    dependencies=[needs(Permission.DELETE)],
    summary="Delete an entity (soft, or hard)",
)
async def delete(
    request: Request,
    kind: str,
    fqn: str,
    hard_delete: Annotated[
        bool, Query(alias="hardDelete", description="Also remove the entity's history (cannot be restored).")
    ] = False,
) -> JSONResponse:
    state = state_of(request)
    iri = entity_iri(request)
    if is_reserved(iri):
        raise InputError(f"{iri} is maintained by mlkg and cannot be deleted", where="path")

    def write() -> bool:
        return state.catalog.delete(str(_known(state, iri)), hard=hard_delete)

    await run_write(request, write)
    return JSONResponse({"entity": str(iri), "deleted": True, "hard": hard_delete})
