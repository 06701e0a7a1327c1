"""The search index kept in step with a store (docs/architecture.md, section 9).

A :class:`SearchKeeper` observes every committed write of its :class:`~mlkg.reasoning.store.ReasonedStore`
(:mod:`mlkg.reasoning.written`): a dropped graph leaves the index at once; a written one is marked dirty (in
the index, so a process that dies leaves the mark) and read again at once (``queries/documents.rq`` bound to
the graph), unless the write named more than :data:`BULK_DIRTY` graphs (a bulk load): those wait, and the
next search reads every graph in one query; a write that may have changed unnamed graphs (``DROP ALL``,
``GRAPH ?g`` templates) marks the whole index stale, rebuilt by the next search.

On opening an existing index file the keeper checks that it is of this format, for this store, and that the
store holds the number of triples recorded when the index was last closed (one ``COUNT`` query: a write by
another program, or by a process that died, changes it); otherwise the first search rebuilds it. A keeper
that may not write the file (a read-only view of a store ``mlkg serve`` holds) reads it as the server keeps
it, or builds its own in memory.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Final

from rdflib import Literal, URIRef

from mlkg.errors import InputError, MlkgError, StoreError
from mlkg.reasoning.written import Written
from mlkg.resources import package_query
from mlkg.search.documents import SearchDocument, describe
from mlkg.search.index import FORMAT, IndexFilters, SqliteIndex
from mlkg.search.results import SearchResults
from mlkg.search.terms import match_expression
from mlkg.store.base import SelectResult, Store, Triple
from mlkg.vocab import INFERRED_GRAPH, ONTOLOGY_GRAPH, PENDING_GRAPH

__all__ = ["BULK_DIRTY", "MAX_LIMIT", "MAX_OFFSET", "SearchKeeper"]

#: Past this many dirty graphs, one query reading every graph is cheaper than one query per graph.
BULK_DIRTY: Final = 200
#: The largest page of results, and the most results skipped.
MAX_LIMIT: Final = 1000
MAX_OFFSET: Final = 1_000_000_000

#: mlkg's own graphs: never entity documents (the inferred graph is rewritten by ``mlkg reason``).
_NOT_ENTITIES: Final = frozenset({INFERRED_GRAPH, PENDING_GRAPH, ONTOLOGY_GRAPH})

_log = logging.getLogger("mlkg.search")


class SearchKeeper:
    """Search over ``store``'s entity graphs with the index at ``path`` (None: in memory).

    ``identity`` names the store (its directory or endpoint) in the index file; ``writable=False`` never
    writes the file; ``label`` names linked tags and owners from their IRIs; ``types`` maps the names a
    ``type`` filter accepts to the index's kind names.

    :raises StoreError: never for an unusable index file: it falls back to an in-memory index (logged).
    """

    def __init__(
        self,
        *,
        store: Store,
        path: Path | None,
        identity: str,
        writable: bool = True,
        label: Callable[[URIRef], str],
        types: Callable[[str], str],
    ) -> None:
        self._store = store
        self._identity = identity
        self._label = label
        self._types = types
        self._lock = threading.RLock()
        self._documents = package_query("mlkg.search", "documents")
        self._size = package_query("mlkg.search", "store-size")
        self._changed = False
        self.index = self._open(path, writable)

    def _open(self, path: Path | None, writable: bool) -> SqliteIndex:
        if path is None:
            self._stale = True
            return SqliteIndex(path=None)
        try:
            if writable:
                existed = path.is_file()
                index = SqliteIndex(path=path)
                self.index = index
                self._stale = not existed or not self._matches_store()
                return index
            if path.is_file():
                index = SqliteIndex(path=path, read_only=True)
                if index.meta().get("format") == FORMAT and index.meta().get("store") == self._identity:
                    self._stale = False
                    return index
                index.close()
        except StoreError as error:
            _log.warning("mlkg: %s; searching an index kept in memory instead", error)
        self._stale = True
        return SqliteIndex(path=None)

    # -- following writes ------------------------------------------------------------------------------------

    def observe(self, written: Written) -> None:
        """Follow one committed write (a :data:`~mlkg.reasoning.written.WriteObserver`). A failure marks the
        index stale: the next search rebuilds it."""
        if self.index.read_only:
            return
        with self._lock:
            try:
                if not self._changed and self.index.path is not None:
                    self.index.set_meta(triples=None)  # until closed, the index cannot vouch for the store
                self._changed = True
                if written.everything:
                    self._stale = True
                    self.index.set_meta(stale="1")
                elif written.deleted:
                    self.index.put(remove=[str(g) for g in written.graphs], documents=())
                else:
                    graphs = [g for g in written.graphs if g not in _NOT_ENTITIES]
                    names = [str(g) for g in graphs]
                    self.index.mark_dirty(names)  # kept if reading them now fails, or waits for a bulk read
                    if len(names) <= BULK_DIRTY and not self._stale:
                        documents = [d for g in graphs if (d := self._read_one(g)) is not None]
                        self.index.put(remove=names, documents=documents)
            except Exception:
                self._stale = True
                raise

    # -- searching -------------------------------------------------------------------------------------------

    def search(
        self,
        *,
        q: str = "",
        type: str | None = None,
        tag: str | None = None,
        owner: str | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> SearchResults:
        """The entities matching ``q`` (every word, as a prefix; empty: every entity, by name) and the
        filters, best first; see :class:`~mlkg.search.results.SearchResults`.

        :raises InputError: if ``q`` is too long, ``type`` names no kind of the ontology, or ``limit`` /
            ``offset`` are out of range (1..1000, >= 0).
        :raises StoreError: if the store cannot be read to bring the index up to date.
        """
        if not 1 <= limit <= MAX_LIMIT:
            raise InputError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
        if not 0 <= offset <= MAX_OFFSET:
            raise InputError(f"offset must be between 0 and {MAX_OFFSET}, not {offset}")
        match = match_expression(q)
        kind = self._types(type) if type else None
        filters = IndexFilters(type=kind, tag=tag or None, owner=owner or None)
        with self._lock:
            self.refresh()
            if match is None and q.strip():
                return SearchResults(query=q, total=0, limit=limit, offset=offset)
            return self.index.search(text=q, match=match, filters=filters, limit=limit, offset=offset)

    def refresh(self) -> None:
        """Bring the index up to date: checked against the store on first use, dirty graphs read again, a
        stale index rebuilt.

        :raises StoreError: if the store cannot be read.
        """
        with self._lock:
            if self.index.read_only:
                return
            if self._stale:
                self.rebuild()
                return
            while dirty := self.index.dirty(limit=BULK_DIRTY + 1):
                if len(dirty) > BULK_DIRTY:
                    self.rebuild()
                    return
                documents = [d for iri in dirty if (d := self._read_one(URIRef(iri))) is not None]
                self.index.put(remove=dirty, documents=documents)

    def warm(self) -> None:
        """:meth:`refresh`, logging a failure instead of raising it (a server starting: the next search tries
        again and reports the error)."""
        try:
            self.refresh()
        except MlkgError as error:
            _log.warning("mlkg: the search index could not be brought up to date: %s", error)

    def rebuild(self) -> int:
        """Read every entity graph of the store into an emptied index; return how many entities it holds.

        :raises StoreError: if the store cannot be read, or the index file was opened read-only.
        """
        with self._lock:
            graphs: dict[URIRef, list[Triple]] = {}
            for g, triple in self._rows(None):
                graphs.setdefault(g, []).append(triple)
            self.index.clear()
            self.index.put(remove=(), documents=self._describe_all(graphs.items()))
            self.index.set_meta(format=FORMAT, store=self._identity, stale=None)
            self._stale, self._changed = False, True
            return self.index.count()

    def _describe_all(self, graphs: Iterable[tuple[URIRef, list[Triple]]]) -> Iterator[SearchDocument]:
        for g, triples in graphs:
            document = describe(g, triples, label=self._label)
            if document is not None:
                yield document

    def _read_one(self, graph: URIRef) -> SearchDocument | None:
        return describe(graph, [t for _, t in self._rows(graph)], label=self._label)

    def _rows(self, graph: URIRef | None) -> Iterator[tuple[URIRef, Triple]]:
        result = self._store.query(query=self._documents, bindings=None if graph is None else {"g": graph})
        if not isinstance(result, SelectResult):
            raise StoreError("the search index's documents query gave no table")
        for g, s, p, o in result.rows:
            if isinstance(g, URIRef) and s is not None and isinstance(p, URIRef) and o is not None:
                if isinstance(s, Literal):
                    continue
                yield g, (s, p, o)

    # -- the store's state -----------------------------------------------------------------------------------

    def _store_size(self) -> int:
        result = self._store.query(query=self._size)
        if not isinstance(result, SelectResult) or not result.rows or result.rows[0][0] is None:
            raise StoreError("the store gave no triple count")
        return int(str(result.rows[0][0]))

    def _matches_store(self) -> bool:
        meta = self.index.meta()
        if (
            meta.get("format") != FORMAT
            or meta.get("store") != self._identity
            or meta.get("stale")
            or "triples" not in meta
        ):
            return False
        return meta["triples"] == str(self._store_size())

    def close(self) -> None:
        """Record the store's size (when this keeper changed the index) and close the index. Idempotent."""
        with self._lock:
            try:
                if self._changed and not self.index.read_only and self.index.path is not None:
                    if self._stale:
                        self.index.set_meta(stale="1")
                    else:  # graphs still marked dirty are read by the next search, in any process
                        self.index.set_meta(triples=str(self._store_size()))
                    self._changed = False
            except MlkgError as error:
                _log.warning("mlkg: the search index could not record the store's state: %s", error)
            finally:
                self.index.close()
