"""The embedded store: pyoxigraph 0.5 (RocksDB on disk, or in memory for tests).

Implements the :class:`~mlkg.store.base.Store` protocol. rdflib terms are converted to pyoxigraph terms at
this boundary and back; nothing outside ``mlkg.store`` sees a pyoxigraph object.

Every write is one SPARQL 1.1 Update request, which pyoxigraph applies in one transaction ("either the full
operation succeeds, or nothing is written"), so :meth:`OxigraphStore.replace_graphs` and
:meth:`OxigraphStore.delete_graphs` are all-or-nothing over all the graphs of a call.

pyoxigraph can fetch remote data (``LOAD <url>``, ``SERVICE <url>``); mlkg never lets it: both are refused
with :class:`~mlkg.errors.QueryError`, decided on the parsed text before the engine sees it
(:mod:`mlkg.store.sparqlcheck`).
"""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Callable, Collection, Generator, Iterable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import BinaryIO, Final, Self
from urllib.parse import quote

import pyoxigraph as ox
from rdflib import BNode, URIRef

from mlkg.errors import InputError, QueryError, StoreError, StoreInUseError, UnsupportedFormatError
from mlkg.ntriples import term_nt
from mlkg.store.base import (
    GraphResult,
    Object,
    Quad,
    QueryResult,
    RdfFormat,
    ResultsMediaType,
    Subject,
    Term,
    Triple,
)
from mlkg.store.ontologygraph import OntologyGraph, reads_ontology
from mlkg.store.oxbulk import change_ntriples, graph_ntriples, load_ntriples, ntriples_text, pairs_ntriples
from mlkg.store.oxquery import QueryRunner
from mlkg.store.oxterms import graph_quads, to_ox, to_rdflib
from mlkg.store.protocoltext import with_using
from mlkg.store.sparqlcheck import check_update
from mlkg.store.updatetext import change_operations, encode_graph
from mlkg.vocab import ONTOLOGY_GRAPH, PENDING_GRAPH

__all__ = ["OxigraphStore"]

#: The formats :meth:`OxigraphStore.dump` writes (pyoxigraph's format found by media type).
_NATIVE: Final = frozenset({RdfFormat.TURTLE, RdfFormat.NTRIPLES, RdfFormat.NQUADS, RdfFormat.TRIG})

#: Write records are empty named graphs named under this prefix (:meth:`OxigraphStore._change_records`).
_RECORDS: Final = f"{PENDING_GRAPH}/"


def _open_store(path: str | None) -> ox.Store:
    """Open (or create) the on-disk store at ``path``, or an in-memory one.

    If this process still holds the directory lock through a store that is unreachable but not yet
    collected (see :meth:`OxigraphStore.close`), collect the garbage and try once more.
    """
    if path is None:
        return ox.Store()
    try:
        return ox.Store(path)
    except OSError as exc:
        if "lock hold by current process" not in str(exc):
            raise
        gc.collect()
        return ox.Store(path)


