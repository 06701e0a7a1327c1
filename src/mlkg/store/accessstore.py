"""Where the principals and the audit trail are kept (docs/architecture.md, section 10).

Every stored graph is part of the union default graph queries read, and a query cannot leave one out other
than by listing every other graph (over 1,000x slower, section 3). So on the embedded store the principals
graph (token hashes) and the audit graph live in a store of their own, ``access/`` inside the store's
directory (in memory for an in-memory store): ordinary queries, exports and the query worker processes never
see them, whatever the query says, and admins query them by naming the graph
(:mod:`mlkg.api.routers.sparql`). A remote SPARQL engine holds them in its own dataset, beside the catalog:
there mlkg refuses every write of them, but whoever can query the engine directly (and mlkg's ``/sparql``)
reads them; restrict access to the engine itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from mlkg.errors import StoreInUseError
from mlkg.store.base import Store
from mlkg.store.oxigraph import OxigraphStore
from mlkg.store.reading import holds_store, open_view

__all__ = ["ACCESS_DIRECTORY", "open_access_store"]

#: The directory of the access store inside an embedded store's directory.
ACCESS_DIRECTORY: Final = "access"


def open_access_store(*, main: Store, read_only: bool) -> tuple[Store, bool]:
    """The store holding the principals and audit graphs for the catalog store ``main``, and whether the
    caller owns it (must close it).

    ``read_only``: the catalog only reads; a missing access store is then an empty one in memory (nothing is
    created), and one held by another process (``mlkg serve``) is opened as a read-only view.

    :raises StoreError: if the on-disk access store cannot be opened.
    """
    if not isinstance(main, OxigraphStore):
        return main, False
    if main.path is None:
        return OxigraphStore(path=None), True
    path = Path(main.path) / ACCESS_DIRECTORY
    if read_only:
        if not holds_store(path):
            return OxigraphStore(path=None), True
        try:
            return OxigraphStore(path=path), True
        except StoreInUseError:  # held by the process serving the store: read a view of it
            return open_view(path=str(path)), True
    return OxigraphStore(path=path), True
