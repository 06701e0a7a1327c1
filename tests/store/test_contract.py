"""The Store contract (store/base.py): every backend must pass this file through the ``store`` fixture."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, XSD

from mlkg.errors import InputError, QueryError, StoreError
from mlkg.store.base import AskResult, GraphResult, SelectResult, Store
from mlkg.vocab import MLKG

EX = "http://example.org/"
G1, G2, G3 = URIRef(EX + "graph/1"), URIRef(EX + "graph/2"), URIRef(EX + "graph/3")
A, B, C = URIRef(EX + "a"), URIRef(EX + "b"), URIRef(EX + "c")
P, Q = URIRef(EX + "p"), URIRef(EX + "q")


def graph_of(store: Store, name: URIRef) -> Graph:
    graph = Graph()
    for s, p, o, _ in store.quads(graph=name):
        graph.add((s, p, o))
    return graph


def triples_graph(*triples) -> Graph:
    graph = Graph()
    for triple in triples:
        graph.add(triple)
    return graph


def snapshot(store: Store) -> set:
    """Every ground quad plus a count, enough to see any change in these tests."""
    quads = list(store.quads())
    return {q for q in quads if not any(isinstance(t, BNode) for t in q)} | {("count", len(quads))}


# -- writes ---------------------------------------------------------------------------------------------


def test_replace_writes_each_graph(store: Store) -> None:
    store.replace_graphs(graphs={G1: [(A, P, Literal("one"))], G2: [(B, P, C), (B, Q, Literal(2))]})
    assert store.graph_names() == [G1, G2]
    assert isomorphic(graph_of(store, G1), triples_graph((A, P, Literal("one"))))
    assert isomorphic(graph_of(store, G2), triples_graph((B, P, C), (B, Q, Literal(2))))


def test_replace_really_replaces_and_leaves_other_graphs_alone(store: Store) -> None:
    store.replace_graphs(graphs={G1: [(A, P, Literal("old")), (A, Q, B)], G2: [(B, P, C)]})
    store.replace_graphs(graphs={G1: [(A, P, Literal("new"))]})
    assert isomorphic(graph_of(store, G1), triples_graph((A, P, Literal("new"))))
    assert isomorphic(graph_of(store, G2), triples_graph((B, P, C)))


def test_replace_with_no_triples_drops_the_graph(store: Store) -> None:
    store.replace_graphs(graphs={G1: [(A, P, B)]})
    store.replace_graphs(graphs={G1: []})
    assert not store.has_graph(graph=G1)
    assert store.graph_names() == []


def test_replace_is_all_or_nothing(store: Store) -> None:
    store.replace_graphs(graphs={G1: [(A, P, Literal("old"))]})
    before = snapshot(store)
    bad = URIRef("not an absolute iri")
    with pytest.raises(InputError):
        store.replace_graphs(graphs={G1: [(A, P, Literal("new"))], G2: [(B, P, C)], G3: [(B, P, bad)]})
    assert snapshot(store) == before
    assert store.graph_names() == [G1]


@pytest.mark.parametrize(
    "triple",
    [(Literal("x"), P, A), (A, BNode(), A), (A, Literal("p"), A)],
    ids=["literal-subject", "blank-predicate", "literal-predicate"],
)
def test_replace_refuses_terms_in_the_wrong_position(store: Store, triple) -> None:
    with pytest.raises(InputError):
        store.replace_graphs(graphs={G1: [triple]})
    assert list(store.quads()) == []


def test_update_is_all_or_nothing(store: Store) -> None:
    store.replace_graphs(graphs={G1: [(A, P, B)]})
    before = snapshot(store)
    # the second operation fails at run time: the graph exists
    with pytest.raises(QueryError):
        store.update(update=f"INSERT DATA {{ GRAPH <{G2}> {{ <{A}> <{P}> <{C}> }} }} ; CREATE GRAPH <{G1}>")
    assert snapshot(store) == before


def test_update_writes(store: Store) -> None:
    store.update(update=f'INSERT DATA {{ GRAPH <{G1}> {{ <{A}> <{P}> "x"@en }} }}')
    assert list(store.quads(graph=G1)) == [(A, P, Literal("x", lang="en"), G1)]


def test_delete_drops_graphs_and_counts_those_that_existed(store: Store) -> None:
    store.replace_graphs(graphs={G1: [(A, P, B)], G2: [(B, P, C)], G3: [(C, P, A)]})
    assert store.delete_graphs(graphs=[G1, G2, URIRef(EX + "missing")]) == 2
    assert store.graph_names() == [G3]
    assert store.delete_graphs(graphs=[G1]) == 0
    assert store.delete_graphs(graphs=[]) == 0


def test_has_graph(store: Store) -> None:
    store.replace_graphs(graphs={G1: [(A, P, B)]})
    assert store.has_graph(graph=G1)
    assert not store.has_graph(graph=G2)


# -- terms ----------------------------------------------------------------------------------------------

LITERALS = [
    Literal("plain"),
    Literal(""),
    Literal('quotes " and \' and """ and \\ backslash'),
    Literal("new\nline, carriage\rreturn, tab\t, bell\x07"),
    Literal("unicode é 𝄞 中文 \u2028"),
    Literal('"> } ; DROP ALL'),
    Literal("chat", lang="fr"),
    Literal("colour", lang="en-gb"),
    Literal("42", datatype=XSD.integer),
    Literal("2024-05-01T10:00:00Z", datatype=XSD.dateTime),
    Literal("not a number", datatype=URIRef(EX + "custom-type")),
]


