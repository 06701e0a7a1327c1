"""Streaming writers for the line-based formats, from rdflib terms: N-Triples, N-Quads and plain TriG.

Used when the store cannot serialise natively. Terms are written in N-Triples syntax (RDF 1.1 N-Triples,
section 2 and the canonical form of section 7: ``\\n``, ``\\r``, ``\\"``, ``\\\\`` and ``\\u`` escapes for
other control characters), which is also valid inside TriG graph blocks (RDF 1.1 TriG, section 2).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Final

from rdflib import BNode, Literal, URIRef

from mlkg.store.base import Quad, Term

__all__ = ["nquads_lines", "ntriples_lines", "term_nt", "trig_lines"]

_LITERAL_ESCAPE: Final = re.compile(r'[\x00-\x1f\x7f"\\]')
_IRI_ESCAPE: Final = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_BNODE_LABEL: Final = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?\Z")
_START: Final = object()
_SHORT: Final = {"\n": "\\n", "\r": "\\r", '"': '\\"', "\\": "\\\\"}


def _literal_char(match: re.Match[str]) -> str:
    char = match.group()
    return _SHORT.get(char) or f"\\u{ord(char):04X}"


def _iri(value: str) -> str:
    return "<" + _IRI_ESCAPE.sub(lambda m: f"\\u{ord(m.group()):04X}", value) + ">"


def term_nt(term: Term) -> str:
    """``term`` in N-Triples syntax. A blank node label that N-Triples cannot carry is hex-encoded."""
    if isinstance(term, URIRef):
        return _iri(term)
    if isinstance(term, BNode):
        return f"_:{term}" if _BNODE_LABEL.match(term) else "_:x" + term.encode("utf-8").hex()
    assert isinstance(term, Literal)
    text = '"' + _LITERAL_ESCAPE.sub(_literal_char, str(term)) + '"'
    if term.language:
        return f"{text}@{term.language}"
    if term.datatype is not None:
        return f"{text}^^{_iri(term.datatype)}"
    return text


def ntriples_lines(quads: Iterable[Quad]) -> Iterator[str]:
    """N-Triples lines of the quads' triples (graph names are dropped: the RDF merge)."""
    for s, p, o, _ in quads:
        yield f"{term_nt(s)} {term_nt(p)} {term_nt(o)} .\n"


def nquads_lines(quads: Iterable[Quad]) -> Iterator[str]:
    """N-Quads lines; quads of the default graph get no graph label."""
    for s, p, o, g in quads:
        graph = "" if g is None else " " + term_nt(g)
        yield f"{term_nt(s)} {term_nt(p)} {term_nt(o)}{graph} .\n"


def trig_lines(quads: Iterable[Quad]) -> Iterator[str]:
    """TriG: one graph block per run of quads in the same graph (blocks of one name add up)."""
    current: object = _START
    for s, p, o, g in quads:
        if current is _START or g != current:
            if current is not _START:
                yield "}\n"
            yield "{\n" if g is None else f"{term_nt(g)} {{\n"
            current = g
        yield f"  {term_nt(s)} {term_nt(p)} {term_nt(o)} .\n"
    if current is not _START:
        yield "}\n"
