"""A full recompute over an existing inferred graph writes only the difference, and leaves exactly the graph a
recompute from scratch writes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import URIRef
from tests.reasoning.conftest import apply_writes
from tests.reasoning.test_engine import (
    CHURN,
    ID,
    NODES,
    PROPERTIES,
    inferred,
    ingest_demo,
    operation,
    with_blank_nodes_and_literals,
)

from mlkg.reasoning import load_ontology
from mlkg.reasoning.engine import Reasoner
from mlkg.reasoning.program import LineageProgram
from mlkg.reasoning.rewrite import Expected, _Hashes, _missing
from mlkg.reasoning.store import ReasonedStore
from mlkg.store.base import Triple
from mlkg.store.oxigraph import OxigraphStore
from mlkg.vocab import INFERRED_GRAPH, MLKG

GRAPH = f"<{INFERRED_GRAPH}>"


class RecordingStore(OxigraphStore):
    """An in-memory embedded store that records how the inferred graph is written."""

    def __init__(self) -> None:
        super().__init__(path=None)
        self.writes: list[str] = []

    def load_graph_ntriples(self, *, graph: URIRef, chunks: Iterable[str]) -> int:
        self.writes.append("bulk")
        return super().load_graph_ntriples(graph=graph, chunks=chunks)

    def change_graph_ntriples(self, *, graph: URIRef, delete: Sequence[str], insert: Sequence[str]) -> None:
        self.writes.append(f"diff -{len(delete)} +{len(insert)}")
        super().change_graph_ntriples(graph=graph, delete=delete, insert=insert)


@pytest.fixture(scope="module")
def program() -> LineageProgram:
    return LineageProgram.from_ontology(load_ontology())


def from_scratch(store: OxigraphStore, program: LineageProgram) -> set[Triple]:
    """The inferred graph a recompute writes into a copy of ``store``'s asserted graphs."""
    with OxigraphStore(path=None) as copy:
        graphs: dict[URIRef, list[Triple]] = {}
        for s, p, o, g in store.quads():
            if g is not None and g != INFERRED_GRAPH:
                graphs.setdefault(g, []).append((s, p, o))
        copy.replace_graphs(graphs=graphs)
        ReasonedStore(inner=copy, program=program).recompute()
        return inferred(copy)


def corrupt(store: OxigraphStore, *, drop: list[Triple], add: list[str]) -> None:
    """Write around the reasoner: delete ``drop`` from the inferred graph, add the N-Triples lines ``add``."""
    gone = " ".join(f"<{s}> <{p}> <{o}> ." for s, p, o in drop)
    new = " ".join(add)
    store.update(
        update=f"DELETE DATA {{ GRAPH {GRAPH} {{ {gone} }} }} ;\nINSERT DATA {{ GRAPH {GRAPH} {{ {new} }} }}"
    )


def test_a_recompute_over_the_right_graph_writes_nothing(program: LineageProgram) -> None:
    with RecordingStore() as inner:
        store = ReasonedStore(inner=inner, program=program)
        ingest_demo(store)
        before = inferred(inner)
        inner.writes.clear()
        stats = store.recompute()
        assert (stats.inferred_added, stats.inferred_removed) == (0, 0)
        assert inner.writes == []
        assert inferred(inner) == before


def test_a_stale_inferred_graph_is_repaired_exactly_by_writing_the_difference(
    program: LineageProgram,
) -> None:
    # Regression: a recompute cleared the whole inferred graph (quad by quad) and loaded it again, and
    # reported every triple as added.
    with RecordingStore() as inner:
        store = ReasonedStore(inner=inner, program=program)
        ingest_demo(store)
        right = inferred(inner)
        dropped = sorted(right)[::50]
        wrong = [
            f"<{CHURN}> <{MLKG.upstream}> <{ID}table/nowhere> .",
            f"<{ID}table/nowhere> <{MLKG.downstream}> <{CHURN}> .",
            f"<{CHURN}> <{MLKG.derivedFrom}> <{CHURN}> .",
        ]
        corrupt(inner, drop=dropped, add=wrong)
        inner.writes.clear()
        stats = store.recompute()
        assert inferred(inner) == right == from_scratch(inner, program)
        assert (stats.inferred_added, stats.inferred_removed) == (len(dropped), len(wrong))
        assert inner.writes == [f"diff -{len(wrong)} +{len(dropped)}"]


