"""``GET /queries`` lists the named impact queries; ``GET /queries/{name}?param=...`` runs one.

Parameters come from the query string, typed by the query file's header and bound as RDF terms (never
formatted into the text); a missing, unknown, repeated or mistyped parameter is a 400. An ``iri`` parameter
names an entity as every route does (IRI, IRI on this server's address, fully qualified name or unique name:
:func:`mlkg.api.routers.lineage.entity_resolver`): 404 if it names none, 400 listing them if several.
Results are negotiated like ``/sparql`` (SPARQL Results JSON by default). ``timeout`` (seconds) lowers the
server's time limit.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import Response

from mlkg.api.deps import run_query as answer
from mlkg.api.deps import run_read, state_of
from mlkg.api.routers.lineage import entity_resolver
from mlkg.api.routers.sparql import timeout_of
from mlkg.errors import QueryError

__all__ = ["router"]

router = APIRouter(tags=["Impact"])


@router.get("/queries", summary="The named queries, with their typed parameters")
async def list_queries(request: Request) -> dict[str, Any]:
    state = state_of(request)
    return {
        "queries": [
            {
                "name": q.name,
                "description": q.description,
                "url": f"{request.base_url}queries/{q.name}",
                "parameters": [
                    {"name": p.name, "type": p.type.value, "required": p.required, "default": p.default}
                    for p in q.parameters
                ],
            }
            for q in state.queries
        ]
    }


@router.get("/queries/{name}", summary="Run a named query with its parameters")
async def run_query(request: Request, name: str) -> Response:
    state = state_of(request)
    query = state.queries.get(name=name)
    fields = parse_qs(request.url.query, keep_blank_values=True)
    timeout = state.timeout(timeout_of(fields))
    arguments: dict[str, str] = {}
    for key, values in fields.items():
        if key == "timeout":
            continue
        if len(values) > 1:
            raise QueryError(f"the parameter {key!r} of query {name!r} is given {len(values)} times")
        arguments[key] = values[0]
    resolve = entity_resolver(request)
    bindings = await run_read(
        state, lambda: query.bindings(arguments=arguments, resolve=resolve), timeout=timeout
    )
    accept = request.headers.get("accept")

    body, content_type = await answer(
        state, query=query.text, accept=accept, bindings=bindings, timeout=timeout
    )
    return Response(body, headers={"content-type": content_type, "vary": "Accept"})
