"""Real SPARQL clients against a live ``mlkg serve`` on 127.0.0.1, answers compared with the library's.

The server runs in a subprocess (``python -m mlkg serve --demo --store memory:``) on a free port, one for the
module; the same demo catalog is loaded in-process through :func:`mlkg.api.create_app` and every answer a
client gets over HTTP is compared with what that store returns for the same query or update: SELECT rows as
multisets of RDF terms, ASK booleans, CONSTRUCT graphs by isomorphism, datasets graph by graph.

Clients: SPARQLWrapper (SELECT as JSON, XML and CSV, ASK, CONSTRUCT as Turtle and JSON-LD, UPDATE with and
without the write token; GET, POST form and POST ``application/sparql-query``), rdflib's
``SPARQLUpdateStore`` (bearer token through its ``headers`` option), and plain ``urllib`` as curl would send
it (the README's "done when": which raw tables feed ``churn_scores``).
"""

from __future__ import annotations

import csv
import io
import json
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import rdflib
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.plugins.stores.sparqlstore import SPARQLUpdateStore
from rdflib.query import Result
from SPARQLWrapper import CSV, GET, JSON, JSONLD, POST, POSTDIRECTLY, TURTLE, URLENCODED, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import Unauthorized
from tests.serving import Launched, LiveServer, launch

from mlkg.api import create_app
from mlkg.config import Settings
from mlkg.reasoning.store import ReasonedStore
from mlkg.resources import context_text
from mlkg.store import open_store
from mlkg.store.base import AskResult, GraphResult, SelectResult
from mlkg.vocab import CONTEXT_IRI, INFERRED_GRAPH

TOKEN = "live-clients-token"
ID = "http://localhost:8000/id/"
CHURN_SCORES = f"{ID}table/snowflake.prod.churn_scores"
CUSTOMERS = f"{ID}table/postgres_prod.ecommerce.public.customers"
ORDERS = f"{ID}table/postgres_prod.ecommerce.public.orders"
PREFIX = "PREFIX mlkg: <https://w3id.org/mlkg#>\n"

Row = tuple[Any, ...]


# --------------------------------------------------------------------------------------------- the server


@pytest.fixture(scope="module")
def launched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Launched]]:
    """Both servers of the module, started at once so they boot while the library loads: ``demo`` (the demo
    catalog, with a write token) and ``empty`` (a fresh empty store, same token)."""
    logs = tmp_path_factory.mktemp("live")
    servers: dict[str, Launched] = {}
    try:
        servers["demo"] = launch(log=logs / "serve-demo.log", demo=True, token=TOKEN)
        servers["empty"] = launch(log=logs / "serve-empty.log", demo=False, token=TOKEN)
        yield servers
    finally:
        for started in servers.values():
            started.stop()


@pytest.fixture(scope="module")
def library(launched: dict[str, Launched]) -> Iterator[ReasonedStore]:
    """The same demo catalog in-process, through the same ``create_app`` the server runs."""
    settings = Settings(store="memory:", write_token=None)
    with open_store(settings=settings) as inner:  # as `mlkg serve` opens it: the ontology graph installed
        app = create_app(settings, store=inner, demo=True)
        store: ReasonedStore = app.state.mlkg.store
        yield store


@pytest.fixture(scope="module")
def server(launched: dict[str, Launched], library: ReasonedStore) -> LiveServer:
    """The demo server (the library is loaded first, while the server boots)."""
    return launched["demo"].ready()


@pytest.fixture(scope="module")
def empty_server(launched: dict[str, Launched]) -> LiveServer:
    """The server on a fresh, empty store (no demo)."""
    return launched["empty"].ready()


# --------------------------------------------------------------------------------------------- helpers


def http(
    method: str, url: str, *, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, str, bytes]:
    """``(status, Content-Type, body)`` of one plain HTTP request, errors included (as curl shows them)."""
    request = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers.get("content-type", ""), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("content-type", ""), error.read()


def library_select(library: ReasonedStore, query: str) -> tuple[list[str], Counter[Row]]:
    result = library.query(query=query)
    assert isinstance(result, SelectResult)
    return list(result.variables), Counter(result.rows)


def client_select(result: Result) -> tuple[list[str], Counter[Row]]:
    assert result.vars is not None
    return [str(v) for v in result.vars], Counter(tuple(row) for row in result)  # type: ignore[arg-type]


def library_graph(library: ReasonedStore, query: str) -> Graph:
    result = library.query(query=query)
    assert isinstance(result, GraphResult)
    graph = Graph()
    for triple in result.triples:
        graph.add(triple)
    return graph


