"""Conversion between rdflib terms and pyoxigraph terms, and the SPARQL Update text of graph writes (terms
written by the one term writer, :func:`mlkg.ntriples.term_nt`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD

from mlkg.errors import InputError, StoreError
from mlkg.ntriples import term_nt
from mlkg.store.base import Term, Triple

__all__ = ["change_operations", "encode_graph", "ground_lines", "to_ox", "to_rdflib"]

_XSD_STRING: Final = str(XSD.string)


def to_rdflib(term: object) -> Term:
    """A pyoxigraph term as an rdflib term; ``xsd:string`` literals become plain literals (RDF 1.1)."""
    kind = type(term)
    if kind is ox.NamedNode:
        return URIRef(term.value)  # type: ignore[attr-defined]
    if kind is ox.Literal:
        assert isinstance(term, ox.Literal)
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == _XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype), normalize=False)
    if kind is ox.BlankNode:
        return BNode(term.value)  # type: ignore[attr-defined]
    raise StoreError(f"mlkg cannot represent the RDF term {term} (RDF-star triple terms are not supported)")


def to_ox(term: Term) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """An rdflib term as a pyoxigraph term. :raises ValueError: if pyoxigraph rejects it."""
    if isinstance(term, URIRef):
        return ox.NamedNode(term)
    if isinstance(term, BNode):
        return ox.BlankNode(term)
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(term.datatype))
        return ox.Literal(str(term))
    raise ValueError(f"{term!r} is not an RDF term")


def encode_graph(index: int, name: URIRef, triples: Iterable[Triple], iris: dict[str, str]) -> list[str]:
    """``DROP`` and ``INSERT DATA`` operations writing one graph, terms in N-Triples syntax. Blank nodes get
    labels unique to this graph: INSERT DATA makes them fresh (SPARQL 1.1 Update 3.1.1), so two documents
    that both say ``_:b0`` never share a node.

    :raises InputError: if a term is not one RDF can carry or is in the wrong position.
    """
    bnodes: dict[BNode, str] = {}

    def iri(term: object) -> str:
        if not isinstance(term, URIRef):
            raise InputError(f"expected an IRI, got {term!r}", where=str(name))
        text = iris.get(term)
        if text is None:
            text = iris[term] = _written(term, where=name)
        return text

    def node(term: object) -> str:
        if isinstance(term, BNode):
            label = bnodes.get(term)
            if label is None:
                label = bnodes[term] = f"_:g{index}n{len(bnodes)}"
            return label
        if isinstance(term, Literal):
            return _written(term, where=name)
        return iri(term)

    graph = iri(name)
    lines = [
        f"{node(s) if not isinstance(s, Literal) else iri(s)} {iri(p)} {node(o)} ." for s, p, o in triples
    ]
    drop = f"DROP SILENT GRAPH {graph}"
    return [drop, f"INSERT DATA {{ GRAPH {graph} {{\n" + "\n".join(lines) + "\n} }"] if lines else [drop]


def graph_quads(name: URIRef, triples: Iterable[Triple]) -> list[ox.Quad]:
    """The quads writing ``triples`` into the named graph ``name`` with ``Store.extend``; each blank node
    becomes a fresh one (``ox.BlankNode()``), as ``INSERT DATA`` would make it (SPARQL 1.1 Update 3.1.1), so
    two graphs never share a blank node.

    :raises InputError: if pyoxigraph rejects a term or a term is in the wrong position.
    """
    try:
        graph = ox.NamedNode(name)
    except ValueError as exc:
        raise InputError(f"invalid graph IRI {str(name)!r}: {exc}", where=str(name)) from exc
    fresh: dict[BNode, ox.BlankNode] = {}

    def node(term: object) -> ox.NamedNode | ox.BlankNode | ox.Literal:
        if isinstance(term, BNode):
            found = fresh.get(term)
            if found is None:
                found = fresh[term] = ox.BlankNode()
            return found
        return to_ox(term)  # type: ignore[arg-type]

    quads = []
    for s, p, o in triples:
        try:
            if isinstance(s, Literal) or not isinstance(p, URIRef):
                raise ValueError("a subject must be an IRI or a blank node, a predicate an IRI")
            quads.append(ox.Quad(node(s), ox.NamedNode(p), node(o), graph))  # type: ignore[arg-type]
        except (ValueError, TypeError) as exc:
            raise InputError(f"invalid triple {(s, p, o)!r}: {exc}", where=str(name)) from exc
    return quads


def change_operations(graph: URIRef, *, delete: Iterable[Triple], insert: Iterable[Triple]) -> list[str]:
    """``DELETE DATA`` then ``INSERT DATA`` operations changing one graph (SPARQL 1.1 Update 3.1.2, 3.1.1);
    none for an empty side.

    :raises InputError: on a blank node or an invalid term, before anything is built.
    """
    name = _written(graph, where=graph)
    operations = []
    for keyword, triples in (("DELETE DATA", delete), ("INSERT DATA", insert)):
        lines = ground_lines(triples, graph)
        if lines:
            operations.append(f"{keyword} {{ GRAPH {name} {{\n{lines}\n}} }}")
    return operations


def ground_lines(triples: Iterable[Triple], graph: URIRef) -> str:
    """Triples without blank nodes as N-Triples lines for DELETE DATA / INSERT DATA.

    :raises InputError: on a blank node (DELETE DATA may not hold one) or an invalid term.
    """
    lines = []
    for triple in triples:
        if any(isinstance(t, BNode) for t in triple):
            raise InputError(f"invalid triple {triple!r}: blank nodes are not allowed here", where=str(graph))
        lines.append(" ".join(_written(t, where=graph) for t in triple) + " .")
    return "\n".join(lines)


def _written(term: Term, *, where: URIRef) -> str:
    """``term`` by :func:`~mlkg.ntriples.term_nt`, its error naming the graph being written."""
    try:
        return term_nt(term)
    except InputError as exc:
        raise InputError(f"invalid RDF term: {exc}", where=str(where)) from exc
