"""A streaming RDF/XML writer (RDF 1.1 XML Syntax), one ``rdf:Description`` per run of one subject.

mlkg writes RDF/XML itself because pyoxigraph and rdflib both write a literal's carriage return as is (an XML
parser reads it back as a line feed, XML 1.0 section 2.11) and control characters that XML 1.0 cannot
carry at all (the output is then not well-formed); pyoxigraph also writes an empty element name for a
predicate IRI that does not end with an XML name. Here carriage returns become ``&#13;``, and data RDF/XML
cannot carry is refused with a clear error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Final

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF

from mlkg.errors import UnsupportedFormatError
from mlkg.store.base import Quad, Subject, Term
from mlkg.xmltext import xml_attr, xml_text

__all__ = ["rdfxml_lines"]

_START: Final = (
    "A-Z_a-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
#: The longest suffix of an IRI that is an XML NCName (Namespaces in XML 1.0, production [4]).
_LOCAL_NAME: Final = re.compile(f"[{_START}][{_START}\\-.0-9\u00b7\u0300-\u036f\u203f-\u2040]*\\Z")
_NODE_ID: Final = re.compile(r"[A-Za-z0-9_\-.]+\Z")
#: RDF/XML syntax terms that cannot be property elements (RDF 1.1 XML Syntax, section 7.2.5; rdf:li is
#: read back as rdf:_n).
_RESERVED: Final = frozenset(
    str(RDF) + name
    for name in (
        *("RDF", "ID", "about", "parseType", "resource", "nodeID", "datatype", "li", "Description"),
        *("aboutEach", "aboutEachPrefix", "bagID"),
    )
)


def _text(value: str) -> str:
    return xml_text(value, what="RDF/XML")


def _attr(value: str) -> str:
    return xml_attr(value, what="RDF/XML")


def _node_id(term: BNode) -> str:
    return _attr("b" + term if _NODE_ID.match(term) else "x" + term.encode("utf-8").hex())


def _about(term: Subject) -> str:
    return f"rdf:nodeID={_node_id(term)}" if isinstance(term, BNode) else f"rdf:about={_attr(term)}"


def _property(predicate: URIRef, prefixes: Mapping[str, str]) -> tuple[str, str]:
    """The element's opening name (with a namespace declaration if needed) and its closing name."""
    match = _LOCAL_NAME.search(predicate)
    if match is None or str(predicate) in _RESERVED:
        raise UnsupportedFormatError(
            f"the predicate <{predicate}> cannot be written in RDF/XML (its IRI must end with an XML name "
            "and not be an RDF/XML syntax term); choose another format"
        )
    namespace, local = predicate[: match.start()], match.group()
    prefix = prefixes.get(namespace)
    if prefix is not None:
        return f"{prefix}:{local}", f"{prefix}:{local}"
    return f"{local} xmlns={_attr(namespace)}", local


def _property_line(predicate: URIRef, obj: Term, prefixes: Mapping[str, str]) -> str:
    opening, closing = _property(predicate, prefixes)
    if isinstance(obj, URIRef):
        return f"    <{opening} rdf:resource={_attr(obj)}/>\n"
    if isinstance(obj, BNode):
        return f"    <{opening} rdf:nodeID={_node_id(obj)}/>\n"
    assert isinstance(obj, Literal)
    if obj.language:
        opening += f" xml:lang={_attr(obj.language)}"
    elif obj.datatype is not None:
        opening += f" rdf:datatype={_attr(obj.datatype)}"
    return f"    <{opening}>{_text(str(obj))}</{closing}>\n"


def rdfxml_lines(quads: Iterable[Quad], *, prefixes: Mapping[str, str]) -> Iterator[str]:
    """RDF/XML for the quads' triples (graph names are dropped: the RDF merge), piece by piece.

    ``prefixes`` (name to namespace IRI) are declared on ``rdf:RDF`` and used for predicates in them.

    :raises UnsupportedFormatError: while writing, on a predicate RDF/XML cannot name or a character XML 1.0
        cannot carry.
    """
    by_namespace = {namespace: name for name, namespace in prefixes.items() if name != "rdf"}
    by_namespace[str(RDF)] = "rdf"
    declarations = "".join(f"\n    xmlns:{name}={_attr(ns)}" for ns, name in by_namespace.items())
    yield f'<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF{declarations}>\n'
    subject: Subject | None = None
    for s, p, o, _ in quads:
        if s != subject or type(s) is not type(subject):
            if subject is not None:
                yield "  </rdf:Description>\n"
            yield f"  <rdf:Description {_about(s)}>\n"
            subject = s
        yield _property_line(p, o, by_namespace)
    if subject is not None:
        yield "  </rdf:Description>\n"
    yield "</rdf:RDF>\n"
