"""SPARQL queries on a pyoxigraph store: the RDF dataset, bound parameters, results as rdflib terms or
serialised by pyoxigraph itself, pyoxigraph's errors mapped to mlkg's, and the time limit.

Used by :class:`~mlkg.store.oxigraph.OxigraphStore`; nothing outside ``mlkg.store`` sees a pyoxigraph object.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pyoxigraph as ox
from rdflib import URIRef

from mlkg.errors import QueryError, QueryTimeoutError, StoreError
from mlkg.store.base import (
    AskResult,
    GraphResult,
    QueryResult,
    ResultsMediaType,
    SelectResult,
    Term,
    Triple,
)
from mlkg.store.oxterms import to_ox, to_rdflib
from mlkg.store.sparqlcheck import check_query
from mlkg.store.sparqltext import NOT_PROJECTED, has_dataset_clause, looks_like_update
from mlkg.xmltext import xml_results

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

__all__ = ["QueryRunner"]


class QueryRunner:
    """Runs queries on a pyoxigraph store; remembers which recent query texts have ``FROM`` clauses.

    ``union_default_graph=False``: a query without a dataset reads the store's own default graph instead of
    the union of its graphs (the ontology graph's store, :mod:`mlkg.store.ontologygraph`)."""

    def __init__(self, *, union_default_graph: bool = True) -> None:
        self._scanned: dict[str, bool] = {}
        self._union = union_default_graph

    def query(
        self,
        store: ox.Store,
        *,
        query: str,
        bindings: Mapping[str, Term] | None = None,
        default_graphs: Sequence[URIRef] | None = None,
        named_graphs: Sequence[URIRef] | None = None,
        timeout: float | None = None,
    ) -> QueryResult:
        """Run a SPARQL 1.1 query (SELECT, ASK, CONSTRUCT, DESCRIBE).

        The RDF dataset (SPARQL 1.1 Protocol, section 2.1.4): ``default_graphs`` / ``named_graphs`` when
        given (they override ``FROM`` / ``FROM NAMED`` in the query); else the query's own ``FROM`` clauses;
        else the union of all graphs as the default graph. ``bindings`` are bound as RDF terms by pyoxigraph
        (SEP-0007 substitution), never formatted into the text; in a SELECT query, pyoxigraph only binds
        variables of the projection.

        ``timeout`` is checked while results are collected, so a query returning many rows stops in time,
        but one long evaluation step (a sort, an aggregate) cannot be interrupted: the HTTP layer enforces its
        own limit around this call.

        :raises QueryError: if the query is malformed (with pyoxigraph's parser message), is an update, uses
            ``SERVICE``, or binds a variable it cannot bind.
        :raises QueryTimeoutError: if collecting the results passes ``timeout`` seconds.
        :raises StoreError: if the store fails.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._query_errors(query):
            result = self._evaluate(store, query, bindings, default_graphs, named_graphs)
            # pyoxigraph's results must be dropped on the thread that made them: never let an exception's
            # traceback carry one to another thread (the HTTP layer runs queries in worker threads).
            try:
                if isinstance(result, ox.QueryBoolean):
                    return AskResult(value=bool(result))
                if isinstance(result, ox.QuerySolutions):
                    rows: list[tuple[Term | None, ...]] = []
                    for solution in result:
                        rows.append(tuple(None if t is None else to_rdflib(t) for t in solution))
                        _check_deadline(deadline, timeout)
                    return SelectResult(variables=[v.value for v in result.variables], rows=rows)
                return _graph_result(result, deadline, timeout)
            finally:
                del result

    def query_serialized(
        self,
        store: ox.Store,
        *,
        query: str,
        results_format: Callable[[], ResultsMediaType],
        bindings: Mapping[str, Term] | None = None,
        default_graphs: Sequence[URIRef] | None = None,
        named_graphs: Sequence[URIRef] | None = None,
        timeout: float | None = None,
    ) -> bytes | GraphResult:
        """Run a query like :meth:`query`; SELECT and ASK results come back already serialised by pyoxigraph
        in the media type ``results_format()`` picks (called once the query form is known), which skips
        converting every term to rdflib: the fast path of the HTTP ``/sparql`` endpoint. CONSTRUCT and
        DESCRIBE results come back as a :class:`GraphResult`.

        ``timeout`` is checked each time the serialiser writes, so a query streaming many results stops in
        time; one long evaluation step (an aggregate over everything) cannot be interrupted.

        :raises QueryError: as :meth:`query`; and whatever ``results_format`` raises.
        :raises QueryTimeoutError: if writing the results passes ``timeout`` seconds.
        :raises StoreError: if the store fails.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._query_errors(query):
            result = self._evaluate(store, query, bindings, default_graphs, named_graphs)
            output = _DeadlineBuffer(deadline, timeout)
            try:  # as in query(): the result is dropped on this thread, whatever happens
                if isinstance(result, ox.QueryTriples):
                    return _graph_result(result, deadline, timeout)
                fmt = ox.QueryResultsFormat.from_media_type(results_format())
                result.serialize(output, format=fmt)
            except OSError:
                if output.expired:
                    raise QueryTimeoutError(f"the query did not finish within {timeout} s") from None
                raise
            finally:
                del result
            # pyoxigraph writes carriage returns and control characters into XML as they are: repair or refuse
            return xml_results(output.getvalue()) if fmt == ox.QueryResultsFormat.XML else output.getvalue()

    def _has_from(self, query: str) -> bool:
        """True if the query has ``FROM`` clauses, remembered for recent texts (the lexer is slow)."""
        found = self._scanned.get(query)
        if found is None:
            found = has_dataset_clause(query)
            if len(self._scanned) >= 1024:
                self._scanned.clear()
            self._scanned[query] = found
        return found

    def _evaluate(
        self,
        store: ox.Store,
        query: str,
        bindings: Mapping[str, Term] | None,
        default_graphs: Sequence[URIRef] | None,
        named_graphs: Sequence[URIRef] | None,
    ) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        check_query(query)
        has_from = self._has_from(query)
        try:
            options: dict[str, object] = {}
            if default_graphs is not None:
                options["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
            elif self._union and (named_graphs is not None or not has_from):
                options["use_default_graph_as_union"] = True
            if named_graphs is not None:
                options["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
            if bindings:
                options["substitutions"] = {ox.Variable(k): to_ox(v) for k, v in bindings.items()}
        except ValueError as exc:
            raise QueryError(f"invalid graph IRI or binding: {exc}") from exc
        return store.query(query, **options)  # type: ignore[arg-type]

    @contextmanager
    def _query_errors(self, query: str) -> Iterator[None]:
        """Map pyoxigraph's errors while a query is parsed, evaluated or its results read."""
        try:
            yield
        except SyntaxError as exc:
            hint = " (this is a SPARQL Update: run it as an update)" if looks_like_update(query) else ""
            raise QueryError(f"malformed SPARQL query: {exc}{hint}") from exc
        except RuntimeError as exc:
            unbindable = NOT_PROJECTED.search(str(exc))
            if unbindable:
                name = unbindable.group(1)
                raise QueryError(
                    f"cannot bind ?{name}: the embedded store binds only variables of the SELECT projection "
                    f"(SEP-0007); add ?{name} to the SELECT clause"
                ) from exc
            raise QueryError(f"SPARQL query failed: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"the store failed during a query: {exc}") from exc


class _DeadlineBuffer(io.BytesIO):
    """A bytes buffer whose ``write`` fails once ``deadline`` has passed, to stop a native serialiser."""

    def __init__(self, deadline: float | None, timeout: float | None) -> None:
        super().__init__()
        self.deadline = deadline
        self.timeout = timeout
        self.expired = False

    def write(self, data: ReadableBuffer, /) -> int:
        if self.deadline is not None and time.monotonic() > self.deadline:
            self.expired = True
            raise QueryTimeoutError(f"the query did not finish within {self.timeout} s")
        return super().write(data)


def _graph_result(result: ox.QueryTriples, deadline: float | None, timeout: float | None) -> GraphResult:
    triples: list[Triple] = []
    try:
        for s, p, o in result:
            triples.append((to_rdflib(s), to_rdflib(p), to_rdflib(o)))  # type: ignore[arg-type]
            _check_deadline(deadline, timeout)
    finally:
        del result  # see OxigraphStore.query
    return GraphResult(triples=triples)


def _check_deadline(deadline: float | None, timeout: float | None) -> None:
    if deadline is not None and time.monotonic() > deadline:
        raise QueryTimeoutError(f"the query did not finish within {timeout} s")
