"""Crash safety of writes (issue 11, point 3): every write through a ReasonedStore is recorded in the store
before its asserted change and the record is dropped after its inferred change, so a process that dies in
between leaves a record, and the next ReasonedStore opened on the store recomputes the inferred graph first.

A process death is simulated by an exception that the store raises instead of writing the inferred change
(``Killed`` derives from BaseException, like the KeyboardInterrupt of a real interrupted process); the
reliability suite (``tests/reliability``) does it with real ``kill -9``s.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from rdflib import URIRef

from mlkg.errors import InputError, QueryError, StoreError
from mlkg.reasoning import load_ontology
from mlkg.reasoning.program import LineageProgram
from mlkg.reasoning.store import ReasonedStore, repair_interrupted
from mlkg.store.base import Store, Triple
from mlkg.store.oxigraph import OxigraphStore
from mlkg.vocab import INFERRED_GRAPH, MLKG, ONTOLOGY_GRAPH, PENDING_GRAPH

EX = "http://example.org/"
N = [URIRef(f"{EX}n{i}") for i in range(6)]


class Killed(BaseException):
    """The process died here."""


class FailingInferredWrite:
    """Passes everything to ``inner`` except the next ``failures`` incremental writes of the inferred graph,
    which raise ``error`` instead (nothing of them is written)."""

    def __init__(self, inner: Store, *, error: BaseException, failures: int = 1) -> None:
        self.inner = inner
        self.error = error
        self.failures = failures

    def change_graph(self, *, graph: URIRef, delete: Iterable[Triple], insert: Iterable[Triple]) -> None:
        if graph == INFERRED_GRAPH and self.failures > 0:
            self.failures -= 1
            raise self.error
        self.inner.change_graph(graph=graph, delete=delete, insert=insert)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture(scope="module")
def program() -> LineageProgram:
    return LineageProgram.from_ontology(load_ontology())


@pytest.fixture
def memory() -> Iterator[Store]:
    with OxigraphStore(path=None) as store:
        yield store


def inferred(store: Store) -> set[Triple]:
    return {(s, p, o) for s, p, o, _ in store.quads(graph=INFERRED_GRAPH)}


def recomputed(store: Store, program: LineageProgram) -> set[Triple]:
    """The inferred graph a recompute from scratch gives for the asserted data of ``store`` (in a copy)."""
    with OxigraphStore(path=None) as copy:
        graphs: dict[URIRef, list[Triple]] = {}
        for s, p, o, g in store.quads():
            if g is not None and g not in (INFERRED_GRAPH, ONTOLOGY_GRAPH, PENDING_GRAPH):
                graphs.setdefault(g, []).append((s, p, o))
        copy.replace_graphs(graphs=graphs)
        ReasonedStore(inner=copy, program=program).recompute()
        return inferred(copy)


def chain(first: int, last: int) -> dict[URIRef, list[Triple]]:
    """Pipelines N[i] reading N[i + 1], each in its own graph: upstream closes over the whole chain."""
    return {N[i]: [(N[i], MLKG.readsFrom, N[i + 1])] for i in range(first, last)}


def test_a_write_killed_before_its_inferred_change_is_repaired_when_the_store_is_opened_again(
    store: Store, program: LineageProgram
) -> None:
    ReasonedStore(inner=store, program=program).replace_graphs(graphs=chain(1, 4))
    dying = ReasonedStore(inner=FailingInferredWrite(store, error=Killed()), program=program)  # type: ignore[arg-type]
    with pytest.raises(Killed):
        dying.replace_graphs(graphs=chain(0, 1))  # N0 reads N1: N0 gains N1..N4 upstream
    assert (N[0], MLKG.readsFrom, N[1]) in {(s, p, o) for s, p, o, _ in store.quads(graph=N[0])}
    assert inferred(store) != recomputed(store, program)  # the asserted change is in, its inference is not
    assert store.has_graph(graph=PENDING_GRAPH)

    reopened = ReasonedStore(inner=store, program=program)  # the next process

    assert reopened.repaired is not None
    assert reopened.repaired.inferred_added > 0
    assert inferred(store) == recomputed(store, program)
    assert (N[0], MLKG.upstream, N[4]) in inferred(store)
    assert not store.has_graph(graph=PENDING_GRAPH)
    reopened.delete_graphs(graphs=[N[2]])  # and the repaired state keeps following writes
    assert inferred(store) == recomputed(store, program)


def test_a_process_that_only_reads_repairs_first(memory: Store, program: LineageProgram) -> None:
    dying = ReasonedStore(inner=FailingInferredWrite(memory, error=Killed()), program=program)  # type: ignore[arg-type]
    with pytest.raises(Killed):
        dying.replace_graphs(graphs=chain(0, 3))
    stats = repair_interrupted(store=memory, program=lambda: program)
    assert stats is not None
    assert inferred(memory) == recomputed(memory, program) != set()
    assert not memory.has_graph(graph=PENDING_GRAPH)


def test_with_no_record_opening_reads_once_and_repairs_nothing(
    memory: Store, program: LineageProgram
) -> None:
    def no_program() -> LineageProgram:
        raise AssertionError("the program is built only to repair")

    ReasonedStore(inner=memory, program=program).replace_graphs(graphs=chain(0, 3))
    assert repair_interrupted(store=memory, program=no_program) is None
    assert ReasonedStore(inner=memory, program=program).repaired is None


class ReadOnly:
    """Passes reads to ``inner``; any write fails the test."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        writes = ("replace_graphs", "load_graph", "change_graph", "delete_graphs", "update")
        if name in writes or name in ("load_graph_ntriples", "change_graph_ntriples"):

            def write(**_: Any) -> None:
                raise AssertionError(f"{name} called on a store opened only to read")

            return write
        return getattr(self.inner, name)


