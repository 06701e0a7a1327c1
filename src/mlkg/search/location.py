"""Where the search index of a store lives (docs/architecture.md, section 9; README, "Search").

``MLKG_SEARCH_INDEX`` / ``--search-index`` names the file, or ``memory:`` for an index kept in memory (built
at the first search of each process). Unset: beside an on-disk store (``<store>/search.sqlite3``: RocksDB
leaves files it does not know alone), in memory for an in-memory store, and for a SPARQL engine a file per
endpoint under the user's cache directory (``$XDG_CACHE_HOME/mlkg/search/``, default ``~/.cache``).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Final

from mlkg.config import MEMORY_STORE, Settings

__all__ = ["INDEX_FILE", "index_path", "store_identity"]

#: The index file's name in an on-disk store's directory.
INDEX_FILE: Final = "search.sqlite3"


def store_identity(*, settings: Settings) -> str:
    """The store an index describes, as recorded in it: the query endpoint, ``memory:``, or the absolute
    directory of the on-disk store."""
    if settings.sparql_endpoint:
        return settings.sparql_endpoint
    if settings.store == MEMORY_STORE:
        return MEMORY_STORE
    return str(Path(settings.store).expanduser().resolve())


def index_path(*, settings: Settings) -> Path | None:
    """The index file for the store ``settings`` select; None for an index in memory."""
    chosen = settings.search_index
    if chosen == MEMORY_STORE:
        return None
    if chosen:
        return Path(chosen).expanduser()
    if settings.sparql_endpoint:
        cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        digest = hashlib.sha256(settings.sparql_endpoint.encode("utf-8")).hexdigest()[:24]
        return Path(cache).expanduser() / "mlkg" / "search" / f"{digest}.sqlite3"
    if settings.store == MEMORY_STORE:
        return None
    return Path(settings.store).expanduser() / INDEX_FILE
