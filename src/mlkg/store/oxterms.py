"""Conversion between rdflib terms and pyoxigraph terms, for the embedded store (the SPARQL Update text of
graph writes, which both backends use, is :mod:`mlkg.store.updatetext`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD

from mlkg.errors import InputError, StoreError
from mlkg.store.base import Term, Triple

__all__ = ["graph_quads", "to_ox", "to_rdflib"]

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
