"""``GET /lineage?entity=IRI&direction=upstream|downstream&depth=N``: the lineage subgraph as JSON.

``entity`` may be an IRI (on the configured base, or on this server's own address when the two differ), a
fully qualified name or an unambiguous name (:mod:`mlkg.queries.resolve`, as every route and command). The
answer has ``nodes`` (IRI, kind, name, hop distance) and ``edges`` (data flows from ``source`` to
``target``; ``predicate``, ``subject`` and ``graph`` name the asserted triple behind the edge), for a UI to
draw; ``truncated`` is true when the node limit cut it short.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from rdflib import URIRef

from mlkg.access.roles import Permission
from mlkg.api.auth import needs
from mlkg.api.deps import run_read, state_of
from mlkg.history.asof import parse_instant
from mlkg.queries.resolve import resolve_entity
from mlkg.reasoning.impact import Direction
from mlkg.reasoning.lineage import lineage_graph

__all__ = ["entity_resolver", "router"]

router = APIRouter(tags=["Impact"])


def entity_resolver(request: Request) -> Callable[[str], URIRef]:
    """The entity a parameter names, by the one resolver: an entity IRI on this server's own address
    (``{request base}id/...``, where ``/id/`` pages are served) stands for the IRI under the base.

    The returned function queries the store: call it off the event loop (:func:`run_read`).
    """
    state = state_of(request)
    addresses = (f"{request.base_url}id/",)

    def resolve(text: str) -> URIRef:
        return resolve_entity(
            store=state.store, text=text, base_iri=state.settings.base_iri, addresses=addresses
        )

    return resolve


@router.get(
    "/lineage",
    dependencies=[needs(Permission.READ)],
    summary="The upstream or downstream lineage subgraph of an entity",
)
async def lineage(
    request: Request,
    entity: Annotated[str, Query(description="IRI, fully qualified name or name of the asset.")],
    direction: Annotated[Direction, Query()] = Direction.DOWNSTREAM,
    depth: Annotated[int | None, Query(ge=1, le=100, description="Hops at most (default: all).")] = None,
    max_nodes: Annotated[int, Query(ge=1, le=20000, description="Node limit.")] = 2000,
    as_of: Annotated[
        str | None,
        Query(alias="asOf", description="An ISO 8601 date or date-time: the lineage as it was then."),
    ] = None,
) -> dict[str, Any]:
    state = state_of(request)
    resolve = entity_resolver(request)
    moment = None if as_of is None else parse_instant(as_of)

    def walk() -> dict[str, Any]:
        if moment is not None:  # the catalog as it was: costs a read of all of it (ten times the limit)
            with state.catalog.as_of(moment) as past:
                addresses = (f"{request.base_url}id/",)
                iri = resolve_entity(
                    store=past.store, text=entity, base_iri=state.settings.base_iri, addresses=addresses
                )
                return past.lineage(str(iri), direction=direction, depth=depth, max_nodes=max_nodes).to_dict()
        graph = lineage_graph(
            store=state.store,
            program=state.program,
            entity=resolve(entity),
            direction=direction,
            depth=depth,
            max_nodes=max_nodes,
        )
        return graph.to_dict()

    limit = state.settings.query_timeout * (1 if moment is None else 10)
    return await run_read(state, walk, timeout=limit)
