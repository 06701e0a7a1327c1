"""OpenMetadata's read routes: entities by fully qualified name, and their lineage (README, "OpenMetadata").

- ``GET /api/v1/mlmodels/name/{fqn}``, ``/api/v1/tables/name/{fqn}``, ``/api/v1/pipelines/name/{fqn}``,
  ``/api/v1/dashboards/name/{fqn}``: the entity as OpenMetadata's JSON (``entity/data/*.json``), built from
  its stored document by mlkg's JSON-LD context (:mod:`mlkg.exports.openmetadata`); ``fields`` (comma list,
  ``*`` for all) adds the optional fields OpenMetadata returns only on request (owners, tags, followers,
  domains, ...). 404 when no document of that type has the name, 400 for a field the type does not have.
- ``GET /api/v1/lineage/{entity}/name/{fqn}?upstreamDepth=&downstreamDepth=``: OpenMetadata's
  ``EntityLineage`` (``entity``, ``nodes``, ``upstreamEdges``, ``downstreamEdges``, each edge naming its ends
  by entity id; :mod:`mlkg.exports.omlineage`); both depths default to 1, as in OpenMetadata.

Reads run off the event loop with the server's time limit, as every read does.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from mlkg.api.deps import run_read, state_of
from mlkg.exports.openmetadata import COLLECTIONS

__all__ = ["router"]

router = APIRouter(tags=["OpenMetadata"])

_FQN = Path(description="The entity's fully qualified name, as OpenMetadata writes it.")
_FIELDS = Query(description="Optional fields to include, comma-separated (owners,tags,...); * for all.")


def _entity_route(collection: str, entity_type: str) -> None:
    async def read(
        request: Request, fqn: Annotated[str, _FQN], fields: Annotated[str | None, _FIELDS] = None
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
