"""``GET /queries`` lists the named impact queries; ``GET /queries/{name}?param=...`` runs one.

Parameters come from the query string, typed by the query file's header and bound as RDF terms (never
formatted into the text); a missing, unknown, repeated or mistyped parameter is a 400. An ``iri`` parameter
names an entity as every route does (IRI, IRI on this server's address, fully qualified name or unique name:
:func:`mlkg.api.routers.lineage.entity_resolver`): 404 if it names none, 400 listing them if several.
Results are negotiated like ``/sparql`` (SPARQL Results JSON by default). ``timeout`` (seconds) lowers the
server's time limit. ``asOf`` (an ISO 8601 date or date-time) answers over the catalog as it was then
(:meth:`mlkg.Catalog.as_of`: "what did this dashboard depend on last Tuesday"); building that costs a read of
the whole catalog, so it gets ten times the time limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import Response
from rdflib import Literal, URIRef

from mlkg.access.roles import Permission
from mlkg.api.auth import needs
from mlkg.api.deps import run_query as answer
from mlkg.api.deps import run_read, state_of
from mlkg.api.representations import answer_query
from mlkg.api.routers.lineage import entity_resolver
from mlkg.api.routers.sparql import timeout_of
from mlkg.api.webpage import browser_asks, page
from mlkg.errors import QueryError
from mlkg.history.asof import parse_instant
from mlkg.queries import NamedQuery
from mlkg.queries.resolve import resolve_entity
from mlkg.store.base import AskResult, SelectResult
from mlkg.web.terms import Shown, show_term

__all__ = ["router"]

router = APIRouter(tags=["Impact"])


@dataclass(frozen=True)
class Table:
    """A query's results as a page shows them."""

    variables: list[str]
    rows: list[list[Shown | None]]


@router.get(
    "/queries",
    dependencies=[needs(Permission.READ)],
    summary="The named queries, with their typed parameters",
)
async def list_queries(request: Request) -> Any:
    state = state_of(request)
    if browser_asks(request, data_types=("application/json",)):
        return page(request, "queries.html", queries=list(state.queries))
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


@router.get(
    "/queries/{name}", dependencies=[needs(Permission.READ)], summary="Run a named query with its parameters"
)
async def run_query(request: Request, name: str) -> Response:
    state = state_of(request)
    query = state.queries.get(name=name)
    fields = parse_qs(request.url.query, keep_blank_values=True)
    timeout = state.timeout(timeout_of(fields))
    arguments: dict[str, str] = {}
    as_of = fields.pop("asOf", None)
    if as_of is not None and len(as_of) > 1:
        raise QueryError("the parameter 'asOf' is given more than once", where="asOf")
    for key, values in fields.items():
        if key == "timeout":
            continue
        if len(values) > 1:
            raise QueryError(f"the parameter {key!r} of query {name!r} is given {len(values)} times")
        arguments[key] = values[0]
    accept = request.headers.get("accept")
    if browser_asks(request) and as_of is None:
        return await _table_page(request, query, arguments, timeout)
    if as_of is not None:
        moment = parse_instant(as_of[0])

        def past_answer() -> tuple[bytes, str]:
            with state.catalog.as_of(moment) as past:
                addresses = (f"{request.base_url}id/",)

                def resolve_then(text: str) -> URIRef:
                    return resolve_entity(
                        store=past.store, text=text, base_iri=state.settings.base_iri, addresses=addresses
                    )

                bound = query.bindings(arguments=arguments, resolve=resolve_then)
                return answer_query(store=past.store, query=query.text, accept=accept, bindings=bound)

        body, content_type = await run_read(state, past_answer, timeout=timeout * 10)
        return Response(body, headers={"content-type": content_type, "vary": "Accept"})
    resolve = entity_resolver(request)
    bindings = await run_read(
        state, lambda: query.bindings(arguments=arguments, resolve=resolve), timeout=timeout
    )

    body, content_type = await answer(
        state, query=query.text, accept=accept, bindings=bindings, timeout=timeout
    )
    return Response(body, headers={"content-type": content_type, "vary": "Accept"})


async def _table_page(
    request: Request, query: NamedQuery, arguments: dict[str, str], timeout: float
) -> Response:
    """The query's page for a browser: its parameters as a form and, once the required ones are given, its
    results as a table (docs/architecture.md, section 11)."""
    state = state_of(request)
    base = state.settings.base_iri
    missing = [p.name for p in query.parameters if p.required and not arguments.get(p.name)]
    table: Table | None = None
    if not missing:
        resolve = entity_resolver(request)

        def read() -> Table:
            bindings = query.bindings(arguments=arguments, resolve=resolve)
            result = state.store.query(query=query.text, bindings=bindings, timeout=timeout)
            if isinstance(result, AskResult):
                return Table(variables=["boolean"], rows=[[show_term(Literal(result.value), base=base)]])
            if not isinstance(result, SelectResult):
                raise QueryError(f"query {query.name!r} is not a SELECT or ASK query: ask for RDF")
            rows = [[None if t is None else show_term(t, base=base) for t in row] for row in result.rows]
            return Table(variables=result.variables, rows=rows)

        table = await run_read(state, read, timeout=timeout)
    return page(request, "query.html", query=query, arguments=arguments, table=table)
