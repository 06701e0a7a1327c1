"""Terms and results crossing the remote backend: rdflib terms written in N-Triples syntax (by pyoxigraph),
SPARQL 1.1 Query Results JSON (section 3.2.2) and RDF answers read back as rdflib terms."""

from __future__ import annotations

from typing import Any, Final

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, XSD

from mlkg.errors import InputError, QueryError, StoreError
from mlkg.formats import RdfFormat
from mlkg.ntriples import term_nt
from mlkg.store.base import GraphName, Quad, Term, Triple
from mlkg.store.oxterms import to_rdflib

__all__ = ["binding", "dicts", "media", "nt", "parse_graph", "result_rows", "to_quad"]

_XSD_STRING: Final = str(XSD.string)
_LANG_STRING: Final = str(RDF.langString)
#: The formats read in an engine's graph answers (:mod:`mlkg.formats` names their media types).
_PARSED_FORMATS: Final = frozenset({RdfFormat.NTRIPLES, RdfFormat.TURTLE, RdfFormat.RDFXML})


def nt(term: Term) -> str:
    """A term in N-Triples syntax (:func:`~mlkg.ntriples.term_nt`). :raises InputError: if RDF cannot carry
    it."""
    return term_nt(term)


def binding(name: str, term: Term) -> str:
    if isinstance(term, BNode):
        raise QueryError(f"cannot bind ?{name} to a blank node: a query sent to an engine cannot name one")
    try:
        return term_nt(term)
    except InputError as exc:
        raise QueryError(f"cannot bind ?{name}: {exc}") from exc


def term(value: dict[str, str]) -> Term:
    """A term of the SPARQL 1.1 Query Results JSON Format (section 3.2.2) as an rdflib term."""
    kind = value.get("type")
    text = value.get("value", "")
    if kind == "uri":
        return URIRef(text)
    if kind == "bnode":
        return BNode(text)
    if kind in ("literal", "typed-literal"):
        language = value.get("xml:lang")
        if language:
            return Literal(text, lang=language)
        datatype = value.get("datatype")
        if datatype and datatype not in (_XSD_STRING, _LANG_STRING):
            return Literal(text, datatype=URIRef(datatype), normalize=False)
        return Literal(text)
    raise StoreError(
        f"mlkg cannot represent the RDF term {value!r} (RDF-star triple terms are not supported)"
    )


def result_rows(decoded: dict[str, Any], variables: list[str] | None = None) -> list[tuple[Term | None, ...]]:
    names = variables if variables is not None else list(decoded.get("head", {}).get("vars", []))
    return [
        tuple(None if (v := b.get(n)) is None else term(v) for n in names)
        for b in decoded.get("results", {}).get("bindings", [])
    ]


def dicts(decoded: dict[str, Any]) -> list[dict[str, Term]]:
    return [{k: term(v) for k, v in b.items()} for b in decoded.get("results", {}).get("bindings", [])]


def to_quad(pattern: dict[str, Term | None], row: dict[str, Term], graph: GraphName) -> Quad | None:
    """The quad of a result row, the bound pattern terms filled in; None if a blank-node pattern term does
    not match."""
    s, p, o = (
        row.get(k) if pattern[k] is None or isinstance(pattern[k], BNode) else pattern[k] for k in "spo"
    )
    for k, term in zip("spo", (s, p, o), strict=True):
        if isinstance(pattern[k], BNode) and term != pattern[k]:
            return None
    if not isinstance(s, URIRef | BNode) or not isinstance(p, URIRef) or o is None:
        return None
    return s, p, o, graph


def media(response: Any) -> str:
    return str(response.headers.get("content-type", "")).split(";", 1)[0].strip().lower()


def parse_graph(data: bytes, media_type: str) -> list[Triple]:
    """Triples from an engine's CONSTRUCT / Graph Store answer, parsed by pyoxigraph.

    :raises StoreError: for a media type mlkg does not read or a malformed document.
    """
    found = RdfFormat.from_media_type(media_type)
    if found not in _PARSED_FORMATS:
        raise StoreError(f"the SPARQL engine answered with {media_type!r}, which mlkg does not read")
    fmt = ox.RdfFormat.from_media_type(found.media_type)
    try:
        return [
            (to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object))  # type: ignore[misc]
            for t in ox.parse(data, format=fmt)
        ]
    except SyntaxError as exc:
        raise StoreError(f"the SPARQL engine sent malformed {media_type}: {exc}") from exc
