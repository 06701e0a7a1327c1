"""The direct mapping of normalised plain JSON to RDF triples, without a JSON-LD processor.

A plain (OpenMetadata-shaped) document, once normalised (:mod:`mlkg.ingest.normalize`), uses only what mlkg's
own context defines: terms mapped to IRIs, ``"@type": "@id"`` and ``xsd:`` type coercions, one property-scoped
context (``metrics`` → ``value`` is ``mlkg:metricValue``), node objects with ``@id`` / ``@type``. For that
subset, JSON-LD 1.1 expansion (Processing Algorithms section 5.1) followed by deserialisation to RDF (section
8.1, with pyld's literal conversions: booleans, canonical doubles, integers) reduces to one walk over the
object, which is what this module does, several times faster than pyld.

Anything outside that subset (another keyword, a key that is not a term, a value object, a nested array, an
``@id`` that is not absolute, a top-level node that would state nothing) makes :func:`direct_triples` return
``None``, and the document goes through pyld as before: the result is always what pyld gives, which a test
checks on every demo and generated document (``tests/ingest/test_ingest_direct.py``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rdflib import BNode, Literal, URIRef

from mlkg.ingest.document import is_absolute_iri
from mlkg.store.base import Object, Subject, Triple

__all__ = ["DirectMapping"]

_XSD = "http://www.w3.org/2001/XMLSchema#"
_RDF_TYPE = URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_XSD_STRING = _XSD + "string"


@dataclass(frozen=True)
class _Term:
    iri: str
    #: None, "@id", or a datatype IRI.
    coerce: str | None
    scoped: Mapping[str, _Term] | None


class _Unsupported(Exception):
    """The document uses something the direct mapping does not: pyld reads it."""


class DirectMapping:
    """mlkg's context compiled for the direct mapping; :meth:`triples` maps one normalised document."""

    def __init__(self, *, context: Mapping[str, Any]) -> None:
        definitions = context.get("@context", {})
        self._prefixes = {
            k: v for k, v in definitions.items() if isinstance(v, str) and v.endswith(("#", "/"))
        }
        self._terms = self._compile(definitions)

    def _expand(self, value: str) -> str:
        """A compact IRI (``mlkg:Model``) or absolute IRI, expanded.

        :raises _Unsupported: for anything else.
        """
        prefix, colon, rest = value.partition(":")
        if colon and prefix in self._prefixes and not rest.startswith("//"):
            return self._prefixes[prefix] + rest
        if colon and is_absolute_iri(value):
            return value
        raise _Unsupported(value)

    def _compile(self, definitions: Mapping[str, Any]) -> dict[str, _Term]:
        terms: dict[str, _Term] = {}
        for key, definition in definitions.items():
            if key.startswith("@"):
                continue
            try:
                if isinstance(definition, str):
                    if definition.startswith("@") or definition.endswith(("#", "/")):
                        continue  # a keyword alias (type) or a prefix
                    terms[key] = _Term(self._expand(definition), None, None)
                elif isinstance(definition, Mapping) and isinstance(definition.get("@id"), str):
                    coerce = definition.get("@type")
                    if coerce is not None and coerce != "@id":
                        coerce = self._expand(coerce)
                    scoped = definition.get("@context")
                    terms[key] = _Term(
                        self._expand(definition["@id"]),
                        coerce,
                        self._compile(scoped) if isinstance(scoped, Mapping) else None,
                    )
            except _Unsupported:
                continue  # such a term makes documents using it go through pyld
        return terms

    def triples(self, node: Mapping[str, Any]) -> tuple[URIRef, list[Triple]] | None:
        """The entity IRI and the triples of one normalised top-level node, or None when the direct mapping
        does not cover the document (then pyld must read it)."""
        if not isinstance(node.get("@id"), str) or set(node) <= {"@id"}:
            return None
        out: dict[Triple, None] = {}
        blanks: dict[str, BNode] = {}
        try:
            entity = self._node(node, self._terms, out, blanks)
        except _Unsupported:
            return None
        if not isinstance(entity, URIRef):
            return None
        return entity, list(out)

    def _node(
        self,
        node: Mapping[str, Any],
        terms: Mapping[str, _Term],
        out: dict[Triple, None],
        blanks: dict[str, BNode],
    ) -> Subject:
        subject = self._subject(node.get("@id"), blanks)
        if not node:
            raise _Unsupported("an empty node object")
        for key, value in node.items():
            if key == "@id":
                continue
            if key == "@type":
                for cls in value if isinstance(value, list) else [value]:
                    if not isinstance(cls, str):
                        raise _Unsupported(key)
                    out[(subject, _RDF_TYPE, URIRef(self._class(cls, terms)))] = None
                continue
            term = terms.get(key)
            if term is None:
                raise _Unsupported(key)
            inner = {**terms, **term.scoped} if term.scoped else terms
            for item in value if isinstance(value, list) else [value]:
                obj = self._object(item, term, inner, out, blanks)
                if obj is not None:
                    out[(subject, URIRef(term.iri), obj)] = None
        return subject

    def _class(self, value: str, terms: Mapping[str, _Term]) -> str:
        found = terms.get(value)
        return found.iri if found is not None else self._expand(value)

    def _subject(self, node_id: Any, blanks: dict[str, BNode]) -> Subject:
        if node_id is None:
            return BNode()
        if isinstance(node_id, str) and node_id.startswith("_:"):
            return blanks.setdefault(node_id, BNode())
        if isinstance(node_id, str) and is_absolute_iri(node_id):
            return URIRef(node_id)
        raise _Unsupported("@id")

    def _object(
        self,
        item: Any,
        term: _Term,
        terms: Mapping[str, _Term],
        out: dict[Triple, None],
        blanks: dict[str, BNode],
    ) -> Object | None:
        if item is None:
            return None  # JSON-LD drops null values
        if isinstance(item, dict):
            if any(k.startswith("@") and k not in ("@id", "@type") for k in item):
                raise _Unsupported("a value object or keyword")
            return self._node(item, terms, out, blanks)
        if isinstance(item, list):
            raise _Unsupported("a nested array")
        if term.coerce == "@id":
            if not isinstance(item, str):
                raise _Unsupported("a non-string IRI value")
            return self._subject(item, blanks)
        return _literal(item, term.coerce)


def _literal(value: Any, datatype: str | None) -> Literal:
    """JSON-LD 1.1 section 8.6 (Object to RDF Conversion) as pyld implements it for native values."""
    if isinstance(value, bool):
        lexical, datatype = ("true" if value else "false"), datatype or _XSD + "boolean"
    elif isinstance(value, float) and not value.is_integer():
        lexical, datatype = _canonical_double(float(value)), datatype or _XSD + "double"
    elif datatype == _XSD + "double":
        try:
            lexical = _canonical_double(float(value))
        except (TypeError, ValueError):
            lexical = value
    elif isinstance(value, int | float) and abs(value) >= 1e21:
        lexical, datatype = _canonical_double(float(value)), datatype or _XSD + "double"
    elif isinstance(value, int | float):
        lexical, datatype = str(int(value)), datatype or _XSD + "integer"
    elif isinstance(value, str):
        lexical = value
    else:
        raise _Unsupported(repr(value))
    if datatype is None or datatype == _XSD_STRING:
        return Literal(lexical)
    return Literal(lexical, datatype=URIRef(datatype))


def _canonical_double(value: float) -> str:
    """The canonical lexical form of an ``xsd:double`` (XML Schema 1.1 Part 2, 3.3.5.2), as pyld writes it."""
    return re.sub(r"(\d)0*E\+?(-)?0*(\d)", r"\1E\2\3", f"{value:1.15E}")
