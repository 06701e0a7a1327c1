"""``/store``: the SPARQL 1.1 Graph Store HTTP Protocol (GET, HEAD, PUT, POST, DELETE); writes need the token.

- ``?graph=IRI`` names a graph, ``?default`` the store's default graph (section 4.2). GET returns it (404 if
  it holds no triple), PUT replaces it (201 if it was new, else 204), POST merges into it (section 5.5),
  DELETE drops it (404 if it held nothing).
- POST of a graph (Turtle, N-Triples, RDF/XML) without either parameter creates a new graph (section 5.5):
  its IRI is ``/store/{uuid}`` on the server's own address, answered as ``201 Created`` with that IRI in
  ``Location``.
- Direct graph identification (section 4.1): a URL under ``/store/`` names the graph whose IRI is that URL
  (without its query string); GET, HEAD, PUT, POST and DELETE act on it as on ``?graph=`` with that IRI.
- Without either parameter (an extension, as in Oxigraph server and Fuseki): GET returns the whole dataset;
  PUT of a dataset format (N-Quads, TriG, JSON-LD) replaces every asserted graph with the body's graphs, and
  POST merges the body's graphs. The inferred and ontology graphs are skipped on input (mlkg owns them), so
  an export loads back as it was.

Graphs are stored whole, without the SHACL validation ``/entities`` applies. Every write keeps the inferred
lineage graph correct, as ingest does.
"""

from __future__ import annotations

from collections import defaultdict
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import Response
from rdflib import URIRef

from mlkg.access.roles import Permission
from mlkg.api.auth import needs
from mlkg.api.deps import AppState, absolute_iri, read_body, run_read, run_write, state_of
from mlkg.api.representations import GRAPH_TYPES, graph_format
from mlkg.api.streaming import export_response
from mlkg.errors import InputError, NotFoundError, UnsupportedFormatError
from mlkg.exports import serialize_triples
from mlkg.ids import new_graph_iri
from mlkg.ingest import InputFormat, Source
from mlkg.ntriples import term_nt
from mlkg.reasoning.store import OWNED_GRAPHS
from mlkg.store.base import Quad, RdfFormat, Triple

__all__ = ["router"]

router = APIRouter(tags=["Graph Store"])

#: Graphs a dataset body's quads never write (an export holds them) and a dataset PUT never drops.
_MLKG_GRAPHS = OWNED_GRAPHS
_DATASET_TYPES = ("application/trig", "application/n-quads", "application/ld+json")


def _target(request: Request) -> tuple[str, URIRef | None]:
    """``("graph", IRI)``, ``("default", None)`` or ``("dataset", None)`` from the query string, or the
    graph named by the request's URL under ``/store/`` (direct identification, section 4.1).

    :raises InputError: for both parameters at once, a repeated ``graph``, a relative graph IRI, a value
        given to ``default`` (Graph Store Protocol 4.1: the parameter has none), or a parameter given with a
        URL under ``/store/``.
    """
    fields = parse_qs(request.url.query, keep_blank_values=True)
    if "key" in request.path_params:
        if "graph" in fields or "default" in fields:
            raise InputError("a graph URL under /store/ names the graph: give no ?graph or ?default")
        # The URL as sent (percent-encoded), not Starlette's decoded path: an IRI cannot hold raw spaces.
        raw_path = request.scope["raw_path"].decode("latin-1")
        return "graph", absolute_iri(str(request.url.replace(path=raw_path, query="")), name="the graph URL")
    if any(value for value in fields.get("default", [])):
        raise InputError("?default takes no value: write ?default, not ?default=...", where="default")
    graphs = fields.get("graph", [])
    if graphs and "default" in fields:
        raise InputError("give either ?graph=IRI or ?default, not both")
    if len(graphs) > 1:
        raise InputError("give ?graph once")
    if graphs:
        return "graph", absolute_iri(graphs[0], name="graph")
    return ("default", None) if "default" in fields else ("dataset", None)


