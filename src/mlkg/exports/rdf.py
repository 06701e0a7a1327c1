"""Linked-data exports: the whole store, or one entity, in every RDF format mlkg writes.

One table (``_FORMATS``) says how each :class:`~mlkg.formats.RdfFormat` is written. Turtle, N-Triples,
N-Quads and TriG come straight from the engine when the store can serialise itself (it has a ``dump``
method, :class:`~mlkg.store.base.NativeDump`; the embedded store does). Otherwise the quads are read through
:meth:`~mlkg.store.base.Store.quads` and N-Triples, N-Quads and TriG are streamed in N-Triples term syntax
(:mod:`mlkg.exports.lines`) while Turtle is written by rdflib from one in-memory graph. RDF/XML is always
streamed by mlkg's own writer (:mod:`mlkg.exports.rdfxml`), and JSON-LD is always compacted with mlkg's
context, given inline, by pyld (:mod:`mlkg.exports.jsonld`).

What a whole-store export holds (docs/architecture.md, section 3): a dataset format every selected graph
with its name; a triple format the set union of their triples, each once (read by the engine when the store
offers :class:`~mlkg.store.base.MergedTriples`, else deduplicated here).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from itertools import islice
from types import MappingProxyType
from typing import Any, BinaryIO, Final, Literal

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from mlkg.errors import InputError, NotFoundError, UnsupportedFormatError
from mlkg.exports.jsonld import compact_quads
from mlkg.exports.lines import nquads_lines, ntriples_lines, trig_lines
from mlkg.exports.rdfxml import rdfxml_lines
from mlkg.store.base import MergedTriples, NativeDump, Quad, RdfFormat, Store, Triple
from mlkg.vocab import INFERRED_GRAPH, NS, ONTOLOGY_GRAPH, PENDING_GRAPH, SUBSCRIPTIONS_GRAPH

__all__ = ["PREFIXES", "GraphSelection", "export", "serialize_triples"]

#: Which graphs a whole-store export writes: every graph, or leave out the inferred and ontology graphs.
GraphSelection = Literal["all", "asserted"]

#: Prefixes declared in Turtle, TriG and RDF/XML output.
PREFIXES: Final[Mapping[str, str]] = MappingProxyType(
    {"mlkg": NS, "rdf": str(RDF), "rdfs": str(RDFS), "xsd": str(XSD), "owl": str(OWL)}
)

_NOT_ASSERTED: Final = frozenset({INFERRED_GRAPH, ONTOLOGY_GRAPH, PENDING_GRAPH, SUBSCRIPTIONS_GRAPH})
_CHUNK: Final = 10_000


@dataclass(frozen=True)
class _Format:
    """How one format is written. ``native``: by the store's own ``dump`` when it has one. Otherwise, and
    for :func:`serialize_triples`: streamed by ``lines``, or by rdflib's ``rdflib`` serializer from one
    in-memory graph, or built as one ``document`` (JSON-LD)."""

    native: bool = False
    lines: Callable[[Iterable[Quad]], Iterator[str]] | None = None
    rdflib: str | None = None
    document: Callable[[Iterable[Quad]], dict[str, Any]] | None = None


_FORMATS: Final[Mapping[RdfFormat, _Format]] = MappingProxyType(
    {
        RdfFormat.TURTLE: _Format(native=True, rdflib="turtle"),
        RdfFormat.NTRIPLES: _Format(native=True, lines=ntriples_lines),
        RdfFormat.NQUADS: _Format(native=True, lines=nquads_lines),
        RdfFormat.TRIG: _Format(native=True, lines=trig_lines),
        RdfFormat.RDFXML: _Format(lines=partial(rdfxml_lines, prefixes=PREFIXES)),
        RdfFormat.JSONLD: _Format(document=lambda quads: compact_quads(quads=quads)),
    }
)


def _spec(format: RdfFormat) -> tuple[RdfFormat, _Format]:
    try:
        format = RdfFormat(format)
    except ValueError as exc:
        raise UnsupportedFormatError(f"mlkg cannot write RDF as {format!r}") from exc
    return format, _FORMATS[format]


def _selected(
    store: Store, entity: URIRef | None, exclude: Collection[URIRef], *, merge: bool
) -> Iterator[Quad]:
    """The quads to write: one entity graph; or every graph but ``exclude``; or, with ``merge`` (triple
    formats), the set union of those graphs' triples, each once, in the default graph."""
    if entity is not None:
        return store.quads(graph=entity)
    if not merge:
        return (quad for quad in store.quads() if quad[3] not in exclude)
    if isinstance(store, MergedTriples):
        return ((s, p, o, None) for s, p, o in store.merged_triples(exclude=exclude))
    return _merged(store.quads(), exclude)


