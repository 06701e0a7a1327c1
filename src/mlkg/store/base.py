"""The ``Store`` protocol every backend implements, and the value types that cross it.

Terms crossing the protocol are rdflib terms (``URIRef``, ``BNode``, ``Literal``), so no code outside
``store/`` sees a backend's own types. Graph names are ``URIRef``; the default graph is ``None``.

Optional capabilities (:class:`SerializedQuery`, :class:`NativeDump`, :class:`MergedTriples`,
:class:`GraphSync`, :class:`BulkAppend`, :class:`BulkTriples`) are protocols a backend may implement next to
:class:`Store`; code using one checks ``isinstance`` and falls back to the :class:`Store` methods. The
read capabilities pass through :class:`mlkg.reasoning.store.ReasonedStore`; the write ones do not (a write
through them would bypass the reasoner), so only the reasoner uses them, on the wrapped store.

Semantics every backend guarantees (checked by ``tests/store/test_contract.py``):

- one named graph per entity document; :meth:`Store.replace_graphs` drops and rewrites the given graphs in
  one transaction (all or nothing), so a reader never sees half a document;
- :meth:`Store.query` sees the union of all stored graphs as its default graph unless ``default_graphs`` is
  given (SPARQL 1.1 Protocol ``default-graph-uri`` / ``named-graph-uri``, section 2.1.4); the ontology graph
  is not stored but served by the backend, answering only queries that name it
  (:mod:`mlkg.store.ontologygraph`);
- parameters are bound as RDF terms (``bindings``), never formatted into the query text.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import BinaryIO, Protocol, Self, runtime_checkable
from typing import Literal as TypingLiteral

from rdflib import BNode, Literal, URIRef

from mlkg.formats import RdfFormat

__all__ = [
    "AskResult",
    "BulkAppend",
    "BulkTriples",
    "GraphName",
    "GraphResult",
    "GraphSync",
    "MergedTriples",
    "NativeDump",
    "Object",
    "Quad",
    "QueryResult",
    "RdfFormat",
    "ResultsMediaType",
    "SelectResult",
    "SerializedQuery",
    "Store",
    "Subject",
    "Term",
    "Triple",
    "WriteCounter",
]

Subject = URIRef | BNode
Object = URIRef | BNode | Literal
Term = URIRef | BNode | Literal
Triple = tuple[Subject, URIRef, Object]
GraphName = URIRef | None
Quad = tuple[Subject, URIRef, Object, GraphName]


@dataclass(frozen=True)
class SelectResult:
    """The solutions of a SELECT query: variable names (no ``?``) and one tuple per row (None = unbound)."""

    variables: list[str]
    rows: list[tuple[Term | None, ...]] = field(default_factory=list)

    def dicts(self) -> list[dict[str, Term]]:
        """Rows as ``{variable: term}`` dicts, leaving out unbound variables."""
        return [
            {v: t for v, t in zip(self.variables, row, strict=True) if t is not None} for row in self.rows
        ]


@dataclass(frozen=True)
class AskResult:
    """The answer of an ASK query."""

    value: bool


@dataclass(frozen=True)
class GraphResult:
    """The triples of a CONSTRUCT or DESCRIBE query."""

    triples: list[Triple]


QueryResult = SelectResult | AskResult | GraphResult

#: The SPARQL results serialisations a backend may write itself (see :class:`SerializedQuery`).
ResultsMediaType = TypingLiteral[
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
]


@runtime_checkable
class SerializedQuery(Protocol):
    """Optional: a backend that serialises SELECT / ASK results itself, without building rdflib terms."""

    def query_serialized(
        self,
        *,
        query: str,
        results_format: Callable[[], ResultsMediaType],
        bindings: Mapping[str, Term] | None = None,
        default_graphs: Sequence[URIRef] | None = None,
        named_graphs: Sequence[URIRef] | None = None,
        timeout: float | None = None,
    ) -> bytes | GraphResult: ...


@runtime_checkable
class NativeDump(Protocol):
    """Optional: a backend that serialises itself (e.g. :class:`mlkg.store.oxigraph.OxigraphStore`).

    ``graph`` given: that graph only; otherwise every graph except ``exclude``. Dataset formats keep graph
    names; triple formats write the merge.
    """

    def dump(
        self,
        *,
        format: RdfFormat,
        output: BinaryIO,
        graph: URIRef | None = None,
        exclude: Collection[URIRef] = (),
        prefixes: Mapping[str, str] | None = None,
    ) -> None: ...


@runtime_checkable
class MergedTriples(Protocol):
    """Optional: a backend that reads the set union of its graphs itself (e.g.
    :class:`mlkg.store.oxigraph.OxigraphStore`: the engine removes duplicates, not a Python set)."""

    def merged_triples(self, *, exclude: Collection[URIRef] = ()) -> Iterator[Triple]: ...


@runtime_checkable
class Store(Protocol):
    """A quad store holding one named graph per entity document.

    Every method raises :class:`mlkg.errors.StoreError` when the backend fails, and query methods raise
    :class:`mlkg.errors.QueryError` for a malformed query and :class:`mlkg.errors.QueryTimeoutError` when the
    time limit passes.
    """

    def replace_graphs(self, *, graphs: Mapping[URIRef, Iterable[Triple]]) -> None:
        """Drop each named graph in ``graphs`` and write its new triples, all in one transaction."""
        ...

    def load_graph(self, *, graph: URIRef, triples: Iterable[Triple]) -> int:
        """Replace one named graph with a large stream of triples (the inferred graph on a full recompute).
        Returns the number of triples written. Not one transaction on either backend (the graph is too large
        to stage): a reader during the load may see part of the new graph, and a failed load leaves it partial
        until the next recompute."""
        ...

    def change_graph(self, *, graph: URIRef, delete: Iterable[Triple], insert: Iterable[Triple]) -> None:
        """Remove ``delete`` from and add ``insert`` to one named graph, in one transaction."""
        ...

    def delete_graphs(self, *, graphs: Iterable[URIRef]) -> int:
        """Drop the named graphs, in one transaction; return how many existed."""
        ...

    def graph_names(self) -> list[URIRef]:
        """Every named graph that holds at least one triple."""
        ...

    def has_graph(self, *, graph: URIRef) -> bool:
        """True if the named graph holds at least one triple."""
        ...

    def quads(
        self,
        *,
        subject: Subject | None = None,
        predicate: URIRef | None = None,
        object: Object | None = None,
        graph: URIRef | None = None,
    ) -> Iterator[Quad]:
        """Stream the quads matching the pattern (None = any); ``graph=None`` means every graph, the default
        graph included (its quads carry graph None)."""
        ...

    def query(
        self,
        *,
        query: str,
        bindings: Mapping[str, Term] | None = None,
        default_graphs: Sequence[URIRef] | None = None,
        named_graphs: Sequence[URIRef] | None = None,
        timeout: float | None = None,
    ) -> QueryResult:
        """Run a SPARQL 1.1 query. The default graph is the union of all stored graphs unless
        ``default_graphs`` is given; a query naming the ontology graph is answered from it alone.
        ``bindings`` maps variable names (without ``?``) to RDF terms, bound before evaluation."""
        ...

    def update(
        self, *, update: str, using: Sequence[URIRef] = (), using_named: Sequence[URIRef] = ()
    ) -> None:
        """Run a SPARQL 1.1 Update in one transaction. ``using`` / ``using_named`` are the dataset of its
        WHERE patterns given by the protocol (SPARQL 1.1 Protocol 2.2.3, as ``USING`` / ``USING NAMED``);
        an update that has ``USING``, ``USING NAMED`` or ``WITH`` as well is refused with ``QueryError``."""
        ...

    def close(self) -> None:
        """Release the backend (file locks, connections). Idempotent."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