async def _body_quads(request: Request, state: AppState, *, dataset: bool) -> list[Quad]:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if not media_type:
        raise UnsupportedFormatError("a Graph Store write needs a Content-Type (an RDF media type)")
    fmt = InputFormat.from_media_type(media_type)
    if fmt.is_dataset and not dataset:
        raise UnsupportedFormatError(
            f"{media_type} carries named graphs: send it to /store without ?graph or ?default, or send a "
            "triple format (Turtle, N-Triples, RDF/XML)"
        )
    data = await read_body(request)
    if not data.strip():
        return []
    return state.ingestor.read_quads(source=Source(name="request body", data=data, format=fmt))


def _default_graph_update(triples: list[Triple], *, replace: bool) -> str:
    """A SPARQL Update writing ``triples`` into the default graph (terms in N-Triples syntax)."""
    operations = ["DROP SILENT DEFAULT"] if replace else []
    if triples:
        lines = "\n".join(f"{term_nt(s)} {term_nt(p)} {term_nt(o)} ." for s, p, o in triples)
        operations.append(f"INSERT DATA {{\n{lines}\n}}")
    return " ;\n".join(operations)


def _write_graph(state: AppState, graph: URIRef, triples: list[Triple], *, merge: bool) -> bool:
    """Replace (or merge into) one named graph; True if it held nothing before."""
    store = state.store
    existed = store.has_graph(graph=graph)
    if merge and existed:
        triples = [(s, p, o) for s, p, o, _ in store.quads(graph=graph)] + triples
    store.replace_graphs(graphs={graph: triples})
    return not existed


def _write_dataset(state: AppState, quads: list[Quad], *, replace: bool) -> None:
    """Write a dataset body: its named graphs in one transaction (with ``replace``, the asserted graphs it
    does not hold are dropped in that same transaction), then its default-graph triples."""
    by_graph: dict[URIRef, list[Triple]] = defaultdict(list)
    default: list[Triple] = []
    for s, p, o, g in quads:
        if g is None:
            default.append((s, p, o))
        elif g not in _MLKG_GRAPHS:
            by_graph[g].append((s, p, o))
    store = state.store
    if replace:
        for gone in store.graph_names():
            if gone not in _MLKG_GRAPHS and gone not in by_graph:
                by_graph[gone] = []  # replace_graphs drops a graph given no triples
    else:
        for graph, triples in by_graph.items():
            triples[:0] = [(s, p, o) for s, p, o, _ in store.quads(graph=graph)]
    if by_graph:
        store.replace_graphs(graphs=dict(by_graph))
    if default or replace:
        update = _default_graph_update(default, replace=replace)
        if update:
            store.update(update=update, gated=False)  # mlkg's own text: the route decided


@router.head(
    "/store",
    dependencies=[needs(Permission.READ)],
    summary="Graph Store Protocol: does a graph exist (headers only)",
)
@router.head(
    "/store/{key:path}",
    dependencies=[needs(Permission.READ)],
    summary="Graph Store Protocol: does the graph at this URL exist",
)
async def store_head(request: Request) -> Response:
    return await store_get(request)


@router.get(
    "/store",
    dependencies=[needs(Permission.READ)],
    summary="Graph Store Protocol: read a graph, the default graph or the dataset",
)
@router.get(
    "/store/{key:path}",
    dependencies=[needs(Permission.READ)],
    summary="Graph Store Protocol: read the graph at this URL",
)
async def store_get(request: Request) -> Response:
    state = state_of(request)
    kind, graph = _target(request)
    accept = request.headers.get("accept")
    if kind == "dataset":
        extra = tuple(t for t in _DATASET_TYPES)
        media_type, _ = graph_format(accept, what="the dataset", extra=extra)
        dataset_format = RdfFormat.from_media_type(media_type) or GRAPH_TYPES[media_type]
        return await export_response(state, format=dataset_format, media_type=media_type)
    media_type, fmt = graph_format(accept, what="a graph")
    assert fmt is not None
    timeout = state.settings.query_timeout
    if kind == "graph":
        assert graph is not None
        if request.method == "HEAD":
            found = await run_read(state, lambda: state.store.has_graph(graph=graph), timeout=timeout)
            if not found:
                raise NotFoundError(f"no graph {graph} in the store")
            return Response(headers={"content-type": media_type})
        return await export_response(state, format=fmt, media_type=media_type, entity=graph)

    def default_graph() -> bytes:
        triples = [(s, p, o) for s, p, o, g in state.store.quads() if g is None]
        return serialize_triples(triples=triples, format=fmt)

    body = await run_read(state, default_graph, timeout=timeout)
    return Response(b"" if request.method == "HEAD" else body, headers={"content-type": media_type})