@pytest.mark.parametrize("literal", LITERALS, ids=range(len(LITERALS)))
def test_literals_round_trip(store: Store, literal: Literal) -> None:
    store.replace_graphs(graphs={G1: [(A, P, literal)]})
    [(_, _, back, _)] = store.quads(graph=G1)
    result = store.query(query="SELECT ?o WHERE { ?s ?p ?o }")
    assert isinstance(result, SelectResult) and result.rows == [(back,)]
    assert back.language == literal.language and back.datatype == literal.datatype
    # a store may write an XSD value in its canonical form ("...Z" for "...+00:00"): same value
    assert back == literal or back.eq(literal)


def test_language_tags_compare_case_insensitively(store: Store) -> None:
    # RDF 1.1 Concepts 3.3: language tags may be normalised to lower case
    store.replace_graphs(graphs={G1: [(A, P, Literal("colour", lang="en-GB"))]})
    [(_, _, back, _)] = store.quads()
    assert back == Literal("colour", lang="en-GB")


def test_blank_nodes_of_two_documents_stay_distinct(store: Store) -> None:
    b0 = BNode("b0")
    store.replace_graphs(graphs={G1: [(A, P, b0), (b0, Q, Literal("one"))]})
    store.replace_graphs(graphs={G2: [(B, P, b0), (b0, Q, Literal("two"))]})
    store.replace_graphs(graphs={G3: [(C, P, b0)]})
    subjects = {g: {s for s, _, _, _ in store.quads(graph=g) if isinstance(s, BNode)} for g in (G1, G2)}
    assert len(subjects[G1]) == len(subjects[G2]) == 1
    assert subjects[G1] != subjects[G2]
    # inside one document, a blank node stays one node
    [(_, _, obj, _)] = store.quads(subject=A)
    assert subjects[G1] == {obj}
    result = store.query(query=f"SELECT ?v WHERE {{ <{A}> <{P}> ?x . ?x <{Q}> ?v }}")
    assert isinstance(result, SelectResult) and result.rows == [(Literal("one"),)]


def test_blank_nodes_shared_between_graphs_of_one_call_stay_distinct(store: Store) -> None:
    b0 = BNode()
    store.replace_graphs(graphs={G1: [(b0, P, A)], G2: [(b0, P, B)]})
    nodes = {s for s, _, _, _ in store.quads(predicate=P)}
    assert len(nodes) == 2