def _merged(quads: Iterable[Quad], exclude: Collection[URIRef]) -> Iterator[Quad]:
    seen: set[Triple] = set()
    for s, p, o, g in quads:
        if g not in exclude and (s, p, o) not in seen:
            seen.add((s, p, o))
            yield s, p, o, None


def _write(quads: Iterable[Quad], spec: _Format, output: BinaryIO) -> None:
    """Write without the store's help: stream lines, or build one rdflib graph (triple formats only, so
    graph names are dropped), or one JSON-LD document."""
    if spec.lines is not None:
        lines = spec.lines(quads)
        while chunk := "".join(islice(lines, _CHUNK)):
            output.write(chunk.encode("utf-8"))
    elif spec.rdflib is not None:
        graph = Graph()
        for prefix, namespace in PREFIXES.items():
            graph.bind(prefix, namespace)
        for s, p, o, _ in quads:
            graph.add((s, p, o))
        graph.serialize(destination=output, format=spec.rdflib, encoding="utf-8")
    else:
        assert spec.document is not None
        output.write(json.dumps(spec.document(quads), ensure_ascii=False, indent=2).encode("utf-8"))
        output.write(b"\n")


def export(
    *,
    store: Store,
    format: RdfFormat,
    output: BinaryIO,
    entity: URIRef | None = None,
    graphs: GraphSelection = "all",
) -> None:
    """Write the whole store, or one entity, to ``output`` in ``format``.

    ``entity`` given: the entity's named graph (its name is the entity IRI), and ``graphs`` is ignored.
    Otherwise every graph, the store's default graph included; ``graphs="asserted"`` leaves out the inferred
    graph and the ontology graph (:data:`~mlkg.vocab.INFERRED_GRAPH`, :data:`~mlkg.vocab.ONTOLOGY_GRAPH`).

    Dataset formats (N-Quads, TriG, JSON-LD) keep graph names. Triple formats (Turtle, N-Triples, RDF/XML)
    write the set union of the selected graphs' triples: graph names are lost and a triple that is in
    several graphs is written once, so every triple format holds the same triples (a blank node is the same
    node in every graph of a store, so this is also their RDF merge, RDF 1.1 Semantics, section 4.1).
    JSON-LD carries mlkg's context inline (:func:`mlkg.exports.jsonld.compact_quads`), so it is
    self-contained. Everything but JSON-LD is streamed, so an error may come after part of the output.

    :raises InputError: if ``graphs`` is neither ``"all"`` nor ``"asserted"``.
    :raises NotFoundError: if ``entity`` is given and its graph holds no triple.
    :raises UnsupportedFormatError: if ``format`` is not an RDF format, or the data cannot be written in
        it (RDF/XML needs every predicate IRI to end with an XML name and XML 1.0 characters).
    :raises StoreError: if the store fails.
    """
    format, spec = _spec(format)
    if graphs not in ("all", "asserted"):
        raise InputError(f"unknown graph selection {graphs!r}; use 'all' or 'asserted'")
    exclude = _NOT_ASSERTED if graphs == "asserted" and entity is None else frozenset()
    if entity is not None and not store.has_graph(graph=entity):
        raise NotFoundError(f"no entity graph {entity}")
    if spec.native and isinstance(store, NativeDump):
        store.dump(format=format, output=output, graph=entity, exclude=exclude, prefixes=PREFIXES)
    else:
        quads = _selected(store, entity, exclude, merge=not format.supports_datasets)
        try:
            _write(quads, spec, output)
        finally:
            # A store's reader may hold engine objects that must be dropped on this thread (pyoxigraph's
            # query solutions are), not wherever an error's traceback happens to be released.
            close = getattr(quads, "close", None)
            if close is not None:
                close()


def serialize_triples(*, triples: Iterable[Triple], format: RdfFormat) -> bytes:
    """Serialise triples (a CONSTRUCT or DESCRIBE result) in ``format``, the way :func:`export` writes a
    store without ``dump``; dataset formats put them in the default graph.

    :raises UnsupportedFormatError: if ``format`` is not an RDF format or cannot carry these triples.
    """
    spec = _spec(format)[1]
    output = io.BytesIO()
    _write(((s, p, o, None) for s, p, o in triples), spec, output)
    return output.getvalue()
