"""The lineage rules, read from the ontology: which OWL 2 RL rules apply to which properties.

Nothing here names a lineage property: the program is derived from the ontology's axioms, so adding a new
direct lineage property as ``rdfs:subPropertyOf mlkg:upstream`` (or as the ``owl:inverseOf`` of one) is enough
for the reasoner to use it. The OWL 2 RL/RDF rules covered (OWL 2 Profiles, section 4.3, tables 5, 6 and 9):

- prp-spo1 (``rdfs:subPropertyOf``), prp-eqp1/2 (``owl:equivalentProperty``), prp-inv1/2 (``owl:inverseOf``),
  prp-spo2 (``owl:propertyChainAxiom``) and prp-trp (``owl:TransitiveProperty``) for the lineage properties;
- prp-dom / prp-rng (``rdfs:domain`` / ``rdfs:range`` of lineage properties) and cax-sco
  (``rdfs:subClassOf``, with cax-eqc for ``owl:equivalentClass``) for the class memberships they imply.

Properties are grouped into *relations*: a property and the inverse of its ``owl:inverseOf`` partner have the
same extension, read in opposite directions, and so do equivalent properties, so each group is computed once.
A relation is *closed* if it is (the inverse of) a transitive property: its extension is the transitive
closure of what flows into it. The other relations are *small*: their extensions grow linearly with the data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import rdflib
from rdflib import OWL, RDF, RDFS, URIRef
from rdflib.collection import Collection

from mlkg.errors import ReasoningError
from mlkg.reasoning.kinds import EntityKinds
from mlkg.vocab import MLKG

__all__ = ["Chain", "LineageProgram", "Oriented"]

#: A property read forwards (+1) or backwards (-1).
Oriented = tuple[URIRef, int]


@dataclass(frozen=True)
class Chain:
    """``target owl:propertyChainAxiom (steps...)``, steps as relation ids with a direction."""

    target: int
    target_dir: int
    steps: tuple[tuple[int, int], ...]


@dataclass
class LineageProgram:
    """The compiled lineage rules.

    ``relation_of[p] = (r, d)``: property ``p`` read in direction ``d`` is relation ``r`` read forwards.
    ``supers[r]``: the relations (with direction) that relation ``r`` flows into by sub-property, reflexive
    and transitive. ``closed``: the relation ids that are transitive closures. ``upstream``: the relation
    holding ``mlkg:upstream`` read forwards.
    """

    properties: frozenset[URIRef]
    relation_of: dict[URIRef, tuple[int, int]]
    members: list[list[tuple[URIRef, int]]]
    supers: list[list[tuple[int, int]]]
    chains: list[Chain]
    chains_by_step: dict[int, list[tuple[Chain, int]]]
    closed: frozenset[int]
    closed_sources: dict[int, list[tuple[int, int]]]
    domains: dict[URIRef, frozenset[URIRef]]
    ranges: dict[URIRef, frozenset[URIRef]]
    superclasses: dict[URIRef, frozenset[URIRef]]
    classes: frozenset[URIRef] = field(default_factory=frozenset)
    #: The entity kinds the ontology declares (:mod:`mlkg.reasoning.kinds`), read with the rules so that a
    #: program and its kinds always come from one ontology.
    kinds: EntityKinds = field(default_factory=lambda: EntityKinds(kinds=(), covers={}))

    @classmethod
    def from_ontology(cls, ontology: rdflib.Graph) -> LineageProgram:
        """Compile the lineage rules of ``ontology``.

        :raises ReasoningError: if the ontology uses the transitive property in a way this reasoner does not
            evaluate incrementally (a chain step or a sub-property of it that is itself a lineage input), or
            declares its entity kinds inconsistently (:meth:`EntityKinds.from_ontology`).
        """
        return _compile(ontology)

    def small_relations(self) -> list[int]:
        return [r for r in range(len(self.members)) if r not in self.closed]


class _UnionFind:
    """Union-find over properties that also tracks direction: ``find(p) = (root, d)`` means ``p`` is ``root``
    read in direction ``d``."""

    def __init__(self) -> None:
        self.parent: dict[URIRef, tuple[URIRef, int]] = {}

    def find(self, node: URIRef) -> tuple[URIRef, int]:
        direction = 1
        while node in self.parent:
            node, d = self.parent[node][0], self.parent[node][1] * direction
            direction = d
        return node, direction

    def union(self, a: URIRef, b: URIRef, direction: int) -> None:
        """Record that ``a`` is ``b`` read in ``direction`` (-1 for ``owl:inverseOf``)."""
        ra, da = self.find(a)
        rb, db = self.find(b)
        if ra == rb:
            if da != db * direction:
                raise ReasoningError(f"the ontology makes {a} both equal and inverse to {b}")
            return
        # a = ra read da; b = rb read db; a = b read direction  =>  ra = rb read (da * db * direction).
        self.parent[ra] = (rb, da * db * direction)


def _lineage_properties(ontology: rdflib.Graph) -> set[URIRef]:
    found: set[URIRef] = {MLKG.upstream, MLKG.downstream}
    while True:
        grown = set(found)
        for sub, sup in ontology.subject_objects(RDFS.subPropertyOf):
            if sup in found and isinstance(sub, URIRef):
                grown.add(sub)
        for pred in (OWL.inverseOf, OWL.equivalentProperty):
            for left, right in ontology.subject_objects(pred):
                if (
                    isinstance(left, URIRef)
                    and isinstance(right, URIRef)
                    and (left in found or right in found)
                ):
                    grown.update((left, right))
        for target, head in ontology.subject_objects(OWL.propertyChainAxiom):
            if target in found:
                grown.update(p for p in Collection(ontology, head) if isinstance(p, URIRef))
        if grown == found:
            return found
        found = grown


def _class_closure(ontology: rdflib.Graph) -> dict[URIRef, frozenset[URIRef]]:
    up: dict[URIRef, set[URIRef]] = {}
    for sub, sup in ontology.subject_objects(RDFS.subClassOf):
        if isinstance(sub, URIRef) and isinstance(sup, URIRef):
            up.setdefault(sub, set()).add(sup)
    for left, right in ontology.subject_objects(OWL.equivalentClass):
        if isinstance(left, URIRef) and isinstance(right, URIRef):
            up.setdefault(left, set()).add(right)
            up.setdefault(right, set()).add(left)
    classes = {c for c in ontology.subjects(RDF.type, OWL.Class) if isinstance(c, URIRef)} | set(up)
    closure: dict[URIRef, frozenset[URIRef]] = {}
    for start in classes:
        seen = {start}
        todo = [start]
        while todo:
            for sup in up.get(todo.pop(), ()):
                if sup not in seen:
                    seen.add(sup)
                    todo.append(sup)
        closure[start] = frozenset(seen)
    return closure


def _compile(ontology: rdflib.Graph) -> LineageProgram:
    props = _lineage_properties(ontology)
    uf = _UnionFind()
    for left, right in ontology.subject_objects(OWL.inverseOf):
        if left in props and right in props:
            uf.union(left, right, -1)  # type: ignore[arg-type]
    for left, right in ontology.subject_objects(OWL.equivalentProperty):
        if left in props and right in props:
            uf.union(left, right, 1)  # type: ignore[arg-type]

    roots: dict[URIRef, int] = {}
    relation_of: dict[URIRef, tuple[int, int]] = {}
    members: list[list[tuple[URIRef, int]]] = []
    for prop in sorted(props):
        root, direction = uf.find(prop)
        if root not in roots:
            roots[root] = len(members)
            members.append([])
        rid = roots[root]
        relation_of[prop] = (rid, direction)
        members[rid].append((prop, direction))

    # Sub-property edges between relations, with direction: sub read d1 flows into sup read d2.
    direct: dict[int, set[tuple[int, int]]] = {r: set() for r in range(len(members))}
    for sub, sup in ontology.subject_objects(RDFS.subPropertyOf):
        if sub in props and sup in props:
            rs, ds = relation_of[sub]  # type: ignore[index]
            rp, dp = relation_of[sup]  # type: ignore[index]
            # sub(x,y) => sup(x,y): relation rs read forwards flows into relation rp read ds * dp.
            direct[rs].add((rp, ds * dp))
    supers: list[list[tuple[int, int]]] = []
    for start in range(len(members)):
        seen = {(start, 1)}
        todo = [(start, 1)]
        while todo:
            rel, d = todo.pop()
            for nxt, nd in direct[rel]:
                item = (nxt, d * nd)
                if item not in seen:
                    seen.add(item)
                    todo.append(item)
        if (start, -1) in seen:
            raise ReasoningError("the ontology makes a lineage property a sub-property of its own inverse")
        supers.append(sorted(seen))

    transitive = {p for p in ontology.subjects(RDF.type, OWL.TransitiveProperty) if p in props}
    closed = frozenset(relation_of[p][0] for p in transitive)  # type: ignore[index]

    chains: list[Chain] = []
    for target, head in ontology.subject_objects(OWL.propertyChainAxiom):
        if target not in props:
            continue
        steps = tuple(relation_of[p] for p in Collection(ontology, head))  # type: ignore[index]
        rt, dt = relation_of[target]  # type: ignore[index]
        chains.append(Chain(target=rt, target_dir=dt, steps=steps))
    chains_by_step: dict[int, list[tuple[Chain, int]]] = {}
    for chain in chains:
        for index, (rel, _) in enumerate(chain.steps):
            chains_by_step.setdefault(rel, []).append((chain, index))

    # What flows into each closed relation: small relations (or their inverse) whose supers reach it.
    closed_sources: dict[int, list[tuple[int, int]]] = {r: [] for r in closed}
    for source in range(len(members)):
        for sink, d in supers[source]:
            if sink in closed and source not in closed:
                closed_sources[sink].append((source, d))
    _check_stratified(closed=closed, supers=supers, chains=chains)
    _check_non_recursive(supers=supers, chains=chains)

    def by_property(pred: URIRef) -> dict[URIRef, frozenset[URIRef]]:
        out: dict[URIRef, set[URIRef]] = {}
        for prop, cls in ontology.subject_objects(pred):
            if prop in props and isinstance(cls, URIRef):
                out.setdefault(prop, set()).add(cls)  # type: ignore[arg-type]
        return {k: frozenset(v) for k, v in out.items()}

    superclasses = _class_closure(ontology)
    return LineageProgram(
        properties=frozenset(props),
        relation_of=relation_of,
        members=members,
        supers=supers,
        chains=chains,
        chains_by_step=chains_by_step,
        closed=closed,
        closed_sources=closed_sources,
        domains=by_property(RDFS.domain),
        ranges=by_property(RDFS.range),
        superclasses=superclasses,
        classes=frozenset(c for c in superclasses if str(c).startswith(str(MLKG))),
        kinds=EntityKinds.from_ontology(ontology),
    )


def _check_stratified(
    *, closed: Iterable[int], supers: list[list[tuple[int, int]]], chains: list[Chain]
) -> None:
    """The reasoner computes small relations first, then closures. That is exact as long as nothing small
    depends on a closed relation: no chain step is closed, and no closed relation flows into a small one."""
    closed = set(closed)
    for chain in chains:
        if any(rel in closed for rel, _ in chain.steps):
            raise ReasoningError("a property chain through a transitive lineage property is not supported")
    for rel in closed:
        if any(target not in closed for target, _ in supers[rel]):
            raise ReasoningError(
                "a transitive lineage property may not be a sub-property of a non-transitive one"
            )


def _check_non_recursive(*, supers: list[list[tuple[int, int]]], chains: list[Chain]) -> None:
    """The small relations are maintained by counting supports, which is exact for non-recursive rules only:
    no relation may (through chains and sub-properties) depend on itself."""
    depends: dict[int, set[int]] = {r: set() for r in range(len(supers))}
    for rel, targets in enumerate(supers):
        for target, _ in targets:
            if target != rel:
                depends[target].add(rel)
    for chain in chains:
        depends[chain.target].update(rel for rel, _ in chain.steps)
    state: dict[int, int] = {}

    def visit(node: int) -> None:
        state[node] = 1
        for nxt in depends[node]:
            if state.get(nxt) == 1:
                raise ReasoningError("recursive property chains over lineage properties are not supported")
            if nxt not in state:
                visit(nxt)
        state[node] = 2

    for node in depends:
        if node not in state:
            visit(node)