# -- reads ----------------------------------------------------------------------------------------------


def test_quads_match_patterns(store: Store) -> None:
    store.replace_graphs(graphs={G1: [(A, P, B), (A, Q, Literal("x"))], G2: [(B, P, A)]})
    assert set(store.quads(subject=A)) == {(A, P, B, G1), (A, Q, Literal("x"), G1)}
    assert set(store.quads(predicate=P)) == {(A, P, B, G1), (B, P, A, G2)}
    assert set(store.quads(object=Literal("x"))) == {(A, Q, Literal("x"), G1)}
    assert set(store.quads(graph=G2)) == {(B, P, A, G2)}
    assert list(store.quads(subject=A, graph=G2)) == []


def test_quads_stream(store: Store) -> None:
    store.replace_graphs(graphs={G1: [(URIRef(f"{EX}s{i}"), P, Literal(i)) for i in range(50)]})
    stream = store.quads()
    assert iter(stream) is stream
    assert next(stream)[1] == P


def test_query_default_graph_is_the_union(store: Store) -> None:
    store.replace_graphs(graphs={G1: [(A, P, B)], G2: [(B, P, C)]})
    result = store.query(query=f"SELECT ?s ?o WHERE {{ ?s <{P}> ?x . ?x <{P}> ?o }}")
    assert isinstance(result, SelectResult)
    assert result.variables == ["s", "o"]
    assert result.rows == [(A, C)]


def test_query_dataset_from_arguments(store: Store) -> None:
    store.replace_graphs(graphs={G1: [(A, P, B)], G2: [(B, P, C)]})
    only_g2 = store.query(query="SELECT ?s WHERE { ?s ?p ?o }", default_graphs=[G2])
    assert isinstance(only_g2, SelectResult) and only_g2.rows == [(B,)]
    named = store.query(query="SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", named_graphs=[G1])
    assert isinstance(named, SelectResult) and named.rows == [(G1,)]
    empty = store.query(query="SELECT ?s WHERE { ?s ?p ?o }", default_graphs=[])
    assert isinstance(empty, SelectResult) and empty.rows == []


def test_query_from_clause_is_honoured(store: Store) -> None:
    store.replace_graphs(graphs={G1: [(A, P, B)], G2: [(B, P, C)]})
    result = store.query(query=f"SELECT ?s FROM <{G1}> WHERE {{ ?s ?p ?o }}")
    assert isinstance(result, SelectResult) and result.rows == [(A,)]


def test_result_types(store: Store) -> None:
    store.replace_graphs(graphs={G1: [(A, RDF.type, MLKG.Model), (A, MLKG.name, Literal("churn"))]})
    ask = store.query(query=f"ASK {{ ?m a <{MLKG.Model}> }}")
    assert ask == AskResult(value=True)
    assert store.query(query=f"ASK {{ ?m a <{MLKG.Table}> }}") == AskResult(value=False)
    construct = store.query(query=f"CONSTRUCT {{ ?m <{P}> ?n }} WHERE {{ ?m <{MLKG.name}> ?n }}")
    assert isinstance(construct, GraphResult)
    assert construct.triples == [(A, P, Literal("churn"))]
    select = store.query(query=f"SELECT ?m ?missing WHERE {{ ?m a ?t OPTIONAL {{ ?m <{Q}> ?missing }} }}")
    assert isinstance(select, SelectResult)
    assert select.rows == [(A, None)]
    assert select.dicts() == [{"m": A}]


def test_bindings_bind_terms(store: Store) -> None:
    store.replace_graphs(graphs={G1: [(A, P, Literal("a")), (B, P, Literal("b"))]})
    result = store.query(query="SELECT ?s ?o WHERE { ?s ?p ?o }", bindings={"s": B})
    assert isinstance(result, SelectResult) and result.rows == [(B, Literal("b"))]
    ask = store.query(query="ASK { ?s ?p ?o }", bindings={"o": Literal("b", lang="en")})
    assert ask == AskResult(value=False)


