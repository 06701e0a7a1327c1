"""Streaming writers for the line-based formats, from rdflib terms: N-Triples, N-Quads and plain TriG.

Used when the store cannot serialise natively. Terms are written by the one term writer,
:func:`mlkg.ntriples.term_nt` (N-Triples syntax), which is also valid inside TriG graph blocks (RDF 1.1 TriG,
section 2).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Final

from mlkg.ntriples import term_nt
from mlkg.store.base import Quad

__all__ = ["nquads_lines", "ntriples_lines", "trig_lines"]

_START: Final = object()


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