def test_opening_a_sound_store_and_building_the_state_writes_nothing(
    memory: Store, program: LineageProgram
) -> None:
    ReasonedStore(inner=memory, program=program).replace_graphs(graphs=chain(0, 3))
    reopened = ReasonedStore(inner=ReadOnly(memory), program=program)  # type: ignore[arg-type]
    reopened.ensure_state()  # what mlkg serve does before serving: fine on a read-only engine
    assert reopened.repaired is None
    assert repair_interrupted(store=ReadOnly(memory), program=lambda: program) is None  # type: ignore[arg-type]


def test_every_kind_of_write_leaves_no_record(store: Store, program: LineageProgram) -> None:
    reasoned = ReasonedStore(inner=store, program=program)
    reasoned.ensure_state()
    reasoned.replace_graphs(graphs=chain(0, 3))
    reasoned.change_graph(graph=N[0], delete=[], insert=[(N[0], MLKG.readsFrom, N[4])])
    reasoned.load_graph(graph=N[5], triples=[(N[5], MLKG.readsFrom, N[0])])
    reasoned.delete_graphs(graphs=[N[1]])
    reasoned.update(update=f"INSERT DATA {{ GRAPH <{N[1]}> {{ <{N[1]}> <{MLKG.readsFrom}> <{N[3]}> }} }}")
    reasoned.update(update=f"DELETE WHERE {{ GRAPH ?g {{ ?s <{MLKG.readsFrom}> <{N[4]}> }} }}")
    reasoned.recompute()
    assert not store.has_graph(graph=PENDING_GRAPH)
    assert PENDING_GRAPH not in store.graph_names()
    assert inferred(store) == recomputed(store, program)
    assert ReasonedStore(inner=store, program=program).repaired is None


def test_a_write_the_store_refuses_drops_its_record(memory: Store, program: LineageProgram) -> None:
    reasoned = ReasonedStore(inner=memory, program=program)
    reasoned.replace_graphs(graphs=chain(0, 2))
    with pytest.raises(QueryError):
        reasoned.update(update="INSERT DATA { GRAPH <http://example.org/g> { <a> <b> }")
    with pytest.raises(InputError):
        reasoned.replace_graphs(
            graphs={URIRef("http://example.org/not an iri"): [(N[0], MLKG.readsFrom, N[1])]}
        )
    assert not memory.has_graph(graph=PENDING_GRAPH)
    assert not reasoned.reasoner.stale  # nothing was written: no recompute needed either


def test_a_failed_inferred_write_is_repaired_by_the_next_write(
    memory: Store, program: LineageProgram
) -> None:
    failing = FailingInferredWrite(memory, error=StoreError("disk full"), failures=0)
    reasoned = ReasonedStore(inner=failing, program=program)  # type: ignore[arg-type]
    reasoned.replace_graphs(graphs=chain(1, 3))
    failing.failures = 1
    with pytest.raises(StoreError):
        reasoned.replace_graphs(graphs=chain(0, 1))
    assert memory.has_graph(graph=PENDING_GRAPH)  # the process may still die before the next write
    reasoned.replace_graphs(graphs={N[5]: [(N[5], MLKG.readsFrom, N[0])]})
    assert inferred(memory) == recomputed(memory, program)
    assert not memory.has_graph(graph=PENDING_GRAPH)


class FailingBulkLoad:
    """Passes everything to ``inner``, but ``load_graph`` writes one triple and then fails, as a bulk load
    (not one transaction) may."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner

    def load_graph(self, *, graph: URIRef, triples: Iterable[Triple]) -> int:
        self.inner.change_graph(graph=graph, delete=[], insert=list(triples)[:1])
        raise StoreError("the disk failed half-way")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_partial_bulk_load_keeps_the_record(memory: Store, program: LineageProgram) -> None:
    reasoned = ReasonedStore(inner=FailingBulkLoad(memory), program=program)  # type: ignore[arg-type]
    reasoned.replace_graphs(graphs=chain(1, 3))
    with pytest.raises(StoreError):
        reasoned.load_graph(graph=N[0], triples=[(N[0], MLKG.readsFrom, N[1]), (N[0], MLKG.readsFrom, N[5])])
    assert memory.has_graph(graph=PENDING_GRAPH)  # part of the graph may be written: the next open repairs
    assert ReasonedStore(inner=memory, program=program).repaired is not None
    assert inferred(memory) == recomputed(memory, program)


def test_the_pending_graph_cannot_be_written(memory: Store, program: LineageProgram) -> None:
    reasoned = ReasonedStore(inner=memory, program=program)
    with pytest.raises(InputError, match="maintained by mlkg"):
        reasoned.replace_graphs(graphs={PENDING_GRAPH: [(N[0], MLKG.readsFrom, N[1])]})
    with pytest.raises(InputError, match="maintained by mlkg"):
        reasoned.update(update=f"DROP GRAPH <{PENDING_GRAPH}>")