@runtime_checkable
class GraphSync(Protocol):
    """Optional: a backend that makes one graph hold exactly some triples by writing only the difference, and
    says what that changed. The reasoner uses it for a full recompute (``mlkg reason``) so it can report what
    it added and removed, not what it was given."""

    def sync_graph(self, *, graph: URIRef, triples: Iterable[Triple]) -> tuple[int, int]:
        """Make ``graph`` hold exactly ``triples``, as :meth:`Store.load_graph`; ``(added, removed)``."""
        ...


@runtime_checkable
class BulkAppend(Protocol):
    """Optional: a backend that adds many triples to one graph faster than :meth:`Store.change_graph` by not
    making it one transaction (a reader may see part of the addition; a failure may leave part of it). The
    reasoner uses it for large additions to the inferred graph, which is derived data (a recompute restores
    it) and only grows with entailments of asserted triples already written."""

    def append_graph(self, *, graph: URIRef, triples: Sequence[Triple]) -> None:
        """Add ``triples`` (no blank nodes) to ``graph``, not in one transaction."""
        ...


@runtime_checkable
class WriteCounter(Protocol):
    """Optional: a store that counts the writes made through it (:class:`~mlkg.reasoning.store.ReasonedStore`
    does, every write of any kind). A reader that saw a graph while the count was N knows the graph is the
    same while the count is still N: mlkg's process is the one writer of its store (the reasoner's state
    assumes it too, README "Running on a SPARQL engine")."""

    @property
    def writes(self) -> int:
        """Writes begun through this object so far (a failed one counts too)."""
        ...


@runtime_checkable
class BulkTriples(Protocol):
    """An optional fast path a backend may offer next to :class:`Store`, for bulk readers and writers such as
    the reasoner: terms cross it as their N-Triples text (``<iri>``, ``_:label``, ``"lexical"^^<datatype>``),
    so neither side builds an rdflib object per term. Code using it must fall back to the :class:`Store`
    methods when a backend does not offer it (``isinstance(store, BulkTriples)``).

    Keys must be exactly :func:`mlkg.ntriples.term_nt` of the rdflib term the :class:`Store`
    methods return for the same node, so both paths can be mixed.
    """

    def pairs_ntriples(
        self, *, predicate: URIRef, exclude_graphs: Collection[URIRef]
    ) -> Iterator[tuple[str, str]]:
        """``(subject, object)`` of every ``predicate`` triple of the default graph and of every IRI-named
        graph not in ``exclude_graphs``, once per graph holding it, as N-Triples terms."""
        ...

    def load_graph_ntriples(self, *, graph: URIRef, chunks: Iterable[str]) -> int:
        """:meth:`Store.load_graph` for N-Triples text: each chunk holds whole lines (triples of IRIs and
        literals, no blank nodes). Returns the number of triples written."""
        ...

    def graph_ntriples(self, *, graph: URIRef) -> Iterator[str]:
        """The triples of one named graph, one N-Triples line per item (ending with a newline); nothing for
        an empty or absent graph. A backend says whether the read is one snapshot."""
        ...

    def change_graph_ntriples(self, *, graph: URIRef, delete: Sequence[str], insert: Sequence[str]) -> None:
        """:meth:`Store.change_graph` for N-Triples lines (one triple each, ending with a newline, no blank
        nodes). A backend may split a very large change into several transactions and must say so."""
        ...
