"""The representations the HTTP service writes, chosen by ``Accept`` (SPARQL 1.1 Protocol, section 2.1.6).

SELECT and ASK results: SPARQL Results JSON (the default), XML, CSV and TSV. Graphs (CONSTRUCT, DESCRIBE,
entities, Graph Store reads): Turtle (the default), JSON-LD, N-Triples, N-Quads, TriG and RDF/XML.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import Enum
from typing import Final, TypeVar, cast

from rdflib import URIRef

from mlkg.api.negotiation import choose
from mlkg.errors import NotAcceptableError
from mlkg.exports import serialize_triples
from mlkg.exports.results import serialize_results
from mlkg.formats import GRAPH_PREFERENCE, RDF_SPECS, RESULTS_SPECS, FormatSpec, RdfFormat, ResultsFormat
from mlkg.store.base import (
    AskResult,
    GraphResult,
    QueryResult,
    ResultsMediaType,
    SelectResult,
    SerializedQuery,
    Store,
    Term,
)

__all__ = ["GRAPH_TYPES", "RESULT_TYPES", "answer_query", "graph_format", "render_result"]

F = TypeVar("F", bound=Enum)

_NEGOTIATED_RESULTS: Final = (ResultsFormat.JSON, ResultsFormat.XML, ResultsFormat.CSV, ResultsFormat.TSV)


def _offers(formats: Iterable[F], specs: Mapping[F, FormatSpec]) -> dict[str, F]:
    """Media type to format, registered types first in ``formats``' order, then the aliases."""
    offers: dict[str, F] = {}
    aliases: list[tuple[str, F]] = []
    for fmt in formats:
        spec = specs[fmt]
        offers[spec.media_type] = fmt
        aliases.extend((alias, fmt) for alias in (*spec.media_types[1:], *spec.accept_aliases))
    for alias, fmt in aliases:
        offers.setdefault(alias, fmt)
    return offers


#: Media types for SELECT / ASK results, in the server's order of preference; aliases last
#: (from the registry, :mod:`mlkg.formats`).
RESULT_TYPES: Final = _offers(_NEGOTIATED_RESULTS, RESULTS_SPECS)

#: Media types for graphs, in the server's order of preference; aliases last.
GRAPH_TYPES: Final = _offers(GRAPH_PREFERENCE, RDF_SPECS)


def _canonical(table: Mapping[str, object], chosen: str) -> str:
    """The main media type of the format ``chosen`` names (an alias is answered with the main type)."""
    return next(media_type for media_type, fmt in table.items() if fmt == table[chosen])


def graph_format(
    accept: str | None, *, what: str, extra: tuple[str, ...] = ()
) -> tuple[str, RdfFormat | None]:
    """The media type and RDF format to answer a graph in; ``extra`` media types (such as ``text/html``)
    are offered first and come back with format None.

    :raises NotAcceptableError: if the client accepts none of them.
    """
    chosen = choose(accept, [*extra, *GRAPH_TYPES], what=what)
    if chosen in extra:
        return chosen, None
    return _canonical(GRAPH_TYPES, chosen), GRAPH_TYPES[chosen]


def _content_type(media_type: str) -> str:
    return f"{media_type}; charset=utf-8" if media_type.startswith("text/") else media_type


def render_result(result: QueryResult, *, accept: str | None) -> tuple[bytes, str]:
    """Serialise a query result in the representation the client prefers; returns ``(body, Content-Type)``.

    :raises NotAcceptableError: if the client accepts no representation of this kind of result.
    """
    if isinstance(result, (SelectResult, AskResult)):
        chosen = choose(accept, list(RESULT_TYPES), what="SELECT/ASK results")
        body = serialize_results(result=result, format=RESULT_TYPES[chosen])
        return body, _content_type(_canonical(RESULT_TYPES, chosen))
    assert isinstance(result, GraphResult)
    media_type, fmt = graph_format(accept, what="a graph (CONSTRUCT/DESCRIBE) result")
    assert fmt is not None
    return serialize_triples(triples=result.triples, format=fmt), _content_type(media_type)


def _mlkg_writes(accept: str | None) -> bool:
    """True if SELECT / ASK results in the type the client prefers must be written by mlkg, not the engine:
    pyoxigraph 0.5's CSV writer leaves an IRI that holds a comma unquoted (RFC 4180, section 2.6), so the row
    reads back with one column too many."""
    try:
        chosen = choose(accept, list(RESULT_TYPES), what="SELECT/ASK results")
    except NotAcceptableError:
        return False  # not a SELECT / ASK client; the query form decides below
    return RESULT_TYPES[chosen] is ResultsFormat.CSV


def answer_query(
    *,
    store: Store,
    query: str,
    accept: str | None,
    bindings: Mapping[str, Term] | None = None,
    default_graphs: Sequence[URIRef] | None = None,
    named_graphs: Sequence[URIRef] | None = None,
    timeout: float | None = None,
) -> tuple[bytes, str]:
    """Run a query and serialise its result for the client; ``(body, Content-Type)``.

    A backend that serialises SELECT / ASK results itself (:class:`~mlkg.store.base.SerializedQuery`, the
    embedded store) does so, which saves building an rdflib term per value; other backends go through
    :func:`render_result`. Both write the same W3C formats.

    :raises QueryError: for a malformed query.
    :raises NotAcceptableError: if the client accepts no representation of this kind of result.
    :raises QueryTimeoutError: if the backend passes ``timeout`` while collecting results.
    """
    # The class, not the instance: a runtime protocol check on an instance compares every attribute (~8 us).
    if issubclass(type(store), SerializedQuery) and not _mlkg_writes(accept):
        chosen: list[str] = []

        def pick() -> ResultsMediaType:
            offer = _canonical(RESULT_TYPES, choose(accept, list(RESULT_TYPES), what="SELECT/ASK results"))
            chosen.append(offer)
            return offer  # type: ignore[return-value]

        found = cast(SerializedQuery, store).query_serialized(
            query=query,
            results_format=pick,
            bindings=bindings,
            default_graphs=default_graphs,
            named_graphs=named_graphs,
            timeout=timeout,
        )
        if isinstance(found, bytes):
            return found, _content_type(chosen[0])
        return render_result(found, accept=accept)
    result = store.query(
        query=query,
        bindings=bindings,
        default_graphs=default_graphs,
        named_graphs=named_graphs,
        timeout=timeout,
    )
    return render_result(result, accept=accept)
