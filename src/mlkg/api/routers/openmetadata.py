"""OpenMetadata's read routes: entities by fully qualified name, and their lineage (README, "OpenMetadata").

- ``GET /api/v1/mlmodels/name/{fqn}``, ``/api/v1/tables/name/{fqn}``, ``/api/v1/pipelines/name/{fqn}``,
  ``/api/v1/dashboards/name/{fqn}``: the entity as OpenMetadata's JSON (``entity/data/*.json``), built from
  its stored document by mlkg's JSON-LD context (:mod:`mlkg.exports.openmetadata`); ``fields`` (comma list,
  ``*`` for all) adds the optional fields OpenMetadata returns only on request (owners, tags, followers,
  domains, ...). 404 when no document of that type has the name, 400 for a field the type does not have.
- ``PUT /api/v1/lineage``: an ``addLineage`` request (``{"edge": {...}}``), where OpenMetadata's clients
  send it, stored as ``POST /entities`` stores it (:mod:`mlkg.ingest.edges`); 200 with the ingest report,
  else the status of the rejection (400, 422) with it. (``POST /api/v1/lineage`` is OpenLineage's.)
- ``GET /api/v1/lineage/{entity}/name/{fqn}?upstreamDepth=&downstreamDepth=``: OpenMetadata's
  ``EntityLineage`` (``entity``, ``nodes``, ``upstreamEdges``, ``downstreamEdges``, each edge naming its ends
  by entity id; :mod:`mlkg.exports.omlineage`); both depths default to 1, as in OpenMetadata.

Reads run off the event loop with the server's time limit, as every read does.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse

from mlkg.access.roles import Permission
from mlkg.api.auth import needs
from mlkg.api.deps import read_body, run_read, state_of
from mlkg.api.errors import error_body, status_of
from mlkg.api.routers.entities import upload_body
from mlkg.errors import ParseError
from mlkg.exports.openmetadata import COLLECTIONS, OPTIONAL_FIELDS
from mlkg.ingest import InputFormat, Source

__all__ = ["router"]

router = APIRouter(tags=["OpenMetadata"])

_FQN = Path(description="The entity's fully qualified name, as OpenMetadata writes it.")


def _fields_param(entity_type: str) -> Any:
    """``fields=`` of one entity type, documented with the names it takes (OpenAPI ``pattern``), so clients
    and fuzzers know them; the names are checked by ``OpenMetadataJson.fields`` (400, ``where: fields``)."""
    names = "|".join(sorted(OPTIONAL_FIELDS.get(entity_type, ())) or ["owners"])
    one = rf"\s*(?:{names}|\*)\s*"
    return Query(
        None,
        description="Optional fields to include, comma-separated (owners,tags,...); * for all.",
        json_schema_extra={"pattern": rf"^(?:{one}(?:,{one})*)?$"},
    )


def _entity_route(collection: str, entity_type: str) -> None:
    fields_param = _fields_param(entity_type)

    async def read(
        request: Request, fqn: Annotated[str, _FQN], fields: str | None = fields_param
    ) -> dict[str, Any]:
        state = state_of(request)
        return await run_read(
            state,
            lambda: state.catalog.openmetadata_entity(entity_type, fqn, fields=fields),
            timeout=state.settings.query_timeout,
        )

    router.add_api_route(
        f"/api/v1/{collection}/name/{{fqn}}",
        read,
        methods=["GET"],
        name=f"openmetadata_{collection}",
        summary=f"A {entity_type} by fully qualified name, as OpenMetadata's JSON",
    )


for _collection, _entity_type in COLLECTIONS.items():
    _entity_route(_collection, _entity_type)


@router.get(
    "/api/v1/lineage/{entity}/name/{fqn}",
    dependencies=[needs(Permission.READ)],
    summary="The lineage of an entity by fully qualified name, as OpenMetadata's EntityLineage",
)
async def lineage(
    request: Request,
    entity: Annotated[str, Path(description="OpenMetadata's entity type: table, mlmodel, pipeline, ...")],
    fqn: Annotated[str, _FQN],
    upstream_depth: Annotated[
        int, Query(alias="upstreamDepth", ge=0, le=100, description="Hops upstream.")
    ] = 1,
    downstream_depth: Annotated[
        int, Query(alias="downstreamDepth", ge=0, le=100, description="Hops downstream.")
    ] = 1,
) -> dict[str, Any]:
    state = state_of(request)
    return await run_read(
        state,
        lambda: state.catalog.openmetadata_lineage(
            entity, fqn, upstream_depth=upstream_depth, downstream_depth=downstream_depth
        ),
        timeout=state.settings.query_timeout,
    )


@router.put(
    "/api/v1/lineage",
    dependencies=[needs(Permission.WRITE)],
    summary="Add a lineage edge (OpenMetadata's AddLineageRequest), stored as its own document",
)
async def add_lineage(request: Request) -> JSONResponse:
    data = await read_body(request)
    try:
        body = json.loads(data)
    except ValueError as malformed:
        raise ParseError(f"malformed JSON: {malformed}", where="request body") from malformed
    if not isinstance(body, dict) or "edge" not in body:
        raise ParseError('an AddLineageRequest is an object {"edge": {...}}', where="request body")
    source = Source(name="request body", data=data, format=InputFormat.JSON)
    report = await upload_body(request, source, merge=False)
    answer: dict[str, Any] = report.to_dict()
    answer["entities"] = [str(e) for e in report.entities]
    if report.rejected:
        error = report.rejected[0].to_error()
        return JSONResponse({**error_body(error), "report": answer}, status_code=status_of(error))
    return JSONResponse(answer, status_code=200)