@router.put("/store", dependencies=[needs(Permission.WRITE)], summary="Graph Store Protocol: replace")
@router.put(
    "/store/{key:path}",
    dependencies=[needs(Permission.WRITE)],
    summary="Graph Store Protocol: replace the graph at this URL",
)
async def store_put(request: Request) -> Response:
    return await _write(request, merge=False)


@router.post("/store", dependencies=[needs(Permission.WRITE)], summary="Graph Store Protocol: merge")
@router.post(
    "/store/{key:path}",
    dependencies=[needs(Permission.WRITE)],
    summary="Graph Store Protocol: merge into the graph at this URL",
)
async def store_post(request: Request) -> Response:
    return await _write(request, merge=True)


async def _write(request: Request, *, merge: bool) -> Response:
    state = state_of(request)
    kind, graph = _target(request)
    if kind == "dataset" and merge and not _is_dataset_body(request):
        return await _create_graph(request, state)
    quads = await _body_quads(request, state, dataset=kind == "dataset")
    if kind == "dataset":
        await run_write(request, lambda: _write_dataset(state, quads, replace=not merge))
        return Response(status_code=204)
    triples: list[Triple] = [(s, p, o) for s, p, o, _ in quads]
    if kind == "default":
        update = _default_graph_update(triples, replace=not merge)
        if update:
            await run_write(request, lambda: state.store.update(update=update, gated=False))
        return Response(status_code=204)
    assert graph is not None
    created = await run_write(request, lambda: _write_graph(state, graph, triples, merge=merge))
    return Response(status_code=201 if created else 204)


def _is_dataset_body(request: Request) -> bool:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower() in _DATASET_TYPES


async def _create_graph(request: Request, state: AppState) -> Response:
    """POST of a graph to the Graph Store itself (section 5.5): "the server MUST respond with 201 Created
    and a Location header containing the URI of the newly created graph".

    :raises InputError: if the body holds no triple (a graph without triples does not exist in the store).
    :raises UnsupportedFormatError: if the body is not an RDF format mlkg reads.
    """
    graph = new_graph_iri(store_url=str(request.url.replace(query="")))
    quads = await _body_quads(request, state, dataset=False)
    if not quads:
        raise InputError("the body holds no triple: a new graph needs at least one")
    triples: list[Triple] = [(s, p, o) for s, p, o, _ in quads]
    await run_write(request, lambda: _write_graph(state, graph, triples, merge=False))
    return Response(status_code=201, headers={"location": str(graph)})


@router.delete("/store", dependencies=[needs(Permission.DELETE)], summary="Graph Store Protocol: delete")
@router.delete(
    "/store/{key:path}",
    dependencies=[needs(Permission.DELETE)],
    summary="Graph Store Protocol: delete the graph at this URL",
)
async def store_delete(request: Request) -> Response:
    state = state_of(request)
    kind, graph = _target(request)
    if kind == "dataset":
        raise InputError("DELETE needs ?graph=IRI or ?default; mlkg does not drop the whole store at once")
    if kind == "default":
        await run_write(request, lambda: state.store.update(update="DROP SILENT DEFAULT", gated=False))
        return Response(status_code=204)
    assert graph is not None
    existed = await run_write(request, lambda: state.store.delete_graphs(graphs=[graph]))
    if not existed:
        raise NotFoundError(f"no graph {graph} in the store")
    return Response(status_code=204)