def wrapper(server: LiveServer, *, method: str = GET, request_method: str = URLENCODED) -> SPARQLWrapper:
    client = SPARQLWrapper(server.sparql, updateEndpoint=server.update)
    client.setMethod(method)
    client.setRequestMethod(request_method)
    return client


def downstream_of(table: str, graph: URIRef = INFERRED_GRAPH) -> str:
    return PREFIX + f"SELECT ?x WHERE {{ GRAPH <{graph}> {{ <{table}> mlkg:downstream ?x }} }}"


# Two SELECTs: one with OPTIONAL (unbound values) over the union default graph, a multiset; one aggregate
# with typed literals.
SELECTS = {
    "downstream-with-names": PREFIX
    + f"""SELECT ?x ?fqn ?name WHERE {{
  GRAPH <{INFERRED_GRAPH}> {{ <{CUSTOMERS}> mlkg:downstream ?x }}
  OPTIONAL {{ ?x mlkg:fullyQualifiedName ?fqn }}
  OPTIONAL {{ ?x mlkg:name ?name FILTER(STRSTARTS(STR(?x), "{ID}model/")) }}
}}""",
    "count-per-class": "SELECT ?class (COUNT(?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class",
}

# Client methods: GET ?query=, POST form (query=), POST application/sparql-query.
METHODS = {"get": (GET, URLENCODED), "post-form": (POST, URLENCODED), "post-direct": (POST, POSTDIRECTLY)}

# A CONSTRUCT with plain triples and a few blank nodes (one per model reached, each told apart by its label:
# rdflib's isomorphism test is exponential on many look-alike blank nodes, so duplicates are avoided).
CONSTRUCT = (
    PREFIX
    + f"""CONSTRUCT {{
  <{CUSTOMERS}> mlkg:downstream ?x .
  ?x mlkg:fullyQualifiedName ?fqn .
  ?model mlkg:reachedBy [ mlkg:from ?source ; mlkg:label ?modelName ] .
}} WHERE {{
  {{ SELECT DISTINCT ?x ?fqn WHERE {{
    GRAPH <{INFERRED_GRAPH}> {{ <{CUSTOMERS}> mlkg:downstream ?x }}
    ?x mlkg:fullyQualifiedName ?fqn
  }} }}
  UNION
  {{ SELECT DISTINCT ?model ?modelName ?source WHERE {{
    GRAPH <{INFERRED_GRAPH}> {{ <{CUSTOMERS}> mlkg:downstream ?model }}
    ?model a mlkg:Model ; mlkg:name ?modelName .
    BIND(<{CUSTOMERS}> AS ?source)
  }} }}
}}"""
)


# --------------------------------------------------------------------------------------------- SPARQLWrapper


@pytest.mark.parametrize("method", list(METHODS))
@pytest.mark.parametrize("name", list(SELECTS))
def test_sparqlwrapper_select_json(
    server: LiveServer, library: ReasonedStore, name: str, method: str
) -> None:
    client = wrapper(server, method=METHODS[method][0], request_method=METHODS[method][1])
    client.setQuery(SELECTS[name])
    client.setReturnFormat(JSON)
    answer = client.queryAndConvert()
    assert isinstance(answer, dict)
    parsed = Result.parse(io.BytesIO(json.dumps(answer).encode()), format="json")
    expected = library_select(library, SELECTS[name])
    assert sum(expected[1].values()) > 3
    assert client_select(parsed) == expected


@pytest.mark.parametrize("method", list(METHODS))
@pytest.mark.parametrize("name", list(SELECTS))
def test_sparqlwrapper_select_xml(server: LiveServer, library: ReasonedStore, name: str, method: str) -> None:
    client = wrapper(server, method=METHODS[method][0], request_method=METHODS[method][1])
    client.setQuery(SELECTS[name])
    client.setReturnFormat(XML)
    response = client.query()
    assert response.info()["content-type"].startswith("application/sparql-results+xml")
    document = response.convert()  # an xml.dom.minidom Document
    parsed = Result.parse(io.BytesIO(document.toxml("utf-8")), format="xml")
    assert client_select(parsed) == library_select(library, SELECTS[name])


