"""Behaviour of the embedded store beyond the shared contract: files on disk, locks, native dumps."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import OWL

from mlkg.config import Settings
from mlkg.errors import InputError, QueryError, QueryTimeoutError, StoreError, UnsupportedFormatError
from mlkg.store import install_ontology, open_store, oxbulk
from mlkg.store.base import AskResult, RdfFormat, SelectResult, Triple
from mlkg.store.oxigraph import OxigraphStore
from mlkg.vocab import MLKG, ONTOLOGY_GRAPH


@pytest.fixture
def store() -> Iterator[OxigraphStore]:
    """The embedded store only: this file tests what is particular to it (the shared contract is in
    test_contract.py, on every backend)."""
    with OxigraphStore(path=None) as opened:
        yield opened


EX = "http://example.org/"
G1, G2 = URIRef(EX + "graph/1"), URIRef(EX + "graph/2")
A, P = URIRef(EX + "a"), URIRef(EX + "p")


def test_data_survives_close_and_reopen(store_dir: str) -> None:
    with OxigraphStore(path=store_dir) as store:
        store.replace_graphs(graphs={G1: [(A, P, Literal("kept", lang="en"))]})
    with OxigraphStore(path=store_dir) as store:
        assert list(store.quads()) == [(A, P, Literal("kept", lang="en"), G1)]


def test_second_open_from_another_process_is_refused(store_dir: str) -> None:
    script = textwrap.dedent(
        f"""
        from mlkg.errors import StoreError
        from mlkg.store.oxigraph import OxigraphStore
        try:
            OxigraphStore(path={store_dir!r})
        except StoreError as exc:
            print("StoreError:", exc)
        """
    )
    with OxigraphStore(path=store_dir):
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("StoreError:")
    assert "in use" in done.stdout


def test_second_open_in_the_same_process_is_refused_until_closed(store_dir: str) -> None:
    first = OxigraphStore(path=store_dir)
    with pytest.raises(StoreError, match="in use"):
        OxigraphStore(path=store_dir)
    first.close()
    OxigraphStore(path=store_dir).close()


def test_unusable_path_is_a_store_error(tmp_path: Path) -> None:
    occupied = tmp_path / "a-file"
    occupied.write_text("not a store")
    with pytest.raises(StoreError, match="cannot open"):
        OxigraphStore(path=str(occupied))


def test_default_graph_quads_have_no_graph_name(store: OxigraphStore) -> None:
    store.update(update=f'INSERT DATA {{ <{A}> <{P}> "d" }}')
    assert list(store.quads()) == [(A, P, Literal("d"), None)]
    assert store.graph_names() == []


def test_empty_graphs_are_not_listed(store: OxigraphStore) -> None:
    store.update(update=f"CREATE GRAPH <{G1}>")
    assert store.graph_names() == []
    assert not store.has_graph(graph=G1)


def test_timeout_while_collecting_results(store: OxigraphStore) -> None:
    store.replace_graphs(graphs={G1: [(URIRef(f"{EX}s{i}"), P, Literal(i)) for i in range(20)]})
    with pytest.raises(QueryTimeoutError):
        store.query(query="SELECT * WHERE { ?s ?p ?o }", timeout=0.0)
    assert store.query(query="ASK { ?s ?p ?o }", timeout=10.0)


def test_bindings_need_the_variable_in_the_select_projection(store: OxigraphStore) -> None:
    # a pyoxigraph limitation of SEP-0007 substitution; the error says how to fix the query
    store.replace_graphs(graphs={G1: [(A, P, Literal("x"))]})
    with pytest.raises(QueryError, match=r"add \?s to the SELECT clause"):
        store.query(query="SELECT ?o WHERE { ?s ?p ?o }", bindings={"s": A})
    result = store.query(query="SELECT ?s ?o WHERE { ?s ?p ?o }", bindings={"s": A})
    assert isinstance(result, SelectResult) and result.rows == [(A, Literal("x"))]


@pytest.mark.parametrize("fmt", [RdfFormat.TURTLE, RdfFormat.NTRIPLES])
def test_dump_of_triple_formats_merges_graphs(store: OxigraphStore, fmt: RdfFormat) -> None:
    store.replace_graphs(graphs={G1: [(A, P, Literal("x"))], G2: [(A, P, Literal("x")), (A, P, G1)]})
    out = io.BytesIO()
    store.dump(format=fmt, output=out, prefixes={"ex": EX})
    expected = Graph()
    expected.add((A, P, Literal("x")))
    expected.add((A, P, G1))
    assert isomorphic(Graph().parse(data=out.getvalue(), format=fmt.value), expected)
    if fmt is RdfFormat.NTRIPLES:
        assert len(out.getvalue().splitlines()) == 2  # each triple once


@pytest.mark.parametrize("fmt", [RdfFormat.RDFXML, RdfFormat.JSONLD])
def test_dump_leaves_rdfxml_and_jsonld_to_exports(store: OxigraphStore, fmt: RdfFormat) -> None:
    with pytest.raises(UnsupportedFormatError):
        store.dump(format=fmt, output=io.BytesIO())


def test_open_store_installs_the_ontology_graph_once(tmp_path: Path) -> None:
    settings = Settings(store=str(tmp_path / "s"))
    with open_store(settings=settings) as opened:
        assert opened.has_graph(graph=ONTOLOGY_GRAPH)
        ask = opened.query(
            query=f"ASK {{ GRAPH <{ONTOLOGY_GRAPH}> {{ <{MLKG.upstream}> a <{OWL.TransitiveProperty}> }} }}"
        )
        assert ask == AskResult(value=True)
        assert install_ontology(store=opened) is False  # already current: a read-only open writes nothing
        opened.delete_graphs(graphs=[ONTOLOGY_GRAPH])
    with open_store(settings=settings) as reopened:
        assert reopened.has_graph(graph=ONTOLOGY_GRAPH)


# -- the N-Triples bulk path (BulkTriples) -------------------------------------------------------------------


def numbered(count: int) -> list[str]:
    return [f"<{EX}s{i}> <{EX}p> <{EX}o{i % 7}> .\n" for i in range(count)]


def test_graph_ntriples_reads_the_lines_of_one_graph(store: OxigraphStore) -> None:
    lines = numbered(500)
    store.load_graph_ntriples(graph=G1, chunks=["".join(lines)])
    odd: list[Triple] = [(A, P, Literal("a literal", lang="en")), (A, URIRef(EX + "q"), BNode("b1"))]
    store.replace_graphs(graphs={G2: odd})
    assert sorted(store.graph_ntriples(graph=G1)) == sorted(lines)
    assert sorted(store.graph_ntriples(graph=G2)) == sorted(
        f"{s.n3()} {p.n3()} {o.n3()} .\n" for s, p, o, _ in store.quads(graph=G2)
    )
    assert list(store.graph_ntriples(graph=URIRef(EX + "graph/empty"))) == []


@pytest.mark.parametrize("per_transaction", [200_000, 2])
def test_change_graph_ntriples_deletes_and_inserts_lines(
    store: OxigraphStore, monkeypatch: pytest.MonkeyPatch, per_transaction: int
) -> None:
    monkeypatch.setattr(oxbulk, "TRANSACTION_LINES", per_transaction)
    lines = numbered(10)
    store.load_graph_ntriples(graph=G1, chunks=["".join(lines[:6])])
    store.change_graph_ntriples(graph=G1, delete=lines[:3], insert=lines[6:])
    assert sorted(store.graph_ntriples(graph=G1)) == sorted(lines[3:])


def test_a_bad_line_changes_nothing(store: OxigraphStore) -> None:
    lines = numbered(4)
    store.load_graph_ntriples(graph=G1, chunks=["".join(lines[:2])])
    with pytest.raises(InputError):
        store.change_graph_ntriples(graph=G1, delete=lines[:1], insert=[lines[2], "<not a triple> .\n"])
    with pytest.raises(InputError):
        store.change_graph_ntriples(graph=G1, delete=[f"_:b <{EX}p> <{EX}o> .\n"], insert=[])
    assert sorted(store.graph_ntriples(graph=G1)) == sorted(lines[:2])
