"""Linked data: ``GET /id/{type}/{fqn}`` dereferences an entity IRI; ``GET /export`` streams the store.

An entity IRI ``{base}{type}/{fqn}`` is served at ``/id/{type}/{fqn}``, the path taken as sent (percent
escapes kept), so every IRI mlkg mints dereferences on the server that serves its base. The representation
is chosen by ``Accept`` (the RDF formats, or ``text/html`` for browsers) or forced with ``?format=``. It holds
the triples of the entity's own document and every other asserted triple whose subject is the entity (a
column described in its table's document); inferred lineage is linked from the HTML page and served by
``/lineage``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from rdflib import URIRef
from rdflib.namespace import RDF

from mlkg.access.roles import Permission
from mlkg.api.auth import needs
from mlkg.api.deps import AppState, entity_iri, run_read, state_of
from mlkg.api.representations import GRAPH_TYPES, graph_format
from mlkg.api.streaming import export_response
from mlkg.api.webpage import page
from mlkg.errors import ConflictError, DeletedError, NotFoundError
from mlkg.exports import GraphSelection, serialize_triples
from mlkg.exports.entityjson import entity_json, entity_tag
from mlkg.exports.jsonld import compact_quads
from mlkg.history.asof import entity_at, parse_instant
from mlkg.store.base import RdfFormat, Triple
from mlkg.vocab import INFERRED_GRAPH, MLKG, ONTOLOGY_GRAPH
from mlkg.web.entity import EntityView, entity_view

__all__ = ["router"]

router = APIRouter(tags=["Linked data"])

_HTML = "text/html"
_JSON = "application/json"
_LIMIT = 200


def _describe(state: AppState, iri: URIRef) -> list[Triple]:
    """The entity's own graph, plus asserted triples about it stated in other documents.

    :raises DeletedError: if the entity was deleted (HTTP 410): its history says when, and what to restore.
    :raises NotFoundError: if nothing is known of it.
    """
    if not state.store.has_graph(graph=iri):
        versions = state.catalog.history.versions(store=state.store, entity=iri)
        if versions and versions[0].deleted:
            gone = versions[0]
            when = "" if gone.at is None else f", {gone.at.isoformat(timespec='seconds')}"
            raise DeletedError(
                f"{iri} was deleted (version {gone.version}{when}, by {gone.by}); "
                f"POST {iri}/versions/{gone.previous}/restore brings it back"
            )
    found: dict[Triple, None] = {}
    for s, p, o, _ in state.store.quads(graph=iri):
        found[(s, p, o)] = None
    for s, p, o, g in state.store.quads(subject=iri):
        if g not in (INFERRED_GRAPH, ONTOLOGY_GRAPH):
            found[(s, p, o)] = None
    if not found:
        raise NotFoundError(f"no entity {iri} in the store")
    return list(found)


def _describe_at(state: AppState, iri: URIRef, moment: datetime) -> list[Triple]:
    """The entity's graph as it was at ``moment`` (:func:`mlkg.history.asof.entity_at`).

    :raises NotFoundError: if it did not exist then (or was deleted).
    """
    _, triples = entity_at(history=state.catalog.history, store=state.store, entity=iri, at=moment)
    if not triples:
        raise NotFoundError(f"no entity {iri} at {moment.isoformat()}")
    return triples


def _json_form(state: AppState, iri: URIRef, moment: datetime | None) -> tuple[dict[str, Any], str | None]:
    """The entity as one JSON tree (:mod:`mlkg.exports.entityjson`) and its entity tag: its own document,
    the form ``PATCH`` edits, when it has one (with the tag ``If-Match`` takes); else (a column described in
    its table's document) what is stated about it, without a tag; as of ``moment`` if given (no tag). A
    description no tree holds comes as flat JSON-LD."""
    if moment is not None:
        triples = _describe_at(state, iri, moment)
    elif state.store.has_graph(graph=iri):
        document = state.catalog.document(str(iri))
        return document, entity_tag(document)
    else:
        triples = _describe(state, iri)
    try:
        return entity_json(entity=iri, triples=triples), None
    except ConflictError:
        return compact_quads(quads=[(s, p, o, None) for s, p, o in triples]), None


def _view(state: AppState, iri: URIRef, triples: list[Triple]) -> EntityView:
    """What the entity's page shows (:mod:`mlkg.web.entity`), read through the store API only."""
    store = state.store
    referrers = [
        (s, p, o)
        for s, p, o, g in store.quads(object=iri)
        if g not in (INFERRED_GRAPH, ONTOLOGY_GRAPH, iri) and isinstance(s, URIRef)
    ]
    lineage = {
        prop: sorted(
            {o for _, _, o, _ in store.quads(subject=iri, predicate=prop, graph=INFERRED_GRAPH)}, key=str
        )
        for prop in (MLKG.upstream, MLKG.downstream)
    }
    types = {o for s, p, o in triples if s == iri and p == RDF.type and isinstance(o, URIRef)}
    types.update(
        o
        for _, _, o, _ in store.quads(subject=iri, predicate=RDF.type, graph=INFERRED_GRAPH)
        if isinstance(o, URIRef)
    )
    return entity_view(
        iri=iri,
        triples=triples,
        referrers=sorted(set(referrers), key=str),
        upstream=[u for u in lineage[MLKG.upstream] if isinstance(u, URIRef)],
        downstream=[d for d in lineage[MLKG.downstream] if isinstance(d, URIRef)],
        kind=state.program.kinds.kind_of(types),
        base=state.settings.base_iri,
        limit=_LIMIT,
    )


FormatParam = Annotated[RdfFormat | None, Query(description="Force a representation instead of Accept.")]


AsOfParam = Annotated[
    str | None,
    Query(
        alias="asOf", description="An ISO 8601 date or date-time: the entity as it was then (its version)."
    ),
]


@router.get(
    "/id/{kind}/{fqn:path}",
    dependencies=[needs(Permission.READ)],
    summary="Dereference an entity IRI (RDF by Accept, or HTML)",
)
async def entity(
    request: Request, kind: str, fqn: str, format: FormatParam = None, as_of: AsOfParam = None
) -> Response:
    state = state_of(request)
    iri = entity_iri(request)
    if format is not None:
        fmt: RdfFormat | None = format
        media_type = format.media_type
    else:
        media_type, fmt = graph_format(
            request.headers.get("accept"), what=f"the entity {iri}", extra=("text/turtle", _HTML, _JSON)
        )
        fmt = GRAPH_TYPES.get(media_type) if media_type != _JSON else None
    timeout = state.settings.query_timeout

    moment = None if as_of is None else parse_instant(as_of)
    if media_type == _JSON:
        document, tag = await run_read(state, lambda: _json_form(state, iri, moment), timeout=timeout)
        headers = {"vary": "Accept"}
        if tag is not None:
            headers["etag"] = tag
        return JSONResponse(document, headers=headers)

    if fmt is None:

        def view() -> EntityView:
            triples = _describe(state, iri) if moment is None else _describe_at(state, iri, moment)
            return _view(state, iri, triples)

        shown = await run_read(state, view, timeout=timeout)
        return page(request, "entity.html", view=shown, base=state.settings.base_iri)

    def render() -> bytes:
        triples = _describe(state, iri) if moment is None else _describe_at(state, iri, moment)
        assert fmt is not None
        return serialize_triples(triples=triples, format=fmt)

    body = await run_read(state, render, timeout=timeout)
    content_type = f"{media_type}; charset=utf-8" if media_type.startswith("text/") else media_type
    return Response(body, headers={"content-type": content_type, "vary": "Accept"})


@router.get(
    "/export", dependencies=[needs(Permission.READ)], summary="The whole store as linked data, streamed"
)
async def export_store(
    request: Request,
    format: FormatParam = None,
    graphs: Annotated[
        GraphSelection, Query(description="'asserted' leaves out inferred and ontology")
    ] = "all",
) -> Response:
    state = state_of(request)
    if format is None:
        offers = ("application/trig", "application/n-quads")
        media_type, _ = graph_format(request.headers.get("accept"), what="the export", extra=offers)
        chosen = RdfFormat.from_media_type(media_type) or GRAPH_TYPES.get(media_type, RdfFormat.TRIG)
    else:
        chosen, media_type = format, format.media_type
    return await export_response(
        state, format=chosen, media_type=media_type, graphs=graphs, filename=f"mlkg-export.{chosen.value}"
    )
