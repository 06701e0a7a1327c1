"""The SPARQL Update text of graph writes (``DROP`` / ``INSERT DATA`` / ``DELETE DATA``), terms written by the
one term writer (:func:`mlkg.ntriples.term_nt`): backend-neutral, used by the embedded store and the remote
SPARQL backend alike."""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import BNode, Literal, URIRef

from mlkg.errors import InputError
from mlkg.ntriples import term_nt
from mlkg.store.base import Term, Triple

__all__ = ["change_operations", "encode_graph", "ground_lines"]


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