@pytest.mark.parametrize("name", list(SELECTS))
def test_sparqlwrapper_select_csv(server: LiveServer, library: ReasonedStore, name: str) -> None:
    client = wrapper(server, method=POST)
    client.setQuery(SELECTS[name])
    client.setReturnFormat(CSV)
    text = client.queryAndConvert()
    assert isinstance(text, bytes)
    header, *rows = list(csv.reader(io.StringIO(text.decode("utf-8"))))
    variables, expected = library_select(library, SELECTS[name])
    # SPARQL 1.1 CSV: lexical forms and bare IRIs, unbound values empty.
    as_text = Counter({tuple("" if t is None else str(t) for t in row): n for row, n in expected.items()})
    assert header == variables
    assert Counter(tuple(row) for row in rows) == as_text


@pytest.mark.parametrize("method", list(METHODS))
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            PREFIX + f"ASK {{ GRAPH <{INFERRED_GRAPH}> {{ <{CHURN_SCORES}> mlkg:upstream <{CUSTOMERS}> }} }}",
            True,
        ),
        (
            PREFIX + f"ASK {{ GRAPH <{INFERRED_GRAPH}> {{ <{CUSTOMERS}> mlkg:upstream <{CHURN_SCORES}> }} }}",
            False,
        ),
    ],
    ids=["true", "false"],
)
def test_sparqlwrapper_ask(
    server: LiveServer, library: ReasonedStore, query: str, expected: bool, method: str
) -> None:
    client = wrapper(server, method=METHODS[method][0], request_method=METHODS[method][1])
    client.setQuery(query)
    client.setReturnFormat(JSON)
    answer = client.queryAndConvert()
    assert isinstance(answer, dict)
    in_process = library.query(query=query)
    assert isinstance(in_process, AskResult)
    assert answer["boolean"] is in_process.value is expected


@pytest.mark.parametrize("method", list(METHODS))
def test_sparqlwrapper_construct_turtle(server: LiveServer, library: ReasonedStore, method: str) -> None:
    client = wrapper(server, method=METHODS[method][0], request_method=METHODS[method][1])
    client.setQuery(CONSTRUCT)
    client.setReturnFormat(TURTLE)
    response = client.query()
    assert response.info()["content-type"].startswith("text/turtle")
    text = response.convert()
    assert isinstance(text, bytes)
    received = Graph().parse(data=text, format="turtle")
    expected = library_graph(library, CONSTRUCT)
    assert len(expected) > 10
    assert isomorphic(received, expected)


def test_sparqlwrapper_construct_jsonld(server: LiveServer, library: ReasonedStore) -> None:
    """The triples of a JSON-LD CONSTRUCT answer, read with mlkg's context supplied locally."""
    client = wrapper(server, method=POST)
    client.setQuery(CONSTRUCT)
    client.setReturnFormat(JSONLD)
    response = client.query()
    assert response.info()["content-type"].startswith("application/ld+json")
    document = json.loads(response.response.read())
    if document.get("@context") == CONTEXT_IRI:
        document["@context"] = json.loads(context_text())["@context"]
    received = Graph().parse(data=json.dumps(document), format="json-ld")
    assert isomorphic(received, library_graph(library, CONSTRUCT))


def test_sparqlwrapper_construct_jsonld_is_self_contained(server: LiveServer, library: ReasonedStore) -> None:
    """SPARQLWrapper's own JSON-LD conversion must work offline: the answer may not depend on fetching a
    context from the network (https://w3id.org/mlkg/context.jsonld is neither served by mlkg nor reachable
    from a loopback-only deployment). Fails today: the server compacts with the remote context IRI."""
    client = wrapper(server, method=POST)
    client.setQuery(CONSTRUCT)
    client.setReturnFormat(JSONLD)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # SPARQLWrapper parses into a ConjunctiveGraph
        converted = client.queryAndConvert()
    received = Graph()
    for s, p, o, _ in converted.quads((None, None, None, None)):
        received.add((s, p, o))
    assert isomorphic(received, library_graph(library, CONSTRUCT))


def _lineage_update(graph: str, pipeline: str, target: str) -> str:
    """A pipeline reading ``churn_scores`` and writing a new table: the new table becomes downstream of
    everything upstream of ``churn_scores`` (customers among them)."""
    return PREFIX + (
        f"INSERT DATA {{ GRAPH <{graph}> {{\n"
        f"  <{pipeline}> a mlkg:Pipeline ; mlkg:readsFrom <{CHURN_SCORES}> ; mlkg:writesTo <{target}> .\n"
        f"  <{target}> a mlkg:Table .\n}} }}"
    )


