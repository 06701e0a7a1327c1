"""What a query's default graph holds, on every backend opened as users open it (``open_store``): the union
of the stored graphs, without the ontology graph, which stays queryable by name (issue 13, point 3)."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import OWL

from mlkg.reasoning.journal import WriteJournal
from mlkg.resources import ontology_text
from mlkg.store import install_ontology
from mlkg.store.base import AskResult, GraphResult, SelectResult, Store
from mlkg.store.oxigraph import OxigraphStore
from mlkg.vocab import MLKG, ONTOLOGY_GRAPH, PENDING_GRAPH

EX = "http://example.org/"
ONT = f"<{ONTOLOGY_GRAPH}>"
SHIPPED = Graph().parse(data=ontology_text(), format="turtle")
COUNT = "SELECT (COUNT(*) AS ?c) WHERE { ?s ?p ?o }"


def count(store: Store, text: str = COUNT, **dataset: list[URIRef]) -> int:
    result = store.query(query=text, **dataset)  # type: ignore[arg-type]
    assert isinstance(result, SelectResult)
    return int(result.rows[0][0])  # type: ignore[arg-type]


def test_an_empty_store_answers_nothing(opened_store: Store) -> None:
    assert count(opened_store) == 0
    ask = opened_store.query(query="ASK { ?s ?p ?o }")
    assert isinstance(ask, AskResult) and ask.value is False
    graph = opened_store.query(query="CONSTRUCT WHERE { ?s ?p ?o }")
    assert isinstance(graph, GraphResult) and graph.triples == []
    classes = opened_store.query(query=f"SELECT ?c WHERE {{ ?c a <{OWL.Class}> }}")
    assert isinstance(classes, SelectResult) and classes.rows == []


def test_the_default_graph_holds_the_stored_graphs_only(opened_store: Store) -> None:
    opened_store.replace_graphs(graphs={URIRef(EX + "g"): [(URIRef(EX + "a"), MLKG.name, Literal("a"))]})
    assert count(opened_store) == 1


def test_the_ontology_is_queryable_in_its_named_graph(opened_store: Store) -> None:
    ask = opened_store.query(
        query=f"ASK {{ GRAPH {ONT} {{ <{MLKG.upstream}> a <{OWL.TransitiveProperty}> }} }}"
    )
    assert isinstance(ask, AskResult) and ask.value is True
    assert count(opened_store, f"SELECT (COUNT(*) AS ?c) FROM {ONT} WHERE {{ ?s ?p ?o }}") == len(SHIPPED)
    assert count(opened_store, default_graphs=[ONTOLOGY_GRAPH]) == len(SHIPPED)
    named = f"SELECT (COUNT(*) AS ?c) FROM NAMED {ONT} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    assert count(opened_store, named) == len(SHIPPED)
    described = opened_store.query(query=f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {ONT} {{ ?s ?p ?o }} }}")
    assert isinstance(described, GraphResult)
    assert isomorphic(Graph().parse(data=ontology_text(), format="turtle"), _graph(described))


def test_the_ontology_graph_reads_as_the_shipped_file(opened_store: Store) -> None:
    assert opened_store.has_graph(graph=ONTOLOGY_GRAPH)
    read = Graph()
    for s, p, o, g in opened_store.quads(graph=ONTOLOGY_GRAPH):
        assert g == ONTOLOGY_GRAPH
        read.add((s, p, o))
    assert isomorphic(read, SHIPPED)
    assert list(opened_store.quads()) == []  # not among the stored graphs
    listed = opened_store.query(query="SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert isinstance(listed, SelectResult) and listed.rows == []


def test_a_copy_stored_by_an_earlier_version_is_dropped(store: Store) -> None:
    triples = [(s, p, o) for s, p, o in SHIPPED]
    store.replace_graphs(graphs={ONTOLOGY_GRAPH: triples})  # type: ignore[dict-item]
    assert install_ontology(store=store) is True
    assert count(store) == 0
    assert install_ontology(store=store) is False  # nothing left: opening again writes nothing
    assert len(list(store.quads(graph=ONTOLOGY_GRAPH))) == len(SHIPPED)


def _graph(result: GraphResult) -> Graph:
    graph = Graph()
    for triple in result.triples:
        graph.add(triple)
    return graph


def test_naming_the_ontology_graph_outside_graph_leaves_the_query_on_the_data(opened_store: Store) -> None:
    opened_store.replace_graphs(graphs={URIRef(EX + "g"): [(URIRef(EX + "a"), MLKG.name, Literal("a"))]})
    text = f"SELECT (COUNT(*) AS ?c) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != {ONT}) }}"
    assert count(opened_store, text) == 1


def test_a_write_record_is_never_in_the_default_graph_of_the_embedded_store() -> None:
    # The remote backend keeps the record as a triple of the pending graph (README, "What a query's
    # default graph holds"): the protocol cannot leave one graph out of the engine's union.
    with OxigraphStore(path=None) as store:
        journal = WriteJournal(store=store)
        journal.begin()  # what a write commits before its asserted change
        assert journal.interrupted()
        assert count(store) == 0
        assert store.graph_names() == []
        journal.end()
        assert not journal.interrupted()
        journal.begin()
        WriteJournal(store=store).clear()  # a repair drops every record, this writer's included
        assert not store.has_graph(graph=PENDING_GRAPH)


def test_a_write_record_survives_reopening_the_embedded_store(tmp_path: Path) -> None:
    with OxigraphStore(path=tmp_path / "store") as store:
        WriteJournal(store=store).begin()  # the process dies before its write ends
    with OxigraphStore(path=tmp_path / "store") as reopened:
        assert WriteJournal(store=reopened).interrupted()
        assert count(reopened) == 0
