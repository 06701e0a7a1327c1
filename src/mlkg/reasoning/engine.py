"""The lineage reasoner: exactly the lineage triples OWL 2 RL entails, written to the inferred graph.

``Reasoner.recompute()`` reads the asserted lineage triples and class memberships from the store, computes
every entailed lineage triple (see :mod:`mlkg.reasoning.program` for the rules) and makes the inferred graph
(:data:`mlkg.vocab.INFERRED_GRAPH`) hold exactly those that are not asserted, writing only the difference from
the stored one when it can (:mod:`mlkg.reasoning.rewrite`). ``Reasoner.apply()`` takes the
triples a write removed and added and updates the inferred graph incrementally, writing only the difference;
it gives the same graph as a recompute (tested with hypothesis).

The state is kept in memory (``LineageState`` and the closure sets), built on first use by reading the store.
It is only valid while every write to the store goes through the reasoner (:class:`ReasonedStore`); after a
raw SPARQL Update, whose changes are not known, ``Reasoner.resync()`` reads the asserted lineage triples again
and applies their difference from the state.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from rdflib import RDF, URIRef

from mlkg.ntriples import term_nt
from mlkg.reasoning.closure import predecessors, reach_sets
from mlkg.reasoning.program import LineageProgram
from mlkg.reasoning.rewrite import Expected, rewrite_graph
from mlkg.reasoning.state import LineageState
from mlkg.store.base import BulkAppend, BulkTriples, GraphSync, Store, Triple
from mlkg.vocab import INFERRED_GRAPH, ONTOLOGY_GRAPH, PENDING_GRAPH

__all__ = ["ReasonStats", "Reasoner"]

_SKIPPED_GRAPHS = frozenset({INFERRED_GRAPH, ONTOLOGY_GRAPH, PENDING_GRAPH})

#: Inferred triples added by one write from which a backend's non-transactional bulk append is used (a batch
#: of a large load); fewer go through one ``change_graph`` transaction, so single-document writes stay atomic
#: and do not add a file to the store per write.
BULK_APPEND = 10_000


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

    @property
    def stale(self) -> bool:
        """True if the stored inferred graph may not match the asserted data: the next write recomputes it."""
        return self._stale

    def invalidate(self) -> None:
        """Forget the in-memory state and distrust the stored inferred graph, after a write failed somewhere
        the reasoner could not see (its state may no longer describe the store): the next write recomputes."""
        self._state = None
        self._stale = True

    # -- full recompute ------------------------------------------------------------------------------------

    def recompute(self) -> ReasonStats:
        """Compute the inferred graph again from the asserted triples (``mlkg reason``) and make the stored
        one exactly that. On a store with the bulk path (the embedded one) only the difference from the stored
        inferred graph is written when that is cheaper (:mod:`mlkg.reasoning.rewrite`); a store that syncs a
        graph itself (:class:`~mlkg.store.base.GraphSync`, the remote one) sends only the difference. The
        stats count the triples added and removed; on any other store every triple written counts as added.

        :raises StoreError: if the store fails.
        """
        started = time.perf_counter()
        asserted = self._build()
        self._stale = False
        added, removed = self._write_all_or_invalidate()
        return ReasonStats(
            asserted=asserted,
            inferred_added=added,
            inferred_removed=removed,
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
            self._write_all_or_invalidate()

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

    def _asserted_triples(self) -> Iterator[tuple[str, URIRef, str]]:
        """Every asserted lineage triple and class membership, once per graph holding it, nodes as N-Triples
        text: through the store's bulk path when it has one, else through :meth:`Store.quads`."""
        store = self.store
        classes = {term_nt(c) for c in self.program.superclasses}
        for prop in sorted(self.program.properties | {RDF.type}):
            if isinstance(store, BulkTriples):
                for s, o in store.pairs_ntriples(predicate=prop, exclude_graphs=_SKIPPED_GRAPHS):
                    if prop != RDF.type or o in classes:
                        yield s, prop, o
                continue
            for s, p, o, g in store.quads(predicate=prop):
                if g in _SKIPPED_GRAPHS:
                    continue
                if p == RDF.type and o not in self.program.superclasses:
                    continue
                yield term_nt(s), p, term_nt(o)

    def _write_all_or_invalidate(self) -> tuple[int, int]:
        """:meth:`_write_all`; if it fails, the inferred graph may be partial: :meth:`invalidate`."""
        try:
            return self._write_all()
        except BaseException:
            self.invalidate()
            raise

    def _write_all(self) -> tuple[int, int]:
        """Make the inferred graph hold every inferred triple; return how many were added and removed."""
        store = self.store
        if isinstance(store, BulkTriples):
            state = self._require_state()
            expected = Expected(program=self.program, state=state, emitted=self._emitted, reach=self._reach)
            done = rewrite_graph(
                store=store,
                stored=store.has_graph(graph=INFERRED_GRAPH),
                graph=INFERRED_GRAPH,
                expected=expected,
                lines=self._inferred_text,
            )
            return done.added, done.removed
        if isinstance(store, GraphSync):
            return store.sync_graph(graph=INFERRED_GRAPH, triples=self._all_inferred())
        return store.load_graph(graph=INFERRED_GRAPH, triples=self._all_inferred()), 0

    def _inferred_text(self) -> Iterator[str]:
        """Every inferred triple as N-Triples lines, a few lines per item.

        The hot loop of a full recompute: each node's text is built once (it is its key), and the lines of
        one node's closure are made by one join, so no rdflib term is created (about 7 inferred triples per
        asserted one, 6.9M at 1M).
        """
        state = self._require_state()
        terms = state.terms
        lines = []
        for s, p, o in self._emitted:
            subject = terms[s]
            obj = f"<{o}>" if isinstance(o, URIRef) else terms[o]
            if subject[0] == "<" and obj[0] == "<":
                lines.append(f"{subject} <{p}> {obj} .\n")
        yield "".join(lines)
        for rel, reach in self._reach.items():
            orientation = state.orientation(rel)
            forward = [f" <{p}> " for p, d in self.program.members[rel] if d * orientation == 1]
            backward = [f" <{p}> " for p, d in self.program.members[rel] if d * orientation != 1]
            for node, targets in reach.items():
                subject = terms[node]
                if subject[0] != "<":
                    continue
                objects = [obj for obj in map(terms.__getitem__, targets) if obj[0] == "<"]
                if not objects:
                    continue
                for pred in forward:
                    head = subject + pred
                    yield head + (" .\n" + head).join(objects) + " .\n"
                for pred in backward:
                    tail = pred + subject + " .\n"
                    yield tail.join(objects) + tail

    def _all_inferred(self) -> Iterator[Triple]:
        """Every inferred triple, as rdflib terms (the :class:`Store` path for backends without bulk text)."""
        for chunk in self._inferred_text():
            for line in chunk.splitlines():
                s, p, o, _ = line.split(" ")
                yield URIRef(s[1:-1]), URIRef(p[1:-1]), URIRef(o[1:-1])

    # -- incremental update --------------------------------------------------------------------------------

    def apply(self, *, removed: Iterable[Triple], added: Iterable[Triple]) -> ReasonStats:
        """Update the inferred graph after a write that removed and added these asserted triples (one entry
        per graph copy: a triple stated in two graphs and removed from one is still asserted).

        :raises StoreError: if the store fails. The in-memory state is then dropped and marked stale, so the
            next write through this reasoner recomputes the inferred graph in full instead of trusting it.
        """

        def changes() -> Iterator[tuple[str, URIRef, str, int]]:
            for s, p, o in removed:
                yield term_nt(s), p, term_nt(o), -1
            for s, p, o in added:
                yield term_nt(s), p, term_nt(o), 1

        return self._guarded(changes)

    def resync(self) -> ReasonStats:
        """Update the inferred graph after writes this reasoner was not told about (a raw SPARQL Update):
        read the asserted lineage triples and class memberships again (only the predicates the program uses,
        once per graph holding them), diff them against the state, and apply the difference as
        :meth:`apply` does. Reading is much cheaper than a recompute, which rewrites the whole inferred graph.

        The state must describe the store as it was before those writes (call :meth:`ensure_state` before
        them); without a state this recomputes.

        :raises StoreError: as :meth:`apply`.
        """
        return self._guarded(self._asserted_difference)

    def _asserted_difference(self) -> Iterator[tuple[str, URIRef, str, int]]:
        """The asserted triples (N-Triples keys) whose number of graph copies differs between the store and
        the state, with the signed difference."""
        state = self._require_state()
        now: Counter[tuple[str, URIRef, str]] = Counter()
        for s, p, o in self._asserted_triples():
            now[(s, p, o)] += 1
        terms = state.terms
        known: Counter[tuple[str, URIRef, str]] = Counter()
        for (p, s_id, o_id), copies in state.asserted.items():
            known[(terms[s_id], p, terms[o_id])] = copies
        for (node, cls), copies in state.asserted_types.items():
            known[(terms[node], RDF.type, f"<{cls}>")] = copies
        for key in now.keys() | known.keys():
            delta = now[key] - known[key]
            s, p, o = key
            for _ in range(abs(delta)):
                yield s, p, o, 1 if delta > 0 else -1

    def _guarded(self, changes: Callable[[], Iterable[tuple[str, URIRef, str, int]]]) -> ReasonStats:
        started = time.perf_counter()
        if self._state is None:
            stats = self.recompute()
            return ReasonStats(
                stats.asserted, stats.inferred_added, stats.inferred_removed, time.perf_counter() - started
            )
        try:
            return self._apply(self._state, changes=changes(), started=started)
        except BaseException:
            self._state = None
            self._stale = True
            raise

    def _apply(
        self, state: LineageState, *, changes: Iterable[tuple[str, URIRef, str, int]], started: float
    ) -> ReasonStats:
        count = 0
        for s, p, o, sign in changes:
            state.add_triple(s, p, o, sign=sign)
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
        if not delete and len(insert) >= BULK_APPEND and isinstance(self.store, BulkAppend):
            self.store.append_graph(graph=INFERRED_GRAPH, triples=insert)  # a large load's additions
        else:
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
        subject = _iri(state.terms[node])
        if subject is None:
            return
        orientation = state.orientation(rel)
        members = self.program.members[rel]
        for target in targets:
            obj = _iri(state.terms[target])
            if obj is None:
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
        subject = _iri(state.terms[s])
        obj = o if isinstance(o, URIRef) else _iri(state.terms[o])
        if subject is None or obj is None:
            return None
        return (subject, p, obj)


def _iri(key: str) -> URIRef | None:
    """The IRI a node key names, or None for a blank node or a literal (never written as inferred)."""
    return URIRef(key[1:-1]) if key[0] == "<" else None