@pytest.mark.parametrize("request_method", [URLENCODED, POSTDIRECTLY], ids=["form", "sparql-update"])
def test_sparqlwrapper_update_with_token(
    server: LiveServer, library: ReasonedStore, request_method: str
) -> None:
    graph = f"{ID}pipeline/live.sparqlwrapper_{request_method}"
    target = f"{ID}table/live.sparqlwrapper_{request_method}_out"
    update = _lineage_update(graph, graph, target)
    client = wrapper(server, method=POST, request_method=request_method)
    client.addCustomHttpHeader("Authorization", f"Bearer {TOKEN}")
    reader = wrapper(server, method=POST)
    reader.setReturnFormat(JSON)
    reader.setQuery(downstream_of(CUSTOMERS))
    try:
        client.setQuery(update)
        assert client.query().response.status == 204
        library.update(update=update)
        after = client_select(
            Result.parse(io.BytesIO(json.dumps(reader.queryAndConvert()).encode()), format="json")
        )
        assert (URIRef(target),) in after[1]
        assert after == library_select(library, downstream_of(CUSTOMERS))
    finally:
        drop = f"DROP SILENT GRAPH <{graph}>"
        client.setQuery(drop)
        client.query()
        library.update(update=drop)
    gone = client_select(
        Result.parse(io.BytesIO(json.dumps(reader.queryAndConvert()).encode()), format="json")
    )
    assert (URIRef(target),) not in gone[1]
    assert gone == library_select(library, downstream_of(CUSTOMERS))


@pytest.mark.parametrize("request_method", [URLENCODED, POSTDIRECTLY], ids=["form", "sparql-update"])
@pytest.mark.parametrize(
    "header", [None, "Bearer wrong-token", f"Basic {TOKEN}"], ids=["none", "wrong", "basic"]
)
def test_sparqlwrapper_update_refused_without_token(
    server: LiveServer, request_method: str, header: str | None
) -> None:
    graph = f"{ID}pipeline/live.refused"
    client = wrapper(server, method=POST, request_method=request_method)
    if header is not None:
        client.addCustomHttpHeader("Authorization", header)
    client.setQuery(_lineage_update(graph, graph, f"{ID}table/live.refused_out"))
    with pytest.raises(Unauthorized):
        client.query()
    status, _, _ = http("HEAD", f"{server.url}store?graph={urllib.parse.quote(graph, safe='')}")
    assert status == 404


# --------------------------------------------------------------------------------------------- rdflib


