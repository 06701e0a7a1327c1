"""The lineage reasoner: exactly the lineage triples OWL 2 RL entails, written to the inferred graph.

``Reasoner.recompute()`` reads the asserted lineage triples and class memberships from the store, computes
every entailed lineage triple (see :mod:`mlkg.reasoning.program` for the rules) and replaces the inferred
graph (:data:`mlkg.vocab.INFERRED_GRAPH`) with those that are not asserted. ``Reasoner.apply()`` takes the
triples a write removed and added and updates the inferred graph incrementally, writing only the difference;
it gives the same graph as a recompute (tested with hypothesis).

The state is kept in memory (``LineageState`` and the closure sets), built on first use by reading the store.
It is only valid while every write to the store goes through the reasoner (:class:`ReasonedStore`); a raw
SPARQL Update cannot be diffed, so :class:`ReasonedStore` recomputes after one.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from rdflib import RDF, BNode, URIRef

from mlkg.reasoning.closure import predecessors, reach_sets
from mlkg.reasoning.program import LineageProgram
from mlkg.reasoning.state import LineageState
from mlkg.store.base import Store, Term, Triple
from mlkg.vocab import INFERRED_GRAPH, ONTOLOGY_GRAPH

__all__ = ["ReasonStats", "Reasoner"]

_SKIPPED_GRAPHS = frozenset({INFERRED_GRAPH, ONTOLOGY_GRAPH})


@dataclass(frozen=True)
class ReasonStats:
    """What one reasoning step did."""

    asserted: int
    inferred_added: int
    inferred_removed: int
    seconds: float


class Reasoner:
    """Maintains the inferred lineage graph of one store."""

    def __init__(self, *, store: Store, program: LineageProgram) -> None:
        self.store = store
        self.program = program
        self._state: LineageState | None = None
        self._reach: dict[int, dict[int, frozenset[int]]] = {}
        self._emitted: set[tuple[int, URIRef, int | URIRef]] = set()
        #: Set when an update failed half-way: the stored inferred graph can no longer be trusted.
        self._stale = False

    # -- full recompute ------------------------------------------------------------------------------------

    def recompute(self) -> ReasonStats:
        """Drop the inferred graph and compute it again from the asserted triples (``mlkg reason``).

        :raises StoreError: if the store fails.
        """
        started = time.perf_counter()
        asserted = self._build()
        self._stale = False
        written = self.store.load_graph(graph=INFERRED_GRAPH, triples=self._all_inferred())
        return ReasonStats(
            asserted=asserted,
            inferred_added=written,
            inferred_removed=0,
            seconds=time.perf_counter() - started,
        )

    def ensure_state(self) -> None:
        """Build the in-memory state from the store before a write, if not built yet.

        The stored inferred graph is trusted to match the asserted data (every write through mlkg keeps it so;
        ``mlkg reason`` repairs it otherwise), so a process that opens a large store and writes one document
        pays for reading and computing, not for rewriting the whole inferred graph. If the store has asserted
        lineage but no inferred graph at all (data written around the reasoner), it is written in full.
        """
        if self._state is not None:
            return
        if self._stale:
            self.recompute()
            self._stale = False
            return
        self._build()
        if not self.store.has_graph(graph=INFERRED_GRAPH) and (self._emitted or any(self._reach.values())):
            self.store.load_graph(graph=INFERRED_GRAPH, triples=self._all_inferred())

    def _build(self) -> int:
        """Read the asserted lineage triples, compute the state and closures; return how many were read."""
        state = LineageState(program=self.program)
        asserted = 0
        for s, p, o in self._asserted_triples():
            state.add_triple(s, p, o, sign=1)
            asserted += 1
        touched, _ = state.take_touched()
        self._emitted = {key for key in touched if state.inferred_small(key)}
        self._reach = {}
        for rel in self.program.closed:
            succ = state.fwd[rel]
            self._reach[rel] = reach_sets(nodes=list(succ), succ=succ)
        self._state = state
        return asserted

    def _asserted_triples(self) -> Iterator[Triple]:
        for prop in sorted(self.program.properties | {RDF.type}):
            for s, p, o, g in self.store.quads(predicate=prop):
                if g in _SKIPPED_GRAPHS:
                    continue
                if p == RDF.type and o not in self.program.superclasses:
                    continue
                yield (s, p, o)

    def _all_inferred(self) -> Iterator[Triple]:
        self._require_state()
        for key in self._emitted:
            triple = self._triple(key)
            if triple is not None:
                yield triple
        for rel, reach in self._reach.items():
            for node, targets in reach.items():
                yield from self._closure_triples(rel, node, targets)

    # -- incremental update --------------------------------------------------------------------------------

    def apply(self, *, removed: Iterable[Triple], added: Iterable[Triple]) -> ReasonStats:
        """Update the inferred graph after a write that removed and added these asserted triples (one entry
        per graph copy: a triple stated in two graphs and removed from one is still asserted).

        :raises StoreError: if the store fails. The in-memory state is then dropped and marked stale, so the
            next write through this reasoner recomputes the inferred graph in full instead of trusting it.
        """
        started = time.perf_counter()
        if self._state is None:
            stats = self.recompute()
            return ReasonStats(stats.asserted, stats.inferred_added, 0, time.perf_counter() - started)
        try:
            return self._apply(self._state, removed=removed, added=added, started=started)
        except BaseException:
            self._state = None
            self._stale = True
            raise

    def _apply(
        self, state: LineageState, *, removed: Iterable[Triple], added: Iterable[Triple], started: float
    ) -> ReasonStats:
        count = 0
        for s, p, o in removed:
            state.add_triple(s, p, o, sign=-1)
            count += 1
        for s, p, o in added:
            state.add_triple(s, p, o, sign=1)
            count += 1
        touched, closed_touched = state.take_touched()
        insert: list[Triple] = []
        delete: list[Triple] = []
        for key in touched:
            now = state.inferred_small(key)
            before = key in self._emitted
            if now == before:
                continue
            triple = self._triple(key)
            if now:
                self._emitted.add(key)
                if triple is not None:
                    insert.append(triple)
            else:
                self._emitted.discard(key)
                if triple is not None:
                    delete.append(triple)
        for rel in self.program.closed:
            sources = {pair[0] for r, pair in closed_touched if r == rel}
            if sources:
                self._update_closure(rel, sources, insert, delete)
        self.store.change_graph(graph=INFERRED_GRAPH, delete=delete, insert=insert)
        return ReasonStats(
            asserted=count,
            inferred_added=len(insert),
            inferred_removed=len(delete),
            seconds=time.perf_counter() - started,
        )

    def _update_closure(
        self, rel: int, sources: set[int], insert: list[Triple], delete: list[Triple]
    ) -> None:
        state = self._require_state()
        old_reach = self._reach.setdefault(rel, {})
        affected = predecessors(start=sources, pred=state.bwd[rel])
        fresh = reach_sets(nodes=affected, succ=state.fwd[rel], known=old_reach, within=affected)
        empty: frozenset[int] = frozenset()
        for node in affected:
            before = old_reach.get(node, empty)
            after = fresh.get(node, empty)
            if before == after:
                continue
            insert.extend(self._closure_triples(rel, node, after - before))
            delete.extend(self._closure_triples(rel, node, before - after))
            if after:
                old_reach[node] = after
            else:
                old_reach.pop(node, None)

    # -- helpers -------------------------------------------------------------------------------------------

    def _require_state(self) -> LineageState:
        if self._state is None:
            self.recompute()
        assert self._state is not None
        return self._state

    def _closure_triples(self, rel: int, node: int, targets: Iterable[int]) -> Iterator[Triple]:
        """The triples of each member property of closed relation ``rel`` for pairs (node, target)."""
        state = self._state
        assert state is not None
        subject = state.terms[node]
        if not isinstance(subject, URIRef):
            return
        orientation = state.orientation(rel)
        members = self.program.members[rel]
        for target in targets:
            obj = state.terms[target]
            if not isinstance(obj, URIRef):
                continue
            for prop, direction in members:
                if direction * orientation == 1:
                    yield (subject, prop, obj)
                else:
                    yield (obj, prop, subject)

    def _triple(self, key: tuple[int, URIRef, int | URIRef]) -> Triple | None:
        state = self._state
        assert state is not None
        s, p, o = key
        subject = state.terms[s]
        obj: Term = o if isinstance(o, URIRef) else state.terms[o]
        if isinstance(subject, BNode) or not isinstance(subject, URIRef) or not isinstance(obj, URIRef):
            return None
        return (subject, p, obj)
