"""The in-memory lineage state: the entailed extension of every lineage relation, maintained by counting.

Inputs are the asserted lineage triples and asserted class memberships. Nodes are named by their N-Triples
text (:func:`mlkg.ntriples.term_nt`: ``<iri>``, ``_:label``, or a literal), so the reasoner can read
and write the store in bulk without building an rdflib term per node; each is interned once as an ``int``.

Each *atomic support* (a distinct asserted triple, or one instance of a property chain) adds one to the count
of its pair in its relation and in every relation that relation flows into by sub-property (prp-spo1,
prp-inv1/2, prp-eqp1/2), so a pair is entailed exactly while its count is positive. Property chains (prp-spo2)
are evaluated tuple at a time when a step relation gains or loses a pair, which keeps counts exact for the
non-recursive rules the program allows. Closed (transitive, prp-trp) relations keep only their *base* pairs
here; :mod:`mlkg.reasoning.closure` computes the transitive closure over them. Class memberships (prp-dom,
prp-rng, cax-sco) are counted the same way.

Every triple whose inferred status may have changed is recorded in :attr:`LineageState.touched`, so the
caller can write exactly the difference to the inferred graph.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TypeVar

from rdflib import RDF, URIRef

from mlkg.reasoning.program import Chain, LineageProgram
from mlkg.vocab import MLKG

__all__ = ["LineageState"]

Pair = tuple[int, int]
K = TypeVar("K")


def _bump(counts: dict[K, int], key: K, sign: int) -> tuple[int, int]:
    """Add ``sign`` to ``counts[key]`` (dropping the key at zero); return the count before and after."""
    before = counts.get(key, 0)
    after = before + sign
    if after:
        counts[key] = after
    else:
        counts.pop(key, None)
    return before, after


class LineageState:
    """Counts of supports for every lineage relation, over interned node ids."""

    def __init__(self, *, program: LineageProgram) -> None:
        self.program = program
        self.ids: dict[str, int] = {}
        #: The N-Triples text of each node id.
        self.terms: list[str] = []
        #: Classes by their N-Triples text (only classes of the ontology have superclasses to add).
        self.classes: dict[str, URIRef] = {f"<{c}>": c for c in program.superclasses}
        relations = len(program.members)
        self.count: list[dict[Pair, int]] = [{} for _ in range(relations)]
        self.fwd: list[defaultdict[int, set[int]]] = [defaultdict(set) for _ in range(relations)]
        self.bwd: list[defaultdict[int, set[int]]] = [defaultdict(set) for _ in range(relations)]
        self.asserted: dict[tuple[URIRef, int, int], int] = {}
        self.type_count: dict[tuple[int, URIRef], int] = {}
        self.asserted_types: dict[tuple[int, URIRef], int] = {}
        #: Closed relations' base pairs whose presence may have changed since :meth:`take_touched`.
        self.closed_touched: set[tuple[int, Pair]] = set()
        #: Small-relation and type triples whose inferred status may have changed since :meth:`take_touched`.
        self.touched: set[tuple[int, URIRef, int | URIRef]] = set()
        self._orientation = {rel: self._closed_orientation(rel) for rel in program.closed}

    # -- node ids ---------------------------------------------------------------------------------------

    def node(self, key: str) -> int:
        found = self.ids.get(key)
        if found is None:
            found = self.ids[key] = len(self.terms)
            self.terms.append(key)
        return found

    def _closed_orientation(self, rel: int) -> int:
        """Closed relations are kept so that ``mlkg:upstream`` reads forwards when it is a member: the
        incremental update then recomputes the (usually few) assets downstream of a changed edge."""
        for prop, direction in self.program.members[rel]:
            if prop == MLKG.upstream:
                return direction
        return 1

    # -- asserted input ----------------------------------------------------------------------------------

    def add_triple(self, s: str, p: URIRef, o: str, *, sign: int) -> None:
        """Add (``sign=1``) or remove (``sign=-1``) one asserted occurrence of a triple (one graph's copy);
        ``s`` and ``o`` are N-Triples text."""
        if p == RDF.type:
            cls = self.classes.get(o)
            if cls is not None:
                self._asserted_type(self.node(s), cls, sign)
            return
        relation = self.program.relation_of.get(p)
        if relation is None:
            return
        key = (p, self.node(s), self.node(o))
        before, after = _bump(self.asserted, key, sign)
        if before == 0 or after == 0:
            self.touched.add((key[1], p, key[2]))  # an asserted triple is not an inferred one
            rel, direction = relation
            pair = (key[1], key[2]) if direction == 1 else (key[2], key[1])
            self._support(rel, pair, sign)

    def _asserted_type(self, node: int, cls: URIRef, sign: int) -> None:
        key = (node, cls)
        before, after = _bump(self.asserted_types, key, sign)
        if before == 0 or after == 0:
            self.touched.add((node, RDF.type, cls))
            for sup in self.program.superclasses[cls]:
                self._type_support(node, sup, sign)

    # -- support propagation -----------------------------------------------------------------------------

    def _support(self, rel: int, pair: Pair, sign: int) -> None:
        """One atomic support of ``pair`` in relation ``rel`` appears or disappears."""
        for target, direction in self.program.supers[rel]:
            oriented = pair if direction == 1 else (pair[1], pair[0])
            if target in self.program.closed:
                self._closed_support(target, oriented, sign)
            else:
                self._small_support(target, oriented, sign)

    def _closed_support(self, rel: int, pair: Pair, sign: int) -> None:
        if self._orientation[rel] == -1:
            pair = (pair[1], pair[0])
        counts = self.count[rel]
        before, after = _bump(counts, pair, sign)
        if before == 0 or after == 0:
            if sign > 0:
                self.fwd[rel][pair[0]].add(pair[1])
                self.bwd[rel][pair[1]].add(pair[0])
            else:
                self._discard(rel, pair)
            self.closed_touched.add((rel, pair))

    def _small_support(self, rel: int, pair: Pair, sign: int) -> None:
        counts = self.count[rel]
        before, after = _bump(counts, pair, sign)
        if before and after:
            return
        if sign > 0:
            self.fwd[rel][pair[0]].add(pair[1])
            self.bwd[rel][pair[1]].add(pair[0])
        for prop, direction in self.program.members[rel]:
            s, o = pair if direction == 1 else (pair[1], pair[0])
            self.touched.add((s, prop, o))
            for cls in self.program.domains.get(prop, ()):
                for sup in self.program.superclasses.get(cls, (cls,)):
                    self._type_support(s, sup, sign)
            for cls in self.program.ranges.get(prop, ()):
                for sup in self.program.superclasses.get(cls, (cls,)):
                    self._type_support(o, sup, sign)
        for chain, index in self.program.chains_by_step.get(rel, ()):
            for start, end, paths in self._chain_instances(chain, index, pair):
                target = (start, end) if chain.target_dir == 1 else (end, start)
                for _ in range(paths):
                    self._support(chain.target, target, sign)
        if sign < 0:
            self._discard(rel, pair)

    def _discard(self, rel: int, pair: Pair) -> None:
        succ = self.fwd[rel].get(pair[0])
        if succ is not None:
            succ.discard(pair[1])
            if not succ:
                del self.fwd[rel][pair[0]]
        pred = self.bwd[rel].get(pair[1])
        if pred is not None:
            pred.discard(pair[0])
            if not pred:
                del self.bwd[rel][pair[1]]

    def _chain_instances(self, chain: Chain, index: int, pair: Pair) -> Iterable[tuple[int, int, int]]:
        """Paths through ``pair`` at step ``index`` of ``chain``: ``(start, end, number of paths)``.

        When the changed relation occurs at several steps, a path is counted at the first step holding the
        changed pair only: earlier steps of that relation may not use the pair again. So each path through the
        pair is counted once on insertion and once on deletion, whatever the order of the changes.
        """
        step_rel, step_dir = chain.steps[index]
        u, v = pair if step_dir == 1 else (pair[1], pair[0])
        left: dict[int, int] = {u: 1}
        for rel, direction in reversed(chain.steps[:index]):
            nxt: dict[int, int] = defaultdict(int)
            table = self.bwd[rel] if direction == 1 else self.fwd[rel]
            for node, paths in left.items():
                for prev in table.get(node, ()):
                    edge = (prev, node) if direction == 1 else (node, prev)
                    if rel == step_rel and edge == pair:
                        continue
                    nxt[prev] += paths
            left = nxt
            if not left:
                return []
        right: dict[int, int] = {v: 1}
        for rel, direction in chain.steps[index + 1 :]:
            nxt = defaultdict(int)
            table = self.fwd[rel] if direction == 1 else self.bwd[rel]
            for node, paths in right.items():
                for after in table.get(node, ()):
                    nxt[after] += paths
            right = nxt
            if not right:
                return []
        return [(a, b, pa * pb) for a, pa in left.items() for b, pb in right.items()]

    def _type_support(self, node: int, cls: URIRef, sign: int) -> None:
        key = (node, cls)
        before, after = _bump(self.type_count, key, sign)
        if before == 0 or after == 0:
            self.touched.add((node, RDF.type, cls))

    # -- reading the state ---------------------------------------------------------------------------------

    def inferred_small(self, key: tuple[int, URIRef, int | URIRef]) -> bool:
        """True if the small-relation or type triple ``key`` is entailed and not asserted."""
        s, p, o = key
        if p == RDF.type:
            assert isinstance(o, URIRef)
            return (s, o) in self.type_count and (s, o) not in self.asserted_types
        assert isinstance(o, int)
        rel, direction = self.program.relation_of[p]
        pair = (s, o) if direction == 1 else (o, s)
        return pair in self.count[rel] and (p, s, o) not in self.asserted

    def take_touched(self) -> tuple[set[tuple[int, URIRef, int | URIRef]], set[tuple[int, Pair]]]:
        """The triples and closed base pairs touched since the last call, and reset them."""
        touched, closed = self.touched, self.closed_touched
        self.touched, self.closed_touched = set(), set()
        return touched, closed

    def orientation(self, rel: int) -> int:
        return self._orientation[rel]
