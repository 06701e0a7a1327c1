"""Explanations: the shortest path of asserted edges behind an inferred ``mlkg:upstream`` pair.

Each hop is an asserted triple (its subject, predicate, object and the entity graph it came from) that makes
data flow one step. A hop through a property chain conclusion (``tableDerivedFrom`` from column lineage,
``derivedFrom`` through a feature source) is expanded into the asserted triples of the chain, so every hop
of an explanation can be checked against a document. The search is a breadth-first search from the
downstream asset towards the upstream one, pruned to nodes the inferred graph says lie in between.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from rdflib import Literal, URIRef

from mlkg.reasoning.program import Chain, LineageProgram
from mlkg.store.base import Object, Store, Subject
from mlkg.vocab import INFERRED_GRAPH, MLKG, ONTOLOGY_GRAPH

__all__ = ["Hop", "explain", "upstream_signs"]


@dataclass(frozen=True)
class Hop:
    """One asserted triple on an explanation path; data flows from ``source`` to ``target``."""

    subject: Subject
    predicate: URIRef
    object: Object
    graph: URIRef | None
    source: Object
    target: Object
    #: The lineage step this hop belongs to: data flows from ``step_from`` to ``step_to``. For a plain edge
    #: it is the edge itself; the hops of one property-chain instance share the step they prove, and ``chain``
    #: names the chain's property (e.g. ``mlkg:tableDerivedFrom``).
    step_from: URIRef | None = None
    step_to: URIRef | None = None
    chain: URIRef | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {
            "from": str(self.source),
            "to": str(self.target),
            "step_from": str(self.step_from),
            "step_to": str(self.step_to),
            "chain": None if self.chain is None else str(self.chain),
            "subject": str(self.subject),
            "predicate": str(self.predicate),
            "object": str(self.object),
            "graph": None if self.graph is None else str(self.graph),
        }


def upstream_signs(program: LineageProgram) -> dict[URIRef, int]:
    """For each lineage property p: +1 if ``p(a, b)`` makes b upstream of a, -1 if a upstream of b."""
    signs: dict[URIRef, int] = {}
    for prop, (rel, direction) in program.relation_of.items():
        if rel in program.closed:
            continue
        for target, into in program.supers[rel]:
            if target not in program.closed:
                continue
            for member, member_dir in program.members[target]:
                if member == MLKG.upstream:
                    signs[prop] = direction * into * member_dir
    return signs


def explain(
    *, store: Store, program: LineageProgram, downstream: URIRef, upstream: URIRef
) -> list[Hop] | None:
    """The shortest list of asserted hops by which data flows from ``upstream`` to ``downstream``, in flow
    order; None if ``upstream`` is not upstream of ``downstream``; ``[]`` if they are the same node.

    :raises StoreError: if the store fails.
    """
    if downstream == upstream:
        return []
    signs = upstream_signs(program)
    chains = {program.members[c.target][0][0]: c for c in program.chains}

    def between(node: URIRef) -> bool:
        if node == upstream:
            return True
        return any(
            True
            for _ in store.quads(subject=node, predicate=MLKG.upstream, object=upstream, graph=INFERRED_GRAPH)
        )

    def steps(node: URIRef) -> list[tuple[URIRef, list[Hop]]]:
        found: list[tuple[URIRef, list[Hop]]] = []
        for s, p, o, g in store.quads(subject=node):
            if g == ONTOLOGY_GRAPH or p not in signs or not isinstance(o, URIRef) or signs[p] != 1:
                continue
            found.append((o, _hops(store, program, chains, s, p, o, g, source=o, target=node)))
        for s, p, o, g in store.quads(object=node):
            if g == ONTOLOGY_GRAPH or p not in signs or not isinstance(s, URIRef) or signs[p] != -1:
                continue
            found.append((s, _hops(store, program, chains, s, p, o, g, source=s, target=node)))
        return [(n, hops) for n, hops in found if hops]

    parents: dict[URIRef, tuple[URIRef, list[Hop]]] = {}
    queue = deque([downstream])
    seen = {downstream}
    while queue:
        node = queue.popleft()
        for nxt, hops in steps(node):
            if nxt in seen or not between(nxt):
                continue
            seen.add(nxt)
            parents[nxt] = (node, hops)
            if nxt == upstream:
                path: list[Hop] = []
                current = upstream
                while current != downstream:
                    previous, via = parents[current]
                    path.extend(via)
                    current = previous
                return path
            queue.append(nxt)
    return None


def _hops(
    store: Store,
    program: LineageProgram,
    chains: dict[URIRef, Chain],
    s: Subject,
    p: URIRef,
    o: Object,
    g: URIRef | None,
    *,
    source: URIRef,
    target: URIRef,
) -> list[Hop]:
    """The asserted hops for one edge: the edge itself, or (for a chain conclusion found only in the
    inferred graph) the asserted triples of one chain instance."""
    if g != INFERRED_GRAPH:
        return [Hop(s, p, o, g, source, target, source, target)]
    chain = chains.get(p)
    if chain is None:
        return []  # an inverse copy in the inferred graph: its asserted twin is found on its own
    path = _chain_path(store, program, chain, s, o)
    if path is None:
        return []
    # Chain steps run from s to o; data flows from o to s when o is the upstream end. Each hop shows its own
    # flow: an edge whose object is upstream of its subject carries data from the object to the subject.
    signs = upstream_signs(program)
    ordered = reversed(path) if source == o else iter(path)
    hops = []
    for a, q, b, graph in ordered:
        flow_from, flow_to = (b, a) if signs.get(q, 1) == 1 else (a, b)
        hops.append(Hop(a, q, b, graph, flow_from, flow_to, source, target, p))
    return hops


_Asserted = tuple[Subject, URIRef, Object, URIRef | None]


def _chain_path(
    store: Store, program: LineageProgram, chain: Chain, start: Object, end: Object
) -> list[_Asserted] | None:
    """One instance of ``chain`` from ``start`` to ``end`` as asserted triples (depth first: chains are
    short)."""
    steps = chain.steps

    def asserted(rel: int, direction: int, node: Object) -> list[tuple[Object, _Asserted]]:
        out: list[tuple[Object, _Asserted]] = []
        if isinstance(node, Literal):
            return out
        for prop, member_dir in program.members[rel]:
            forward = direction * member_dir == 1
            pattern = (
                store.quads(subject=node, predicate=prop)
                if forward
                else store.quads(predicate=prop, object=node)
            )
            for s, p, o, g in pattern:
                if g in (INFERRED_GRAPH, ONTOLOGY_GRAPH):
                    continue
                nxt = o if forward else s
                if not isinstance(nxt, Literal):
                    out.append((nxt, (s, p, o, g)))
        return out

    def walk(index: int, node: Object) -> list[_Asserted] | None:
        if index == len(steps):
            return [] if node == end else None
        rel, direction = steps[index]
        for nxt, triple in asserted(rel, direction, node):
            rest = walk(index + 1, nxt)
            if rest is not None:
                return [triple, *rest]
        return None

    return walk(0, start)
