"""Whether two descriptions hold the same triples, as a store gives them back: the one comparison behind an
identical reload writing nothing (entity history, docs/architecture.md section 7), a connector's incremental
re-import and the OpenLineage intake's unchanged jobs.

Literals with a datatype compare by value (RDF 1.1 Concepts, section 3.3): an engine may store
``2024-06-20T12:20:00+00:00`` as ``...Z``, ``0.920`` as ``0.92`` or ``1.0`` as ``1.0E0``, so what was written
and what is read back compare equal. Ill-typed literals and other terms are their own key. Graphs with blank
nodes (whose labels the store chooses) are compared by isomorphism.
"""

from __future__ import annotations

from collections.abc import Iterable

import rdflib
from rdflib import BNode, Literal
from rdflib.compare import isomorphic
from rdflib.term import Node

from mlkg.store.base import Triple

__all__ = ["same_triples", "term_key"]


def term_key(term: Node) -> object:
    """A key equal for two terms that denote the same: a typed literal by its datatype and value."""
    if isinstance(term, Literal) and term.datatype is not None and term.value is not None:
        value = term.value
        try:
            hash(value)
        except TypeError:
            return term
        return ("literal", str(term.datatype), type(value).__name__, value)
    return term


def same_triples(first: Iterable[Triple], second: Iterable[Triple]) -> bool:
    """True if both hold the same triples (literals by value), or isomorphic graphs when blank nodes occur."""
    old, new = list(first), list(second)
    if {_key(t) for t in old} == {_key(t) for t in new}:
        return True
    if not any(isinstance(t, BNode) for triple in [*old, *new] for t in triple):
        return False
    graphs = rdflib.Graph(), rdflib.Graph()
    for graph, triples in zip(graphs, (old, new), strict=True):
        for s, p, o in triples:
            graph.add((s, p, _normal(o)))
    return isomorphic(*graphs)


def _key(triple: Triple) -> tuple[object, object, object]:
    s, p, o = triple
    return s, p, term_key(o)


def _normal(term: Node) -> Node:
    """A typed literal written from its value (one lexical form per value), for comparing graphs."""
    if isinstance(term, Literal) and term.datatype is not None and term.value is not None:
        return Literal(term.value, datatype=term.datatype)
    return term
