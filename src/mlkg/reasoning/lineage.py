"""The lineage subgraph around one asset, as nodes and edges for a UI to draw (``GET /lineage``).

A breadth-first walk over *asserted* lineage edges (every property whose instances make data flow, read from
the ontology through the reasoning program) from the asset, upstream or downstream, up to ``depth`` hops.
Each edge is drawn in the direction data flows (``source`` is upstream of ``target``) and names the asserted
predicate and the entity graph that states it, so every edge can be checked against a document. Lineage that
exists only through a property chain (a feature derived from a column through its feature source, a table
derived from another through column lineage) is walked through the chain's conclusion in the inferred graph:
such an edge names the chain property and the inferred graph (``mlkg impact --explain`` expands it).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import RDF

from mlkg.reasoning.explain import upstream_signs
from mlkg.reasoning.impact import Direction
from mlkg.reasoning.program import LineageProgram
from mlkg.store.base import Store
from mlkg.vocab import INFERRED_GRAPH, MLKG, ONTOLOGY_GRAPH

__all__ = ["LineageGraph", "lineage_graph"]


@dataclass
class LineageGraph:
    """Nodes (IRI, kind, name, hop distance from the asset) and data-flow edges."""

    entity: URIRef
    direction: Direction
    nodes: dict[URIRef, dict[str, Any]] = field(default_factory=dict)
    edges: list[dict[str, Any]] = field(default_factory=list)
    truncated: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "entity": str(self.entity),
            "direction": self.direction.value,
            "truncated": self.truncated,
            "nodes": list(self.nodes.values()),
            "edges": self.edges,
        }


def _describe(store: Store, program: LineageProgram, node: URIRef, distance: int) -> dict[str, Any]:
    types = {o for _, _, o, _ in store.quads(subject=node, predicate=RDF.type) if isinstance(o, URIRef)}
    kind = program.kinds.kind_of(types)
    label = None
    for prop in (MLKG.fullyQualifiedName, MLKG.name):
        for _, _, value, _ in store.quads(subject=node, predicate=prop):
            if isinstance(value, Literal):
                label = str(value)
                break
        if label:
            break
    return {"id": str(node), "kind": kind, "name": label or str(node), "distance": distance}


def lineage_graph(
    *,
    store: Store,
    program: LineageProgram,
    entity: URIRef,
    direction: Direction,
    depth: int | None = None,
    max_nodes: int = 2000,
) -> LineageGraph:
    """The lineage of ``entity`` in ``direction``, ``depth`` hops at most (None: all), ``max_nodes`` at most
    (then ``truncated`` is set).

    :raises StoreError: if the store fails.
    """
    signs = upstream_signs(program)
    chained = {program.members[c.target][0][0] for c in program.chains}

    def walkable(p: URIRef, g: URIRef | None) -> bool:
        if g == ONTOLOGY_GRAPH:
            return False
        return g != INFERRED_GRAPH or p in chained

    # +1: p(s, o) makes o upstream of s. Walking upstream from n: follow (n p o) with +1, (s p n) with -1.
    want = 1 if direction is Direction.UPSTREAM else -1
    result = LineageGraph(entity=entity, direction=direction)
    result.nodes[entity] = _describe(store, program, entity, 0)
    queue: deque[tuple[URIRef, int]] = deque([(entity, 0)])
    seen_edges: set[tuple[str, str, str]] = set()
    while queue:
        node, distance = queue.popleft()
        if depth is not None and distance >= depth:
            continue
        steps: list[tuple[URIRef, URIRef, URIRef | None, bool]] = []
        for _, p, o, g in store.quads(subject=node):
            if isinstance(o, URIRef) and signs.get(p) == want and walkable(p, g):
                steps.append((o, p, g, True))
        for s, p, _, g in store.quads(object=node):
            if isinstance(s, URIRef) and signs.get(p) == -want and walkable(p, g):
                steps.append((s, p, g, False))
        for other, predicate, graph, node_is_subject in steps:
            upstream_end, downstream_end = (other, node) if direction is Direction.UPSTREAM else (node, other)
            key = (str(upstream_end), str(downstream_end), str(predicate))
            if key not in seen_edges:
                seen_edges.add(key)
                result.edges.append(
                    {
                        "source": str(upstream_end),
                        "target": str(downstream_end),
                        "predicate": str(predicate),
                        "subject": str(node if node_is_subject else other),
                        "graph": None if graph is None else str(graph),
                    }
                )
            if other not in result.nodes:
                if len(result.nodes) >= max_nodes:
                    result.truncated = True
                    continue
                result.nodes[other] = _describe(store, program, other, distance + 1)
                queue.append((other, distance + 1))
    result.edges = [
        e for e in result.edges if URIRef(e["source"]) in result.nodes and URIRef(e["target"]) in result.nodes
    ]
    return result