@pytest.fixture
def rdflib_store(server: LiveServer) -> Iterator[SPARQLUpdateStore]:
    """rdflib's SPARQLUpdateStore on the live server; rdflib 7 passes ``headers`` to every request."""
    store = SPARQLUpdateStore(
        query_endpoint=server.sparql,
        update_endpoint=server.update,
        method="POST_FORM",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    yield store
    store.close()


@pytest.mark.parametrize("name", list(SELECTS))
def test_rdflib_store_select(rdflib_store: SPARQLUpdateStore, library: ReasonedStore, name: str) -> None:
    result = Graph(store=rdflib_store).query(SELECTS[name])
    assert client_select(result) == library_select(library, SELECTS[name])


def test_rdflib_store_ask_and_construct(rdflib_store: SPARQLUpdateStore, library: ReasonedStore) -> None:
    graph = Graph(store=rdflib_store)
    ask = PREFIX + f"ASK {{ GRAPH <{INFERRED_GRAPH}> {{ <{CHURN_SCORES}> mlkg:upstream <{ORDERS}> }} }}"
    assert graph.query(ask).askAnswer is True
    constructed = graph.query(CONSTRUCT).graph
    assert constructed is not None
    assert isomorphic(constructed, library_graph(library, CONSTRUCT))


def test_rdflib_store_writes_keep_lineage(rdflib_store: SPARQLUpdateStore, library: ReasonedStore) -> None:
    """Triples added through rdflib's Graph API land in their named graph and the inferred graph follows."""
    iri = URIRef(f"{ID}pipeline/live.rdflib")
    target = URIRef(f"{ID}table/live.rdflib_out")
    named = Graph(store=rdflib_store, identifier=iri)
    rdf_type, mlkg = rdflib.RDF.type, rdflib.Namespace("https://w3id.org/mlkg#")
    triples = {
        (iri, rdf_type, mlkg.Pipeline),
        (iri, mlkg.readsFrom, URIRef(CHURN_SCORES)),
        (iri, mlkg.writesTo, target),
        (target, rdf_type, mlkg.Table),
        (target, mlkg.name, Literal("rdflib_out")),
    }
    try:
        for triple in triples:
            named.add(triple)
        assert set(named) == triples
        assert len(named) == len(triples)
        lines = " ".join(f"{s.n3()} {p.n3()} {o.n3()} ." for s, p, o in triples)
        library.update(update=f"INSERT DATA {{ GRAPH <{iri}> {{ {lines} }} }}")
        downstream = Graph(store=rdflib_store).query(downstream_of(CUSTOMERS))
        assert (target,) in client_select(downstream)[1]
        assert client_select(downstream) == library_select(library, downstream_of(CUSTOMERS))
        named.remove((target, mlkg.name, None))
        assert set(named) == triples - {(target, mlkg.name, Literal("rdflib_out"))}
    finally:
        rdflib_store.update(f"DROP SILENT GRAPH <{iri}>")
        library.update(update=f"DROP SILENT GRAPH <{iri}>")
    assert len(named) == 0
    after = client_select(Graph(store=rdflib_store).query(downstream_of(CUSTOMERS)))
    assert (target,) not in after[1]


# --------------------------------------------------------------------------------------------- round trip


def _dataset(data: bytes, fmt: str) -> rdflib.Dataset:
    dataset = rdflib.Dataset()
    dataset.parse(data=data, format=fmt)
    return dataset


@pytest.mark.parametrize(
    ("export_format", "media_type", "rdflib_format"),
    [("nq", "application/n-quads", "nquads"), ("trig", "application/trig", "trig")],
)
def test_export_then_put_store_into_a_fresh_server(
    server: LiveServer,
    empty_server: LiveServer,
    same_dataset: Callable[[rdflib.Dataset, rdflib.Dataset], bool],
    export_format: str,
    media_type: str,
    rdflib_format: str,
) -> None:
    status, _, exported = http("GET", f"{server.url}export?format={export_format}")
    assert status == 200
    original = _dataset(exported, rdflib_format)
    names = {str(g.identifier) for g in original.graphs() if len(g)}
    assert str(INFERRED_GRAPH) in names
    assert len(names) > 20
    writer = {"Authorization": f"Bearer {TOKEN}", "Content-Type": media_type}

    # Start from nothing: PUT of an empty dataset leaves no asserted graph and an empty inferred graph.
    assert http("PUT", f"{empty_server.url}store", body=b"", headers=writer)[0] == 204
    _, _, emptied = http("GET", f"{empty_server.url}export?format=nq")
    assert not {g for *_, g in _dataset(emptied, "nquads").quads()} - {
        URIRef("https://w3id.org/mlkg/graph/ontology")
    }

    status, _, body = http("PUT", f"{empty_server.url}store", body=exported, headers=writer)
    assert status == 204, body
    status, _, copied = http("GET", f"{empty_server.url}export?format={export_format}")
    assert status == 200
    assert same_dataset(_dataset(copied, rdflib_format), original)


def test_put_store_needs_the_token(empty_server: LiveServer) -> None:
    body = b"<urn:a> <urn:b> <urn:c> <urn:g> .\n"
    status, _, _ = http(
        "PUT", f"{empty_server.url}store", body=body, headers={"Content-Type": "application/n-quads"}
    )
    assert status == 401


# --------------------------------------------------------------------------------------------- done when


def test_curl_query_answers_the_raw_tables_feeding_churn_scores(server: LiveServer) -> None:
    """README, "done when": a SPARQL query sent with plain HTTP to the URL ``mlkg serve --demo`` printed
    answers which raw tables feed ``churn_scores``; the named query ``raw-sources`` agrees."""
    query = PREFIX + (
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "SELECT DISTINCT ?name WHERE {\n"
        f"  GRAPH <{INFERRED_GRAPH}> {{ <{CHURN_SCORES}> mlkg:upstream ?table }}\n"
        "  ?table a/rdfs:subClassOf* mlkg:Dataset ; mlkg:fullyQualifiedName ?name .\n"
        f"  FILTER NOT EXISTS {{ GRAPH <{INFERRED_GRAPH}> {{ ?table mlkg:upstream ?any }} }}\n"
        "} ORDER BY ?name"
    )
    status, content_type, body = http(
        "POST",
        f"{server.url}sparql",
        body=query.encode(),
        headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"},
    )
    assert status == 200, body
    assert content_type.startswith("application/sparql-results+json")
    names = [row["name"]["value"] for row in json.loads(body)["results"]["bindings"]]
    assert names == ["postgres_prod.ecommerce.public.customers", "postgres_prod.ecommerce.public.orders"]

    entity = urllib.parse.quote(CHURN_SCORES, safe="")
    status, _, body = http(
        "GET", f"{server.url}queries/raw-sources?entity={entity}", headers={"Accept": "text/csv"}
    )
    assert status == 200, body
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
    assert sorted(r["name"] for r in rows if r["kind"] == "table") == names
