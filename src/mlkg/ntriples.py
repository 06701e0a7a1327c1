"""The one writer of RDF terms as text: N-Triples syntax, which is also valid in N-Quads, Turtle, TriG and
SPARQL (docs/architecture.md, habit 12).

RDF 1.1 N-Triples, section 2.4 and grammar productions [8] ``IRIREF``, [9] ``STRING_LITERAL_QUOTE``,
[144s] ``LANGTAG``, [141s] ``BLANK_NODE_LABEL``, written in the canonical form of RDF 1.2 N-Triples
(section 4): ``\\b \\t \\n \\f \\r \\" \\\\`` escapes (``ECHAR``), ``\\u`` and upper-case hexadecimal for
the other control characters and the noncharacters U+FFFE, U+FFFF (``UCHAR``), every other character as
itself, language tags in lower case, ``xsd:string`` literals without their datatype. This is exactly the
text pyoxigraph writes for a term (``str`` of a pyoxigraph term), so a term written here is the same string
as one read back from the embedded store (the keys of :class:`mlkg.store.base.BulkTriples` rely on it;
``tests/test_ntriples.py`` checks both).

No tab, line feed or carriage return is ever written as itself, so a term is also a valid field of SPARQL
TSV results (SPARQL 1.1 Query Results CSV and TSV Formats, section 4).
"""

from __future__ import annotations

import re
from typing import Final

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD

from mlkg.errors import InputError

__all__ = ["term_nt"]

#: An absolute IRI (a scheme, RFC 3987 section 2.2) whose characters ``IRIREF`` allows unescaped. N-Triples
#: could escape the others as ``\\u``, but the result would not be an IRI (RFC 3987 excludes them).
_IRI: Final = re.compile(r'[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20<>"{}|^`\\]*\Z')
_LITERAL_ESCAPE: Final = re.compile('[\x00-\x1f\x7f"\\\\\ufffe\uffff]')
_ECHAR: Final = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r", '"': '\\"', "\\": "\\\\"}
_PN_CHARS_U: Final = (
    "A-Za-z_\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS: Final = _PN_CHARS_U + "\\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
#: ``BLANK_NODE_LABEL`` without ``:``, which N-Triples allows but Turtle and SPARQL do not.
_BNODE_LABEL: Final = re.compile(f"[{_PN_CHARS_U}0-9](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?\\Z")
_XSD_STRING: Final = str(XSD.string)


def _echar(match: re.Match[str]) -> str:
    char = match.group()
    return _ECHAR.get(char) or f"\\u{ord(char):04X}"


def _iri(value: str) -> str:
    if not _IRI.match(value):
        raise InputError(
            f"{value[:200]!r} is not an absolute IRI that RDF can carry (a scheme, and no space, control "
            'character or any of <>"{}|^`\\)'
        )
    return f"<{value}>"


def term_nt(term: URIRef | BNode | Literal) -> str:
    """``term`` in N-Triples syntax (see the module docstring for the exact form).

    A blank node label that the grammar cannot carry is written as ``x`` and the hexadecimal of its UTF-8
    bytes (a blank node's label is not part of the data, only its identity within one document).

    :raises InputError: for an IRI (or a datatype IRI) that is not absolute or holds a character
        ``IRIREF`` excludes, or an object that is not an RDF term.
    """
    if isinstance(term, URIRef):
        return _iri(term)
    if isinstance(term, BNode):
        return f"_:{term}" if _BNODE_LABEL.match(term) else "_:x" + term.encode("utf-8").hex()
    if not isinstance(term, Literal):
        raise InputError(f"{term!r} is not an RDF term")
    text = '"' + _LITERAL_ESCAPE.sub(_echar, str(term)) + '"'
    if term.language:
        return f"{text}@{term.language.lower()}"
    if term.datatype is not None and str(term.datatype) != _XSD_STRING:
        return f"{text}^^{_iri(term.datatype)}"
    return text
