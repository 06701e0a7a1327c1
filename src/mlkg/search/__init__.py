"""Full-text search over the catalog's entities (docs/architecture.md, section 9; README, "Search"): an
SQLite FTS5 index kept in step with every write (:class:`SearchKeeper`), answering
:class:`SearchResults`."""

from mlkg.search.documents import SearchDocument, describe
from mlkg.search.keeper import MAX_LIMIT, MAX_OFFSET, SearchKeeper
from mlkg.search.location import index_path, store_identity
from mlkg.search.results import Facets, Fragment, SearchHit, SearchResults

__all__ = [
    "MAX_LIMIT",
    "MAX_OFFSET",
    "Facets",
    "Fragment",
    "SearchDocument",
    "SearchHit",
    "SearchKeeper",
    "SearchResults",
    "describe",
    "index_path",
    "store_identity",
]