class OxigraphStore:
    """A :class:`~mlkg.store.base.Store` on pyoxigraph: on disk at ``path``, or in memory if ``path`` is None.

    ``read_only=True`` opens a read-only view of the on-disk store at ``path`` (pyoxigraph
    ``Store.read_only``), which works while another process holds the store open for writing: the view holds
    every write committed before it was opened and no later one (used by the HTTP service's query worker
    processes, :mod:`mlkg.api.workers`). Writing through it fails with :class:`StoreError`.

    :raises StoreInUseError: if the directory is in use by another process (RocksDB holds a lock on it).
    :raises StoreError: if the directory cannot be created or opened; for a read-only view, if the directory
        holds no store or changed while it was being opened (compaction removed a file: open it again).
    """

    def __init__(self, *, path: str | os.PathLike[str] | None, read_only: bool = False) -> None:
        self.path = None if path is None else os.fspath(path)
        self.read_only = read_only
        self._write_lock = threading.Lock()
        self._queries = QueryRunner()
        self._ontology: OntologyGraph | None = None
        try:
            if read_only:
                if self.path is None:
                    raise StoreError("a read-only view needs an on-disk store")
                self._store: ox.Store | None = ox.Store.read_only(self.path)
            else:
                self._store = _open_store(self.path)
        except (OSError, RuntimeError) as exc:
            if "lock" in str(exc).lower() and self.path is not None:
                raise StoreInUseError(
                    f"the store directory {self.path!r} is in use by another process (or already open in "
                    f"this one); stop the other mlkg process or use another --store directory ({exc})",
                    path=self.path,
                ) from exc
            raise StoreError(f"cannot open the store directory {self.path!r}: {exc}") from exc

    # -- life cycle ---------------------------------------------------------------------------------------

    def _open(self) -> ox.Store:
        if self._store is None:
            raise StoreError("the store is closed")
        return self._store

    def close(self) -> None:
        """Flush and release the store (and its directory lock). Idempotent.

        The lock is released once no iterator returned by :meth:`quads` is alive any more.
        """
        store, self._store = self._store, None
        if store is not None and self.path is not None and not self.read_only:
            try:
                store.flush()
            except OSError as exc:
                raise StoreError(f"cannot flush the store {self.path!r}: {exc}") from exc
            del store
            # Frames caught in reference cycles (rdflib's SPARQL parser backtracks with exceptions whose
            # tracebacks reach our frames) can keep the pyoxigraph store, and its directory lock, alive
            # until the next garbage collection: collect now, so the next opener finds the lock free.
            gc.collect()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- writes -------------------------------------------------------------------------------------------

    def _run_update(self, text: str) -> None:
        store = self._open()
        try:
            store.update(text)
        except SyntaxError as exc:
            raise QueryError(f"malformed SPARQL update: {exc}") from exc
        except RuntimeError as exc:
            raise QueryError(f"SPARQL update failed: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"the store failed during an update: {exc}") from exc

    def _extend(self, quads: list[ox.Quad]) -> None:
        """Add ``quads`` in one transaction (``Store.extend``: all of them or none)."""
        store = self._open()
        try:
            store.extend(quads)
        except OSError as exc:
            raise StoreError(f"the store failed during a write: {exc}") from exc

    def append_graph(self, *, graph: URIRef, triples: Sequence[Triple]) -> None:
        """Add ``triples`` to ``graph`` without one transaction (:class:`~mlkg.store.base.BulkAppend`):
        ``Store.bulk_load`` of N-Triples text when every term is an IRI (the inferred graph's case: no term
        object is built per triple), else ``Store.bulk_extend``. About 3.5 times faster than one transaction
        (``Store.extend`` or ``INSERT DATA``: 0.8 s against 2.8 s for 100k triples on disk), and not atomic.

        :raises InputError: if a term is not valid RDF or is a blank node.
        :raises StoreError: if the store fails (part of the triples may be written).
        """
        if all(type(t) is URIRef for triple in triples for t in triple):
            text = "".join(f"<{s}> <{p}> <{o}> .\n" for s, p, o in triples).encode("utf-8")
            self._bulk(
                graph,
                lambda store, target: store.bulk_load(text, format=ox.RdfFormat.N_TRIPLES, to_graph=target),
            )
            return
        if any(isinstance(t, BNode) for triple in triples for t in triple):
            raise InputError("append_graph takes no blank nodes", where=str(graph))
        quads = graph_quads(graph, triples)
        self._bulk(graph, lambda store, _: store.bulk_extend(quads))

    def _bulk(self, graph: URIRef, write: Callable[[ox.Store, ox.NamedNode], None]) -> None:
        store = self._open()
        with self._write_lock:
            try:
                write(store, ox.NamedNode(graph))
            except (SyntaxError, ValueError) as exc:
                raise InputError(f"invalid triple for {graph}: {exc}") from exc
            except OSError as exc:
                raise StoreError(f"the store failed while adding to {graph}: {exc}") from exc

    def replace_graphs(self, *, graphs: Mapping[URIRef, Iterable[Triple]]) -> None:
        """Drop each named graph of ``graphs`` and write its triples, all in one transaction.

        Blank nodes are written as fresh blank nodes, scoped to one graph of the call (SPARQL 1.1 Update
        3.1.1), so a blank node never joins two documents. A graph given no triples is just dropped.

        When none of the graphs exists yet (a first load), the triples are added with ``Store.extend``, one
        transaction without SPARQL text to parse (measured on the 100k benchmark catalog, see
        bench/README.md); otherwise one SPARQL Update drops and writes them in one transaction.

        :raises InputError: if a term is not valid RDF (an invalid IRI, a literal subject); nothing is
            written.
        :raises StoreError: if the store fails; nothing is written.
        """
        with self._write_lock:
            if graphs and not any(self.has_graph(graph=g) for g in graphs):
                self._extend([q for g, triples in graphs.items() for q in graph_quads(g, triples)])
                return
        iris: dict[str, str] = {}
        operations = [
            op for i, (g, triples) in enumerate(graphs.items()) for op in encode_graph(i, g, triples, iris)
        ]
        if operations:
            with self._write_lock:
                self._run_update(" ;\n".join(operations))

    def load_graph(self, *, graph: URIRef, triples: Iterable[Triple]) -> int:
        """Replace ``graph`` with a large stream of triples (the inferred graph on a full recompute).

        The graph is cleared, then the triples are bulk-loaded (pyoxigraph ``bulk_load``, N-Triples in chunks,
        never all in memory). This is the fast path and it is not one transaction: a reader running during the
        load may see part of the new graph, and if the load fails the graph is left partial (a recompute
        restores it). Staging into a scratch graph and one ``MOVE`` would make it atomic but costs as much as
        the load itself (measured: 1.5 s of 4.2 s for 680k triples).

        :raises InputError: if a term is not valid RDF.
        :raises StoreError: if the store fails.
        """
        store = self._open()
        try:
            chunks = ntriples_text(triples)
            with self._write_lock:
                return load_ntriples(store, graph=graph, chunks=chunks, compact=self.path is not None)
        except InputError as exc:  # a blank node or a term RDF cannot carry, from ntriples_text
            raise InputError(f"invalid triple for {graph}: {exc}") from exc

    def load_graph_ntriples(self, *, graph: URIRef, chunks: Iterable[str]) -> int:
        """:meth:`load_graph` for N-Triples text (:class:`~mlkg.store.base.BulkTriples`): no term is converted
        in Python, and the text is loaded in a worker thread while ``chunks`` is produced.

        :raises InputError: if the text is not valid N-Triples.
        :raises StoreError: if the store fails.
        """
        store = self._open()
        with self._write_lock:
            return load_ntriples(store, graph=graph, chunks=chunks, compact=self.path is not None)

    def graph_ntriples(self, *, graph: URIRef) -> Iterator[str]:
        """``graph`` as N-Triples lines (:class:`~mlkg.store.base.BulkTriples`), not read from one snapshot.

        :raises InputError: if ``graph`` is not a valid IRI.
        :raises StoreError: if the store fails, now or while iterating.
        """
        return graph_ntriples(self._open(), graph=graph)

    def change_graph_ntriples(self, *, graph: URIRef, delete: Sequence[str], insert: Sequence[str]) -> None:
        """:meth:`change_graph` for N-Triples lines (:class:`~mlkg.store.base.BulkTriples`): one
        transaction up to 200k lines, a larger change in several (a reader may then see part of it).

        :raises InputError: if a line is not a valid triple or holds a blank node.
        :raises StoreError: if the store fails.
        """
        store = self._open()
        with self._write_lock:
            change_ntriples(store, graph=graph, delete=delete, insert=insert)

    def pairs_ntriples(
        self, *, predicate: URIRef, exclude_graphs: Collection[URIRef]
    ) -> Iterator[tuple[str, str]]:
        """Subjects and objects of ``predicate`` as N-Triples text (:class:`~mlkg.store.base.BulkTriples`).

        :raises InputError: if an IRI is invalid.
        :raises StoreError: if the store fails.
        """
        return pairs_ntriples(self._open(), predicate=predicate, exclude_graphs=exclude_graphs)

    def change_graph(self, *, graph: URIRef, delete: Iterable[Triple], insert: Iterable[Triple]) -> None:
        """Remove ``delete`` from and add ``insert`` to ``graph`` in one SPARQL Update (one transaction).

        Only additions without blank nodes (the inferred graph growing during a load) are written with
        ``Store.extend`` instead, also one transaction. Write records (``graph=PENDING_GRAPH``) are kept as
        empty named graphs (:meth:`_change_records`).

        :raises InputError: if a term is not valid RDF or a triple holds a blank node; nothing is changed.
        :raises StoreError: if the store fails; nothing is changed.
        """
        delete, insert = list(delete), list(insert)
        if graph == PENDING_GRAPH:
            self._change_records(delete=delete, insert=insert)
            return
        if not delete and not any(isinstance(t, BNode) for triple in insert for t in triple):
            if insert:
                quads = graph_quads(graph, insert)
                with self._write_lock:
                    self._extend(quads)
            return
        operations = change_operations(graph, delete=delete, insert=insert)
        if operations:
            with self._write_lock:
                self._run_update(" ;\n".join(operations))

    def delete_graphs(self, *, graphs: Iterable[URIRef]) -> int:
        """Drop the named graphs in one transaction; return how many of them held at least one triple.

        :raises InputError: if a graph name is not a valid IRI.
        :raises StoreError: if the store fails; nothing is dropped.
        """
        iris: dict[str, str] = {}
        names = {name: encode_graph(0, name, (), iris)[0] for name in graphs}
        if not names:
            return 0
        with self._write_lock:
            existed = sum(self.has_graph(graph=name) for name in names)
            drops = list(names.values())
            if PENDING_GRAPH in names:
                drops += [f"DROP SILENT GRAPH <{record.value}>" for record in self._records()]
            self._run_update(" ;\n".join(drops))
        return existed

    def update(
        self, *, update: str, using: Sequence[URIRef] = (), using_named: Sequence[URIRef] = ()
    ) -> None:
        """Run a SPARQL 1.1 Update in one transaction (all its operations, or none).

        Its default graph is the store's own default graph (SPARQL 1.1 Update, section 3), not the union.
        A protocol dataset (``using`` / ``using_named``) is written into the text as ``USING`` clauses
        (:func:`mlkg.store.protocoltext.with_using`): pyoxigraph takes none apart from the text.

        :raises QueryError: if the update is malformed, fails (e.g. ``CREATE GRAPH`` of an existing graph),
            uses ``LOAD`` or ``SERVICE`` (disabled: mlkg never fetches remote data), or has ``USING`` /
            ``WITH`` while a protocol dataset is given.
        :raises StoreError: if the store fails.
        """
        update = with_using(update, using=using, using_named=using_named)
        check_update(update)
        with self._write_lock:
            self._run_update(update)

    # -- reads --------------------------------------------------------------------------------------------

    def _nonempty(self, store: ox.Store, graph: ox.NamedNode) -> bool:
        return next(iter(store.quads_for_pattern(None, None, None, graph)), None) is not None

    def graph_names(self) -> list[URIRef]:
        """Every named graph holding at least one triple, sorted (graphs named by blank nodes are left out).

        :raises StoreError: if the store fails.
        """
        store = self._open()
        try:
            return sorted(
                URIRef(name.value)
                for name in store.named_graphs()
                if isinstance(name, ox.NamedNode) and self._nonempty(store, name)
            )
        except OSError as exc:
            raise StoreError(f"the store failed listing graphs: {exc}") from exc

    def has_graph(self, *, graph: URIRef) -> bool:
        """True if the named graph holds at least one triple.

        :raises InputError: if ``graph`` is not a valid IRI.
        :raises StoreError: if the store fails.
        """
        store = self._open()
        if graph == ONTOLOGY_GRAPH:
            return True  # served from the shipped ontology (mlkg.store.ontologygraph)
        try:
            if graph == PENDING_GRAPH and any(True for _ in self._records()):
                return True
            return self._nonempty(store, ox.NamedNode(graph))
        except ValueError as exc:
            raise InputError(f"invalid graph IRI {str(graph)!r}: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"the store failed: {exc}") from exc

    def quads(
        self,
        *,
        subject: Subject | None = None,
        predicate: URIRef | None = None,
        object: Object | None = None,
        graph: URIRef | None = None,
    ) -> Iterator[Quad]:
        """Stream the quads matching the pattern (None = any).

        ``graph=None`` matches every graph, the default graph included (its quads have graph None); graphs
        named by blank nodes (only SPARQL Update can make them) are left out. ``graph=ONTOLOGY_GRAPH`` reads
        the ontology mlkg serves (:mod:`mlkg.store.ontologygraph`); ``graph=None`` does not include it.

        :raises InputError: if a pattern term is not valid RDF.
        :raises StoreError: if the store fails, now or while iterating.
        """
        store = self._open()
        if graph == ONTOLOGY_GRAPH:
            return self._ontology_graph().quads(subject=subject, predicate=predicate, object=object)
        try:
            found = store.quads_for_pattern(
                None if subject is None else to_ox(subject),  # type: ignore[arg-type]
                None if predicate is None else ox.NamedNode(predicate),
                None if object is None else to_ox(object),
                None if graph is None else ox.NamedNode(graph),
            )
        except ValueError as exc:
            raise InputError(f"invalid quad pattern: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"the store failed: {exc}") from exc
        return _stream_quads(found)

    def query(
        self,
        *,
        query: str,
        bindings: Mapping[str, Term] | None = None,
        default_graphs: Sequence[URIRef] | None = None,
        named_graphs: Sequence[URIRef] | None = None,
        timeout: float | None = None,
    ) -> QueryResult:
        """Run a SPARQL 1.1 query (SELECT, ASK, CONSTRUCT, DESCRIBE): see :meth:`QueryRunner.query`; a query
        of the ontology graph is answered from it alone (:func:`~mlkg.store.ontologygraph.reads_ontology`)."""
        store = self._open()
        runner, target = self._runner(query, default_graphs, named_graphs, store)
        return runner.query(
            target,
            query=query,
            bindings=bindings,
            default_graphs=default_graphs,
            named_graphs=named_graphs,
            timeout=timeout,
        )

    def query_serialized(
        self,
        *,
        query: str,
        results_format: Callable[[], ResultsMediaType],
        bindings: Mapping[str, Term] | None = None,
        default_graphs: Sequence[URIRef] | None = None,
        named_graphs: Sequence[URIRef] | None = None,
        timeout: float | None = None,
    ) -> bytes | GraphResult:
        """SELECT / ASK results serialised by pyoxigraph: see :meth:`QueryRunner.query_serialized`."""
        store = self._open()
        runner, target = self._runner(query, default_graphs, named_graphs, store)
        return runner.query_serialized(
            target,
            query=query,
            results_format=results_format,
            bindings=bindings,
            default_graphs=default_graphs,
            named_graphs=named_graphs,
            timeout=timeout,
        )

    def _records(self) -> Iterator[ox.NamedNode]:
        """The write records: named graphs whose name starts with :data:`_RECORDS` (one read of the graph
        names, made when a store is opened and after a write's record is dropped)."""
        for name in self._open().named_graphs():
            if isinstance(name, ox.NamedNode) and name.value.startswith(_RECORDS):
                yield name

    def _change_records(self, *, delete: list[Triple], insert: list[Triple]) -> None:
        """Write records (:mod:`mlkg.reasoning.journal`) as empty named graphs, one per record subject: a
        named graph is committed, durable and ordered with the writes as a triple is, but holds no triple,
        so the record is never part of a query's union default graph. Each change is one transaction.

        :raises StoreError: if the store fails.
        """
        store = self._open()
        with self._write_lock:
            try:
                for s, _, _ in delete:
                    store.remove_graph(_record_name(s))
                for s, _, _ in insert:
                    store.add_graph(_record_name(s))
            except OSError as exc:
                raise StoreError(f"the store failed writing a write record: {exc}") from exc

    def _ontology_graph(self) -> OntologyGraph:
        if self._ontology is None:
            self._ontology = OntologyGraph()
        return self._ontology

    def _runner(
        self,
        query: str,
        default_graphs: Sequence[URIRef] | None,
        named_graphs: Sequence[URIRef] | None,
        store: ox.Store,
    ) -> tuple[QueryRunner, ox.Store]:
        """The runner and pyoxigraph store a query goes to: the ontology graph's, or this store's."""
        if reads_ontology(query=query, default_graphs=default_graphs, named_graphs=named_graphs):
            ontology = self._ontology_graph()
            return ontology.queries, ontology.store
        return self._queries, store

    def drop_stored_ontology(self) -> bool:
        """Delete the copy of the ontology graph that earlier versions of mlkg wrote into every store (the
        ontology is now served from the shipped file, outside the default graph). True if there was one.

        :raises StoreError: if the store fails or is read-only.
        """
        store = self._open()
        name = ox.NamedNode(str(ONTOLOGY_GRAPH))
        try:
            if not store.contains_named_graph(name):
                return False
        except OSError as exc:
            raise StoreError(f"the store failed: {exc}") from exc
        with self._write_lock:
            self._run_update(f"DROP SILENT GRAPH <{ONTOLOGY_GRAPH}>")
        return True

    # -- native serialisation (used by mlkg.exports) -------------------------------------------------------

    def dump(
        self,
        *,
        format: RdfFormat,
        output: BinaryIO,
        graph: URIRef | None = None,
        exclude: Collection[URIRef] = (),
        prefixes: Mapping[str, str] | None = None,
    ) -> None:
        """Serialise natively with pyoxigraph, streaming to ``output``: Turtle, N-Triples, N-Quads or TriG.

        ``graph`` given: that named graph only (dataset formats keep its name; the ontology graph is the one
        mlkg serves). Otherwise every graph (the
        default graph included) except those in ``exclude``: dataset formats keep graph names, triple
        formats write the set union of the graphs' triples (:meth:`merged_triples`), each triple once.

        :raises UnsupportedFormatError: for RDF/XML and JSON-LD, which :mod:`mlkg.exports` writes itself
            (pyoxigraph's RDF/XML loses carriage returns and can be malformed; JSON-LD must be compacted).
        :raises InputError: if a graph name is not a valid IRI.
        :raises StoreError: if the store fails.
        """
        store = self._open()
        if graph == ONTOLOGY_GRAPH:  # served from the shipped ontology (mlkg.store.ontologygraph)
            store = self._ontology_graph().store
        if format not in _NATIVE:
            raise UnsupportedFormatError(f"the embedded store does not write {format.value} itself")
        fmt = ox.RdfFormat.from_media_type(format.media_type)
        assert fmt is not None
        pfx = dict(prefixes) if prefixes else None
        try:
            name = None if graph is None else ox.NamedNode(graph)
            skip = frozenset(term_nt(g) for g in exclude)
        except ValueError as exc:
            raise InputError(f"invalid graph IRI: {exc}") from exc
        try:
            if name is not None and fmt.supports_datasets:
                ox.serialize(store.quads_for_pattern(None, None, None, name), output, fmt, prefixes=pfx)
            elif name is not None:
                store.dump(output, fmt, from_graph=name, prefixes=pfx)
            elif fmt.supports_datasets and skip:
                quads = store.quads_for_pattern(None, None, None, None)
                ox.serialize((q for q in quads if str(q.graph_name) not in skip), output, fmt, prefixes=pfx)
            elif fmt.supports_datasets:
                store.dump(output, fmt, prefixes=pfx)
            else:
                distinct = _distinct_triples(store, skip)
                try:
                    triples = (ox.Triple(s, p, o) for s, p, o in distinct)  # type: ignore[arg-type]
                    ox.serialize(triples, output, fmt, prefixes=pfx)
                finally:
                    distinct.close()  # drops the engine's solutions on this thread, whatever happens
        except (OSError, RuntimeError, SyntaxError, ValueError) as exc:
            raise StoreError(f"cannot write {format.value}: {exc}") from exc

    def merged_triples(self, *, exclude: Collection[URIRef] = ()) -> Iterator[Triple]:
        """The set union of the triples of every graph (the default graph included) except ``exclude``:
        each triple once, however many graphs hold it (what the triple formats of a whole-store export
        hold, :mod:`mlkg.exports`).

        ``SELECT DISTINCT``: the engine keeps every distinct triple in memory while streaming. (A
        ``CONSTRUCT`` is not a set in pyoxigraph 0.5: it writes a triple with a blank node once per graph, and
        forgets what it wrote after a million triples.)

        :raises StoreError: if the store fails, now or while iterating.
        """
        store = self._open()
        skip = frozenset(term_nt(g) for g in exclude)
        distinct = _distinct_triples(store, skip)
        try:
            for s, p, o in distinct:
                yield to_rdflib(s), to_rdflib(p), to_rdflib(o)  # type: ignore[misc]
        except (OSError, RuntimeError) as exc:
            raise StoreError(f"the store failed while reading triples: {exc}") from exc
        finally:
            distinct.close()


def _distinct_triples(store: ox.Store, skip: Collection[str]) -> Generator[tuple[object, object, object]]:
    """Each triple of every graph but those named in ``skip`` (N-Triples text), once."""
    where = "?s ?p ?o"
    if skip:
        kept = f"GRAPH ?g {{ ?s ?p ?o }} FILTER(?g NOT IN ({', '.join(sorted(skip))}))"
        where = f"{{ ?s ?p ?o }} UNION {{ {kept} }}"
    found = store.query(f"SELECT DISTINCT ?s ?p ?o WHERE {{ {where} }}", use_default_graph_as_union=not skip)
    assert isinstance(found, ox.QuerySolutions)
    try:
        for solution in found:
            yield solution[0], solution[1], solution[2]
    finally:
        del found  # pyoxigraph's solutions may only be dropped on the thread that made them


def _record_name(subject: Subject) -> ox.NamedNode:
    return ox.NamedNode(_RECORDS + quote(str(subject), safe=""))


def _stream_quads(found: Iterator[ox.Quad]) -> Iterator[Quad]:
    try:
        for s, p, o, g in found:
            if type(g) is ox.DefaultGraph:
                name = None
            elif type(g) is ox.NamedNode:
                name = URIRef(g.value)
            else:
                continue
            yield to_rdflib(s), to_rdflib(p), to_rdflib(o), name  # type: ignore[misc]
    except OSError as exc:
        raise StoreError(f"the store failed while reading quads: {exc}") from exc