def test_stale_blank_nodes_and_literals_are_repaired_in_bulk(program: LineageProgram) -> None:
    # DELETE DATA may not name a blank node: such a graph is cleared and loaded again, with the same counts.
    with RecordingStore() as inner:
        store = ReasonedStore(inner=inner, program=program)
        ingest_demo(store)
        right = inferred(inner)
        wrong = [f'<{CHURN}> <{MLKG.upstream}> "a literal" .', f"_:b1 <{MLKG.upstream}> <{CHURN}> ."]
        corrupt(inner, drop=sorted(right)[:3], add=wrong)
        inner.writes.clear()
        stats = store.recompute()
        assert inferred(inner) == right
        assert (stats.inferred_added, stats.inferred_removed) == (3, 2)
        assert inner.writes == ["bulk"]


def test_a_mostly_wrong_graph_is_rewritten_in_bulk(program: LineageProgram) -> None:
    with RecordingStore() as inner:
        store = ReasonedStore(inner=inner, program=program)
        ingest_demo(store)
        right = inferred(inner)
        corrupt(inner, drop=sorted(right), add=[f"<{CHURN}> <{MLKG.upstream}> <{ID}table/nowhere> ."])
        inner.writes.clear()
        stats = store.recompute()
        assert inferred(inner) == right
        assert (stats.inferred_added, stats.inferred_removed) == (len(right), 1)
        assert inner.writes == ["bulk"]


def test_an_empty_inferred_graph_is_bulk_loaded_and_counted(program: LineageProgram) -> None:
    with RecordingStore() as inner:
        ingest_demo(inner)  # around the reasoner: no inferred graph
        stats = ReasonedStore(inner=inner, program=program).recompute()
        assert inner.writes == ["bulk"]
        assert (stats.inferred_added, stats.inferred_removed) == (len(inferred(inner)), 0)


def test_a_hash_collision_hides_a_missing_line_and_is_caught() -> None:
    lines = ["<urn:a> <urn:p> <urn:b> .\n", "<urn:b> <urn:p> <urn:c> .\n"]
    hashes = _Hashes(expected=2)
    hashes.add(hash(lines[0]))
    hashes.freeze()
    assert _missing(["".join(lines)], hashes, count=1) == [lines[1]]
    hashes = _Hashes(expected=2)
    for line in lines:  # as if the missing line's hash were a stored line's
        hashes.add(hash(line))
    hashes.freeze()
    assert _missing(["".join(lines)], hashes, count=1) is None


def expected_of(reasoner: Reasoner) -> tuple[Expected, set[str]]:
    state = reasoner._state
    assert state is not None
    expected = Expected(
        program=reasoner.program, state=state, emitted=reasoner._emitted, reach=reasoner._reach
    )
    lines = {line for chunk in reasoner._inferred_text() for line in chunk.splitlines()}
    return expected, lines


def test_the_expected_triples_are_the_lines_the_reasoner_writes(program: LineageProgram) -> None:
    with OxigraphStore(path=None) as inner:
        ingest_demo(inner)
        inner.replace_graphs(graphs=with_blank_nodes_and_literals())
        store = ReasonedStore(inner=inner, program=program)
        store.recompute()
        expected, lines = expected_of(store.reasoner)
        assert len(expected) == len(lines) == len(inferred(inner))
        for line in lines:
            s, p, rest = line.split(" ", 2)
            assert expected.has(s, p, rest[:-2])
        assert not expected.has(f"<{CHURN}>", f"<{MLKG.upstream}>", f"<{CHURN}>")
        assert not expected.has(f"<{CHURN}>", f"<{MLKG.upstream}>", '"x"')


wrong_triple = st.tuples(
    st.sampled_from(NODES), st.sampled_from([*PROPERTIES, MLKG.upstream]), st.sampled_from(NODES)
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(operation, min_size=1, max_size=8),
    st.lists(st.integers(min_value=0, max_value=10_000), max_size=8),
    st.lists(wrong_triple, max_size=6),
)
def test_a_corrupted_inferred_graph_is_repaired_like_a_recompute_from_scratch(
    operations: list[tuple[URIRef, list[Triple] | None]], drops: list[int], wrong: list[Triple]
) -> None:
    program = LineageProgram.from_ontology(load_ontology())
    with RecordingStore() as inner:
        store = ReasonedStore(inner=inner, program=program)
        apply_writes(store, operations)
        right = inferred(inner)
        expected, lines = expected_of(store.reasoner)
        assert len(expected) == len(lines) == len(right)
        ordered = sorted(right)
        dropped = {ordered[i % len(ordered)] for i in drops} if ordered else set()
        added = {t for t in wrong if t not in right}
        corrupt(inner, drop=sorted(dropped), add=[f"<{s}> <{p}> <{o}> ." for s, p, o in added])
        stats = store.recompute()
        assert inferred(inner) == right == from_scratch(inner, program)
        assert (stats.inferred_added, stats.inferred_removed) == (len(dropped), len(added))
