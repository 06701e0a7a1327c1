"""The search index itself: an SQLite database with an FTS5 table (docs/architecture.md, section 9).

Tables: ``entities`` (what a result shows, one row per entity), ``entity_tags`` and ``entity_owners`` (the
filters and facets), ``fts`` (FTS5 over the name, display name, fully qualified name, tags, description and
parts, ranked by bm25 with those column weights; a result named exactly by the search text first), ``dirty``
(entity graphs written since they were last read) and ``meta`` (the index format, the store it describes and
that store's size when last closed). On disk it runs in WAL mode, so other processes read while one writes.
One connection, used under the caller's lock.
"""

from __future__ import annotations

import json
import sqlite3
import weakref
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Final

from mlkg.errors import StoreError
from mlkg.search.documents import SearchDocument
from mlkg.search.highlight import folded_words, highlight
from mlkg.search.results import Facets, Fragment, SearchHit, SearchResults
from mlkg.search.terms import words

__all__ = ["FORMAT", "IndexFilters", "SqliteIndex"]

#: The layout version of the index file: an index of another version is rebuilt.
FORMAT: Final = "2"
#: bm25 weights of the FTS5 columns: name, display name, fully qualified name, tags, description, parts.
WEIGHTS: Final = (10.0, 8.0, 5.0, 4.0, 1.0, 2.0)
#: What a result whose name, display name or fully qualified name is the whole search text gains.
EXACT_BONUS: Final = 10.0
#: Values listed per tag / owner facet.
FACET_VALUES: Final = 20

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entities(
    id INTEGER PRIMARY KEY, iri TEXT NOT NULL UNIQUE, type TEXT NOT NULL, name TEXT, display TEXT, fqn TEXT,
    description TEXT, tags TEXT NOT NULL, owners TEXT NOT NULL, sortkey TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS entities_type ON entities(type);
CREATE INDEX IF NOT EXISTS entities_sort ON entities(sortkey);
CREATE TABLE IF NOT EXISTS entity_tags(tag TEXT NOT NULL COLLATE NOCASE, id INTEGER NOT NULL,
    PRIMARY KEY(tag, id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entity_tags_id ON entity_tags(id);
CREATE TABLE IF NOT EXISTS entity_owners(owner TEXT NOT NULL COLLATE NOCASE, id INTEGER NOT NULL,
    PRIMARY KEY(owner, id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entity_owners_id ON entity_owners(id);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
    name, display, fqn, tags, description, parts, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3');
CREATE TABLE IF NOT EXISTS dirty(iri TEXT PRIMARY KEY) WITHOUT ROWID;
"""


class IndexFilters:
    """The filters of one search, as SQL conditions on ``e`` (entities) with their parameters."""

    def __init__(self, *, type: str | None, tag: str | None, owner: str | None) -> None:
        self.type, self.tag, self.owner = type, tag, owner

    def sql(self, *, without: str | None = None) -> tuple[str, list[object]]:
        """``AND ...`` conditions for every filter given except ``without`` (a facet's own)."""
        conditions: list[str] = []
        params: list[object] = []
        if self.type is not None and without != "type":
            conditions.append("e.type = ?")
            params.append(self.type)
        if self.tag is not None and without != "tag":
            conditions.append("e.id IN (SELECT id FROM entity_tags WHERE tag = ?)")
            params.append(self.tag)
        if self.owner is not None and without != "owner":
            conditions.append("e.id IN (SELECT id FROM entity_owners WHERE owner = ?)")
            params.append(self.owner)
        return "".join(f" AND {c}" for c in conditions), params


class SqliteIndex:
    """One SQLite search database: at ``path``, or in memory (``path=None``); ``read_only`` opens an existing
    file without ever writing it.

    :raises StoreError: if the database cannot be opened or created, or SQLite lacks FTS5.
    """

    def __init__(self, *, path: Path | None, read_only: bool = False) -> None:
        self.path = path
        self.read_only = read_only
        try:
            if path is None:
                self._db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
            elif read_only:
                uri = f"{path.resolve().as_uri()}?mode=ro"
                self._db = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
            # an index never closed (a catalog dropped without close()) closes its connection when collected
            self._finalizer = weakref.finalize(self, self._db.close)
            self._db.execute("PRAGMA busy_timeout=10000")
            if not read_only:
                self._db.executescript(_SCHEMA)
        except (sqlite3.Error, OSError) as error:
            raise StoreError(f"cannot open the search index {path or 'in memory'}: {error}") from error

    # -- meta ------------------------------------------------------------------------------------------------

    def meta(self) -> dict[str, str]:
        """The recorded facts about the index (empty for a new one)."""
        try:
            return dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.Error:
            return {}

    def set_meta(self, **values: str | None) -> None:
        """Record (a value) or forget (None) facts about the index."""
        with self._transaction():
            for key, value in values.items():
                if value is None:
                    self._db.execute("DELETE FROM meta WHERE key = ?", (key,))
                else:
                    self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # -- writing ---------------------------------------------------------------------------------------------

    def _transaction(self) -> _Transaction:
        if self.read_only:
            raise StoreError(f"the search index {self.path} was opened read-only")
        return _Transaction(self._db)

    def clear(self) -> None:
        """Forget every entity and every dirty mark."""
        with self._transaction():
            for table in ("entities", "entity_tags", "entity_owners", "fts", "dirty"):
                self._db.execute(f"DELETE FROM {table}")

    def put(self, *, remove: Iterable[str], documents: Iterable[SearchDocument]) -> None:
        """Remove the entities ``remove`` (IRIs) and store ``documents`` (replacing their previous rows), and
        clear their dirty marks, in one transaction."""
        with self._transaction():
            for iri in remove:
                self._remove(iri)
            for document in documents:
                self._remove(document.iri)
                self._insert(document)

    def _remove(self, iri: str) -> None:
        self._db.execute("DELETE FROM dirty WHERE iri = ?", (iri,))
        row = self._db.execute("SELECT id FROM entities WHERE iri = ?", (iri,)).fetchone()
        if row is None:
            return
        for table in ("entities", "entity_tags", "entity_owners"):
            self._db.execute(f"DELETE FROM {table} WHERE id = ?", row)
        self._db.execute("DELETE FROM fts WHERE rowid = ?", row)

    def _insert(self, d: SearchDocument) -> None:
        sortkey = (d.display_name or d.name or d.fqn or d.iri).lower()
        cursor = self._db.execute(
            "INSERT INTO entities(iri, type, name, display, fqn, description, tags, owners, sortkey)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                d.iri,
                d.type,
                d.name,
                d.display_name,
                d.fqn,
                d.description,
                json.dumps(d.tags),
                json.dumps(d.owners),
                sortkey,
            ),
        )
        rowid = cursor.lastrowid
        self._db.executemany("INSERT OR IGNORE INTO entity_tags VALUES (?, ?)", [(t, rowid) for t in d.tags])
        self._db.executemany(
            "INSERT OR IGNORE INTO entity_owners VALUES (?, ?)", [(o, rowid) for o in d.owners]
        )
        self._db.execute(
            "INSERT INTO fts(rowid, name, display, fqn, tags, description, parts)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                rowid,
                d.name_words,
                d.display_words,
                d.fqn or "",
                " ".join(d.tags),
                d.description or "",
                d.parts,
            ),
        )

    def mark_dirty(self, iris: Iterable[str]) -> None:
        """Record that these entity graphs were written and must be read again before the next search."""
        with self._transaction():
            self._db.executemany("INSERT OR IGNORE INTO dirty VALUES (?)", [(i,) for i in iris])

    def dirty(self, *, limit: int) -> list[str]:
        """Up to ``limit`` graphs marked dirty."""
        return [r[0] for r in self._db.execute("SELECT iri FROM dirty LIMIT ?", (limit,))]

    # -- reading ---------------------------------------------------------------------------------------------

    def count(self) -> int:
        """How many entities the index holds."""
        return int(self._db.execute("SELECT count(*) FROM entities").fetchone()[0])

    def search(
        self, *, text: str, match: str | None, filters: IndexFilters, limit: int, offset: int
    ) -> SearchResults:
        """The entities matching ``match`` (an FTS5 expression from :mod:`mlkg.search.terms`; None: every
        entity, by name) and ``filters``, best first, with the facets of the whole match."""
        exact = text.strip()
        if match is None:  # every entity: no match to join
            params: list[object] = []
            score, score_params = "0.0", []
            head = "SELECT {} FROM entities e"
            counted = head
        else:
            weights = ", ".join(str(w) for w in WEIGHTS)
            matched = f"SELECT rowid AS id, bm25(fts, {weights}) AS rank FROM fts WHERE fts MATCH ?"
            params = [match]
            # the whole text is the entity's name, display name or fully qualified name: first
            score = (
                f"m.rank - {EXACT_BONUS} * (ifnull(e.name, '') = ? COLLATE NOCASE"
                " OR ifnull(e.display, '') = ? COLLATE NOCASE OR ifnull(e.fqn, '') = ? COLLATE NOCASE)"
            )
            score_params = [exact, exact, exact]
            # MATERIALIZED: the match is run once, not once per entity a filter's index yields
            head = f"WITH m AS MATERIALIZED ({matched}) SELECT {{}} FROM m JOIN entities e ON e.id = m.id"
            # counts need no ranking: bm25 is computed for the rows shown only
            counted = (
                "WITH m AS MATERIALIZED (SELECT rowid AS id FROM fts WHERE fts MATCH ?)"
                " SELECT {} FROM m JOIN entities e ON e.id = m.id"
            )
        where, where_params = filters.sql()
        try:
            rows = self._db.execute(
                head.format(
                    "e.id, e.iri, e.type, e.name, e.display, e.fqn, e.description, e.tags, e.owners,"
                    f" {score} AS score"
                )
                + f" WHERE 1{where} ORDER BY score, e.sortkey, e.iri LIMIT ? OFFSET ?",
                [*params, *score_params, *where_params, limit, offset],
            ).fetchall()
            total, facets = self._counts(counted, params, filters)
            marked = self._highlights(words(text), rows) if match is not None else {}
        except sqlite3.Error as error:
            raise StoreError(f"the search index failed: {error}") from error
        hits = [
            SearchHit(
                iri=r[1],
                type=r[2],
                name=r[3],
                displayName=r[4],
                fullyQualifiedName=r[5],
                description=r[6],
                tags=json.loads(r[7]),
                owners=json.loads(r[8]),
                score=round(-float(r[9]), 6) + 0.0,
                highlights=marked.get(r[0], {}),
            )
            for r in rows
        ]
        return SearchResults(query=text, total=total, limit=limit, offset=offset, results=hits, facets=facets)

    def _counts(self, head: str, params: Sequence[object], filters: IndexFilters) -> tuple[int, Facets]:
        """The number of matching entities and the facets (each leaving its own filter out); one statement
        each, which SQLite plans from the match (a single UNION of them was planned from the tag and owner
        tables, several times slower). Without a type filter the total is the sum of the type facet."""
        joins = {
            "type": "",
            "tag": " JOIN entity_tags t ON t.id = e.id",
            "owner": " JOIN entity_owners o ON o.id = e.id",
        }
        keys = {"type": "e.type", "tag": "t.tag", "owner": "o.owner"}
        found: dict[str, dict[str, int]] = {}
        for name in ("type", "tag", "owner"):
            where, where_params = filters.sql(without=name)
            limit = "" if name == "type" else f" LIMIT {FACET_VALUES}"
            sql = (
                head.format(f"{keys[name]} AS k, count(*) AS n")
                + f"{joins[name]} WHERE 1{where} GROUP BY k ORDER BY n DESC, k{limit}"
            )
            found[name] = {str(k): int(n) for k, n in self._db.execute(sql, [*params, *where_params])}
        if filters.type is None:
            return sum(found["type"].values()), Facets(**found)
        where, where_params = filters.sql()
        total = self._db.execute(head.format("count(*)") + f" WHERE 1{where}", [*params, *where_params])
        return int(total.fetchone()[0]), Facets(**found)

    def _highlights(
        self, searched: list[str], rows: list[tuple[Any, ...]]
    ) -> dict[int, dict[str, list[Fragment]]]:
        """The matching passages of the description and the parts of the rows shown (by rowid: no match)."""
        if not rows:
            return {}
        ids = [r[0] for r in rows]
        parts = dict(
            self._db.execute(
                f"SELECT rowid, parts FROM fts WHERE rowid IN ({', '.join('?' * len(ids))})", ids
            )
        )
        folded = folded_words(searched)
        found: dict[int, dict[str, list[Fragment]]] = {}
        for row in rows:
            fields = {"description": row[6] or "", "parts": parts.get(row[0]) or ""}
            marked = {k: f for k, v in fields.items() if v and (f := highlight(v, folded)) is not None}
            found[row[0]] = marked
        return found

    def close(self) -> None:
        """Close the database. Idempotent."""
        self._finalizer()


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on an error) on an autocommit connection."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> sqlite3.Connection:
        self._db.execute("BEGIN IMMEDIATE")
        return self._db

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("ROLLBACK" if exc_type is not None else "COMMIT")
