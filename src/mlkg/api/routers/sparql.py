"""``GET|POST /sparql``: the SPARQL 1.1 Protocol query operation, and the service description.

SPARQL 1.1 Protocol, section 2.1: a query by GET (``?query=``), by POST of a URL-encoded form, or by POST of
``application/sparql-query`` with the dataset parameters in the URL; ``default-graph-uri`` and
``named-graph-uri`` give the RDF dataset (section 2.1.4). A GET without ``query`` answers the SPARQL 1.1
Service Description of this endpoint, except to a browser loading a page, which gets the SPARQL editor
(:func:`mlkg.api.webpage.browser_asks`: protocol clients never do). Extension: ``timeout`` (seconds)
lowers the server's time limit.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import Response
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS
from starlette.types import Receive, Scope, Send

from mlkg.access.roles import Permission
from mlkg.api.auth import authorize, needs, reads_checked
from mlkg.api.deps import AppState, absolute_iri, read_body, run_query, run_read, state_of
from mlkg.api.errors import error_response
from mlkg.api.representations import answer_query, graph_format
from mlkg.api.webpage import EDITOR_POLICY, browser_asks, page
from mlkg.errors import MlkgError, QueryError, UnsupportedFormatError
from mlkg.exports import serialize_triples
from mlkg.formats import RDF_SPECS, RESULTS_SPECS
from mlkg.store.base import Triple
from mlkg.store.protocoltext import with_base
from mlkg.vocab import AUDIT_GRAPH, FORMATS, ONTOLOGY_GRAPH, PRINCIPALS_GRAPH, SD

__all__ = ["MIN_TIMEOUT", "endpoint", "parse_form", "router", "single", "timeout_of"]

router = APIRouter(tags=["SPARQL"])

_FORM = "application/x-www-form-urlencoded"
#: The graphs of the access store (docs/architecture.md, section 10): admins query them by name.
_ACCESS_GRAPHS: Final = (AUDIT_GRAPH, PRINCIPALS_GRAPH)


def parse_form(body: bytes) -> dict[str, list[str]]:
    """The fields of a URL-encoded form body (UTF-8, as HTML forms and SPARQL clients send it).

    :raises QueryError: if the body is not UTF-8.
    """
    try:
        return parse_qs(body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError as error:
        raise QueryError("the form body is not valid UTF-8") from error


def single(fields: dict[str, list[str]], name: str) -> str | None:
    """The one value of a parameter that may be given at most once.

    :raises QueryError: if it is given more than once (SPARQL 1.1 Protocol, section 2.1.1: exactly one).
    """
    values = fields.get(name, [])
    if len(values) > 1:
        raise QueryError(f"the parameter {name!r} must be given once, not {len(values)} times")
    return values[0] if values else None


#: The shortest time limit a client may ask for, in seconds: below it only a timeout can be answered.
MIN_TIMEOUT = 0.1


def timeout_of(fields: dict[str, list[str]]) -> float | None:
    """The ``timeout`` parameter in seconds, if given.

    :raises QueryError: if it is not a number of seconds of at least :data:`MIN_TIMEOUT`.
    """
    text = single(fields, "timeout")
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= MIN_TIMEOUT:
        raise QueryError(
            f"the parameter 'timeout' must be a number of seconds of at least {MIN_TIMEOUT:g}, not {text!r}",
            where="timeout",
        )
    return value


def _graphs(fields: dict[str, list[str]], name: str) -> list[URIRef] | None:
    values = fields.get(name)
    if not values:
        return None
    return [absolute_iri(v, name=name) for v in values]


async def _fields(request: Request) -> tuple[dict[str, list[str]], str | None]:
    """The protocol parameters and the query text of a request, whatever way it was sent.

    :raises UnsupportedFormatError: for a POST body that is neither a form nor ``application/sparql-query``.
    """
    # The raw query string, not request.url.query: building the URL object costs more than parsing it.
    url_fields = parse_qs(request.scope["query_string"].decode("latin-1"), keep_blank_values=True)
    if request.method in ("GET", "HEAD"):
        return url_fields, single(url_fields, "query")
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    body = await read_body(request)
    if media_type == _FORM:
        form = parse_form(body)
        if "update" in form:
            raise QueryError("this is the query endpoint: send SPARQL updates to /update")
        for name, values in url_fields.items():
            form.setdefault(name, values)
        return form, single(form, "query")
    if media_type == "application/sparql-query":
        try:
            return url_fields, body.decode("utf-8")
        except UnicodeDecodeError as error:
            raise QueryError("the query is not valid UTF-8") from error
    if media_type == "application/sparql-update":
        raise QueryError("this is the query endpoint: send SPARQL updates to /update")
    raise UnsupportedFormatError(
        f"unsupported Content-Type {media_type or '(none)'!r} for a query: use {_FORM} or "
        "application/sparql-query"
    )


_DEFAULT_GRAPH_NOTE: Final = (
    f"The union of the graphs the store holds: one per entity, and the inferred graph. The ontology graph "
    f"<{ONTOLOGY_GRAPH}> is not part of it; name it (GRAPH, FROM, default-graph-uri) to query the ontology."
)


def _service_description(state: AppState, base: str) -> list[Triple]:
    """SPARQL 1.1 Service Description (section 3) of the query and update endpoints."""
    graph = Graph()
    query_service, update_service = URIRef(base + "sparql"), URIRef(base + "update")
    dataset, default = BNode(), BNode()
    for service, language in ((query_service, SD.SPARQL11Query), (update_service, SD.SPARQL11Update)):
        graph.add((service, RDF.type, SD.Service))
        graph.add((service, SD.endpoint, service))
        graph.add((service, SD.supportedLanguage, language))
        graph.add((service, SD.feature, SD.UnionDefaultGraph))
        graph.add((service, SD.defaultDataset, dataset))
    for spec in (*RESULTS_SPECS.values(), *RDF_SPECS.values()):
        if spec.w3c is not None:
            graph.add((query_service, SD.resultFormat, FORMATS[spec.w3c]))
    graph.add((dataset, RDF.type, SD.Dataset))
    graph.add((dataset, SD.defaultGraph, default))
    graph.add((default, RDF.type, SD.Graph))
    # The default graph: the union of the stored graphs; the ontology graph is served apart, by name only.
    graph.add((default, RDFS.comment, Literal(_DEFAULT_GRAPH_NOTE, lang="en")))
    available, ontology = BNode(), BNode()
    graph.add((query_service, SD.availableGraphs, available))
    graph.add((available, RDF.type, SD.GraphCollection))
    graph.add((available, SD.namedGraph, ontology))
    graph.add((ontology, RDF.type, SD.NamedGraph))
    graph.add((ontology, SD.name, ONTOLOGY_GRAPH))
    return list(graph)  # type: ignore[arg-type]


def _editor(request: Request, state: AppState) -> Response:
    """The SPARQL editor (YASGUI, vendored) for a browser's ``GET /sparql`` without a query: pointed at this
    endpoint, the named queries as examples (docs/architecture.md, section 11)."""
    examples = [{"name": q.name, "description": q.description, "text": q.text} for q in state.queries]
    return page(
        request,
        "editor.html",
        policy=EDITOR_POLICY,
        endpoint=f"{request.base_url}sparql",
        examples=examples,
        examples_json=examples,
    )


async def _answer(request: Request) -> Response:
    state = state_of(request)
    if reads_checked(request):  # the fast lane has no route dependencies: the read permission here
        authorize(request, Permission.READ)
    fields, query = await _fields(request)
    accept = request.headers.get("accept")
    default_graphs = _graphs(fields, "default-graph-uri")
    named_graphs = _graphs(fields, "named-graph-uri")
    timeout = state.timeout(timeout_of(fields))
    if query is None:
        if request.method == "POST":
            raise QueryError("no 'query' parameter in the request")
        if browser_asks(request):
            return _editor(request, state)
        media_type, fmt = graph_format(accept, what="the service description")
        assert fmt is not None
        body = serialize_triples(triples=_service_description(state, str(request.base_url)), format=fmt)
        return Response(body, media_type=media_type)
    if not query.strip():
        raise QueryError("the query is empty")
    # Relative IRIs are resolved against the URL the query was sent to (SPARQL 1.1 Query, section 4.1.1.1).
    query = with_base(query, base=lambda: str(request.url.replace(query="")))
    if _names_access_graphs(query, default_graphs, named_graphs):
        return await _answer_access(request, state, query, accept, default_graphs, named_graphs, timeout)
    body, content_type = await run_query(
        state,
        query=query,
        accept=accept,
        default_graphs=default_graphs,
        named_graphs=named_graphs,
        timeout=timeout,
    )
    return Response(body, headers={"content-type": content_type, "vary": "Accept"})


def _names_access_graphs(
    query: str, default_graphs: list[URIRef] | None, named_graphs: list[URIRef] | None
) -> bool:
    """Whether a query names the audit or the principals graph (by full IRI, in its text or its protocol
    dataset): those graphs are kept in the access store, apart from the catalog (:mod:`mlkg.store.
    accessstore`), so a query that does not name them cannot read them whatever it says; one that does is
    answered from the access store, for admins."""
    named = [*(default_graphs or ()), *(named_graphs or ())]
    return any(g in named or str(g) in query for g in _ACCESS_GRAPHS)


async def _answer_access(
    request: Request,
    state: AppState,
    query: str,
    accept: str | None,
    default_graphs: list[URIRef] | None,
    named_graphs: list[URIRef] | None,
    timeout: float,
) -> Response:
    """A query of the audit or principals graph, answered from the access store for an admin.

    :raises AuthenticationError: without credentials (HTTP 401). :raises ForbiddenError: for a principal
        who is not an admin (HTTP 403).
    """
    authorize(request, Permission.ADMIN, audited=False)
    access = state.catalog.access_store

    def run() -> tuple[bytes, str]:
        return answer_query(
            store=access,
            query=query,
            accept=accept,
            default_graphs=default_graphs,
            named_graphs=named_graphs,
            timeout=timeout,
        )

    body, content_type = await run_read(state, run, timeout=timeout)
    return Response(body, headers={"content-type": content_type, "vary": "Accept"})


@router.get(
    "/sparql",
    dependencies=[needs(Permission.READ)],
    summary="SPARQL 1.1 query (GET), or the service description without 'query'",
)
async def sparql_get(request: Request) -> Response:
    return await _answer(request)


@router.post(
    "/sparql",
    dependencies=[needs(Permission.READ)],
    summary="SPARQL 1.1 query (POST form or application/sparql-query)",
)
async def sparql_post(request: Request) -> Response:
    return await _answer(request)


async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
    """``/sparql`` as a bare ASGI app, answering exactly as the routes above (errors included).

    The app calls it before FastAPI's middleware stack and router, which stay for every other route and for
    the OpenAPI description of this one: together they cost more CPU than a small query itself.
    """
    try:
        response = await _answer(Request(scope, receive))
    except MlkgError as error:
        response = error_response(error)
    await response(scope, receive, send)
