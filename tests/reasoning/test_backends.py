"""The reasoner on every store backend (the ``store`` fixture: embedded, and a remote Oxigraph server):
incremental updates equal a full recompute and owlrl, and an incremental update reads only the graphs the
write touched, never the whole store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import rdflib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import RDF, URIRef
from tests.reasoning.conftest import apply_writes

from mlkg.config import DEFAULT_BASE_IRI
from mlkg.ids import IriMinter
from mlkg.ingest import Ingestor, InputFormat, Source
from mlkg.reasoning import LineageTriple, load_ontology, owlrl_lineage
from mlkg.reasoning.program import LineageProgram
from mlkg.reasoning.store import ReasonedStore
from mlkg.store.base import Quad, Store, Triple
from mlkg.vocab import INFERRED_GRAPH, MLKG, ONTOLOGY_GRAPH

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo"
EX = "http://example.org/"
NODES = [URIRef(f"{EX}n{i}") for i in range(6)]
PROPERTIES = [MLKG.readsFrom, MLKG.writesTo, MLKG.hasColumn, MLKG.columnOf, MLKG.derivedFromColumn]
PROPERTIES += [MLKG.usesFeature, MLKG.trainedOn, MLKG.versionOf, MLKG.servesVersion]


@pytest.fixture(scope="module")
def program() -> LineageProgram:
    return LineageProgram.from_ontology(load_ontology())


class CountingStore:
    """Passes everything to ``inner`` and records the pattern of every ``quads`` read."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.reads: list[dict[str, Any]] = []

    def quads(self, **pattern: Any) -> Iterator[Quad]:
        self.reads.append(pattern)
        return self.inner.quads(**pattern)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def inferred(store: Store) -> set[Triple]:
    return {(s, p, o) for s, p, o, _ in store.quads(graph=INFERRED_GRAPH)}


def lineage_only(triples: set[Triple]) -> set[LineageTriple]:
    return {t for t in triples if t[1] != RDF.type}  # type: ignore[misc]


def asserted_graph(store: Store) -> rdflib.Graph:
    graph = rdflib.Graph()
    for s, p, o, g in store.quads():
        if g not in (INFERRED_GRAPH, ONTOLOGY_GRAPH):
            graph.add((s, p, o))
    return graph


def test_the_demo_loaded_write_by_write_equals_a_recompute_and_owlrl(
    store: Store, program: LineageProgram
) -> None:
    reasoned = ReasonedStore(inner=store, program=program)
    ingestor = Ingestor(minter=IriMinter.from_ontology(base=DEFAULT_BASE_IRI), max_bytes=1 << 24)
    for path in sorted(DEMO.glob("*.json")):  # one write per file: the incremental path
        assert ingestor.ingest(
            store=reasoned, sources=[Source(path.name, path.read_bytes(), InputFormat.JSON)]
        )
    incremental = inferred(store)
    assert incremental
    reasoned.recompute()
    assert inferred(store) == incremental
    oracle = owlrl_lineage(ontology=load_ontology(), data=asserted_graph(store))
    assert {t for t in lineage_only(incremental) if t[1] in (MLKG.upstream, MLKG.downstream)} == {
        t for t in oracle if t[1] in (MLKG.upstream, MLKG.downstream)
    }


def test_an_incremental_update_reads_only_the_written_graphs(store: Store, program: LineageProgram) -> None:
    counting = CountingStore(store)
    reasoned = ReasonedStore(inner=counting, program=program)
    reasoned.replace_graphs(graphs={NODES[0]: [(NODES[0], MLKG.readsFrom, NODES[1])]})
    # the first write of a process builds the state: it reads the lineage properties and rdf:type only
    assert all(set(read) == {"predicate"} for read in counting.reads if "graph" not in read)
    counting.reads.clear()
    reasoned.replace_graphs(graphs={NODES[2]: [(NODES[2], MLKG.readsFrom, NODES[0])]})
    reasoned.delete_graphs(graphs=[NODES[0]])
    # before the write only: a graph without blank nodes is what was written (no read back after it)
    assert counting.reads == [{"graph": NODES[2]}, {"graph": NODES[0]}]
    lineage = {t for t in inferred(store) if t[1] in (MLKG.upstream, MLKG.downstream)}
    assert lineage == {(NODES[2], MLKG.upstream, NODES[0]), (NODES[0], MLKG.downstream, NODES[2])}


triple_strategy = st.tuples(st.sampled_from(NODES), st.sampled_from(PROPERTIES), st.sampled_from(NODES))
document = st.tuples(st.sampled_from(NODES[:4]), st.lists(triple_strategy, max_size=5))
operation = st.one_of(document, st.tuples(st.sampled_from(NODES[:4]), st.none()))


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(operations=st.lists(operation, min_size=1, max_size=6))
def test_incremental_equals_recompute_on_every_backend(
    store: Store, program: LineageProgram, operations: list[tuple[URIRef, list[Triple] | None]]
) -> None:
    store.update(update="DROP ALL")  # hypothesis runs many examples in one test: start each from empty
    reasoned = ReasonedStore(inner=store, program=program)
    reasoned.recompute()
    apply_writes(reasoned, operations)
    incremental = inferred(store)
    reasoned.recompute()
    assert inferred(store) == incremental


def test_a_recompute_reports_what_it_changed_on_every_backend(store: Store, program: LineageProgram) -> None:
    reasoned = ReasonedStore(inner=store, program=program)
    chain = [(NODES[0], MLKG.readsFrom, NODES[1]), (NODES[1], MLKG.writesTo, NODES[2])]
    store.replace_graphs(graphs={NODES[0]: chain})  # written around the reasoner: nothing inferred yet
    first = reasoned.recompute()
    assert first.inferred_added == len(inferred(store)) > 0
    assert first.inferred_removed == 0
    again = reasoned.recompute()  # the graph is right: nothing to write
    assert (again.inferred_added, again.inferred_removed) == (0, 0)
    wrong = (NODES[4], MLKG.upstream, NODES[5])
    store.update(
        update=f"INSERT DATA {{ GRAPH <{INFERRED_GRAPH}> {{ <{wrong[0]}> <{wrong[1]}> <{wrong[2]}> }} }}"
    )
    repaired = reasoned.recompute()
    assert (repaired.inferred_added, repaired.inferred_removed) == (0, 1)
    assert wrong not in inferred(store)