def test_bindings_cannot_inject(store: Store) -> None:
    nasty = Literal('x" } } ; DROP ALL ; INSERT DATA { <http://evil/> <http://evil/> "')
    store.replace_graphs(graphs={G1: [(A, P, nasty), (B, P, Literal("other"))]})
    before = snapshot(store)
    result = store.query(query="SELECT ?s ?o WHERE { ?s ?p ?o }", bindings={"o": nasty})
    assert isinstance(result, SelectResult) and result.rows == [(A, nasty)]
    assert store.query(query="ASK { ?s ?p ?o }", bindings={"o": Literal('"> } ; DROP ALL')}) == AskResult(
        value=False
    )
    assert snapshot(store) == before


def test_unbindable_variable_is_a_query_error(store: Store) -> None:
    with pytest.raises(QueryError):
        store.query(query="SELECT ?o WHERE { ?s ?p ?o }", bindings={"not a name": A})


# -- errors and remote access ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["SELEC * WHERE { ?s ?p ?o }", "SELECT * WHERE { ?s ?p ", ""])
def test_malformed_query_is_a_query_error(store: Store, text: str) -> None:
    with pytest.raises(QueryError) as caught:
        store.query(query=text)
    assert str(caught.value)


def test_update_passed_to_query_is_a_query_error(store: Store) -> None:
    with pytest.raises(QueryError, match="update"):
        store.query(query=f"PREFIX ex: <{EX}> INSERT DATA {{ ex:a ex:p ex:b }}")
    assert list(store.quads()) == []


@pytest.mark.parametrize("text", ["INSERT DATA { <http://a> <http://b> }", "SELECT * WHERE { ?s ?p ?o }"])
def test_malformed_update_is_a_query_error(store: Store, text: str) -> None:
    with pytest.raises(QueryError):
        store.update(update=text)


@pytest.fixture
def web_server() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server recording every request; nothing may ever reach it."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/turtle")
            self.end_headers()
            self.wfile.write(b"<http://a> <http://b> <http://c> .")

        do_POST = do_GET

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", hits
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    "update",
    ["LOAD <{url}data.ttl>", "load silent <{url}data.ttl> INTO GRAPH <http://g>", "# c\nLoAd <{url}>"],
)
def test_load_is_refused(store: Store, web_server, update: str) -> None:
    url, hits = web_server
    with pytest.raises(QueryError, match="LOAD of remote documents is disabled"):
        store.update(update=update.format(url=url))
    assert hits == []
    assert list(store.quads()) == []


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE {{ SERVICE <{url}sparql> {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ ?a ?b ?c .SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ BIND(<{url}> AS ?e) service ?e {{ ?s ?p ?o }} }}",
    ],
)
def test_service_is_refused(store: Store, web_server, query: str) -> None:
    url, hits = web_server
    with pytest.raises(QueryError, match="SERVICE"):
        store.query(query=query.format(url=url))
    with pytest.raises(QueryError, match="SERVICE"):
        store.update(update="INSERT { ?s ?p ?o } WHERE " + query.format(url=url).split("WHERE ", 1)[1])
    assert hits == []


def test_service_as_a_name_or_in_a_string_is_fine(store: Store) -> None:
    store.replace_graphs(graphs={G1: [(A, MLKG.service, Literal("SERVICE <http://x> { }"))]})
    query = f"""PREFIX mlkg: <{MLKG}> # SERVICE in a comment
        SELECT ?service WHERE {{ ?service mlkg:service "SERVICE <http://x> {{ }}" }}"""
    result = store.query(query=query)
    assert isinstance(result, SelectResult) and result.rows == [(A,)]
    store.update(update=f'INSERT DATA {{ <{B}> <{EX}load> "LOAD <http://x>" }}')


def test_closed_store(store: Store) -> None:
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.graph_names()
