"""Storage backends behind one :class:`~mlkg.store.base.Store` protocol.

Nothing outside this package imports pyoxigraph or SPARQLWrapper.
"""

from __future__ import annotations

from mlkg.config import MEMORY_STORE, Settings
from mlkg.errors import StoreError
from mlkg.store.base import (
    AskResult,
    GraphResult,
    Quad,
    QueryResult,
    RdfFormat,
    SelectResult,
    Store,
    Term,
    Triple,
)

__all__ = [
    "AskResult",
    "GraphResult",
    "Quad",
    "QueryResult",
    "RdfFormat",
    "SelectResult",
    "Store",
    "Term",
    "Triple",
    "open_store",
]


def open_store(*, settings: Settings) -> Store:
    """Open the store ``settings`` select: ``--store PATH`` (on disk), ``memory:``, or a SPARQL endpoint.

    :raises StoreError: if the store cannot be opened (locked by another process, unreadable directory),
        or a remote endpoint is configured (the remote backend is not available in this version).
    """
    if settings.sparql_endpoint:
        raise StoreError(
            "the remote SPARQL backend (--sparql-endpoint) is not available in this version of mlkg; "
            "use the embedded store (--store PATH)"
        )
    from mlkg.store.oxigraph import OxigraphStore

    if settings.store == MEMORY_STORE:
        return OxigraphStore(path=None)
    return OxigraphStore(path=settings.store)
