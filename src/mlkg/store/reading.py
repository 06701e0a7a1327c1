"""Opening a store only to read it: never creating one, and working while another process holds it.

A read (``mlkg query``, ``mlkg impact``, ``mlkg export``, ``mlkg.open(read_only=True)``) must not create an
empty store where the user mistyped a path, and must work while ``mlkg serve`` holds the store's directory
(docs/architecture.md, section 3). RocksDB lets one process hold a directory for writing; any number may open
a read-only view of it (pyoxigraph ``Store.read_only``), which holds every write committed before it was
opened. The HTTP service's query workers read through the same views (:mod:`mlkg.api.workerproc`).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Final

from mlkg.config import MEMORY_STORE, Settings
from mlkg.errors import InputError, StoreError, StoreInUseError
from mlkg.store import Store, open_store
from mlkg.store.oxigraph import OxigraphStore

__all__ = ["OPEN_ATTEMPTS", "holds_store", "open_for_reading", "open_view"]

#: Attempts at opening a read-only view (a compaction can remove a file while it is being opened), about
#: 1.5 s in all: the writer compacts for a while after it opens a store whose log holds many writes.
OPEN_ATTEMPTS: Final = 10


def holds_store(path: str | os.PathLike[str]) -> bool:
    """True if the directory ``path`` holds an embedded store (RocksDB's ``CURRENT`` file names its
    manifest; every store pyoxigraph has created has one)."""
    return (Path(path) / "CURRENT").is_file()


def open_view(*, path: str) -> OxigraphStore:
    """A read-only view of the on-disk store at ``path``, holding every write committed before this call.

    :raises StoreError: if it cannot be opened after :data:`OPEN_ATTEMPTS` tries (the directory holds no
        store; or a compaction kept removing files while it was being opened).
    """
    for attempt in range(OPEN_ATTEMPTS):
        try:
            return OxigraphStore(path=path, read_only=True)
        except StoreError:
            if attempt == OPEN_ATTEMPTS - 1:
                raise
            time.sleep(min(0.01 * 2**attempt, 0.25))
    raise AssertionError("unreachable")


def open_for_reading(*, settings: Settings) -> tuple[Store, bool]:
    """The store ``settings`` select, opened to be read, and whether it is a read-only view.

    A remote engine or an in-memory store is opened as by :func:`~mlkg.store.open_store`. An on-disk store
    must exist: it is opened as usual (installing the ontology and letting the caller repair an interrupted
    write) unless another process holds it, in which case a read-only view is returned (``True``): it holds
    every write committed before this call, and writing through it raises :class:`StoreError`.

    :raises InputError: if the directory holds no store (nothing is created).
    :raises StoreError: if the store cannot be opened, or the view cannot be opened either.
    """
    if settings.sparql_endpoint or settings.store == MEMORY_STORE:
        return open_store(settings=settings), False
    if not holds_store(settings.store):
        raise InputError(
            "no mlkg store here: load documents first (mlkg load FILE), or name the store with --store "
            "or MLKG_STORE",
            where=settings.store,
        )
    try:
        return open_store(settings=settings), False
    except StoreInUseError:
        return open_view(path=settings.store), True
