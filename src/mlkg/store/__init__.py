"""Storage backends behind one :class:`~mlkg.store.base.Store` protocol.

Nothing outside this package imports pyoxigraph or SPARQLWrapper.
"""

from __future__ import annotations

from mlkg.config import MEMORY_STORE, Settings
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
    "install_ontology",
    "open_store",
]


def open_store(*, settings: Settings) -> Store:
    """Open the store ``settings`` select: a SPARQL engine when ``sparql_endpoint`` is set (with
    ``update_endpoint``, default the query endpoint; ``gsp_endpoint``, optional; ``sparql_user`` /
    ``sparql_password``, HTTP basic), else the embedded store at ``store`` (a directory, or ``memory:``).

    A copy of the ontology graph stored by an earlier version is dropped (:func:`install_ontology`), and a
    remote engine is checked to query the union of its graphs by default
    (:meth:`mlkg.store.sparql.SparqlStore.check_union_default_graph`).

    :raises StoreError: if the store cannot be opened (locked by another process, unreadable directory), or
        the engine is unreachable, refuses the credentials, or does not query the union of its graphs.
    """
    store: Store
    if settings.sparql_endpoint:
        from mlkg.store.sparql import Endpoints, SparqlStore

        password = settings.sparql_password
        remote = SparqlStore(
            endpoints=Endpoints(
                query=settings.sparql_endpoint,
                update=settings.update_endpoint or settings.sparql_endpoint,
                gsp=settings.gsp_endpoint,
                user=settings.sparql_user,
                password=None if password is None else password.get_secret_value(),
            ),
            timeout=settings.query_timeout,
        )
        try:
            install_ontology(store=remote)
            remote.check_union_default_graph()
        except BaseException:
            remote.close()
            raise
        return remote
    from mlkg.store.oxigraph import OxigraphStore

    store = OxigraphStore(path=None if settings.store == MEMORY_STORE else settings.store)
    try:
        install_ontology(store=store)
    except BaseException:
        store.close()
        raise
    return store


def install_ontology(*, store: Store) -> bool:
    """Make the store's ontology graph (:data:`mlkg.vocab.ONTOLOGY_GRAPH`) the shipped ``ontology/mlkg.ttl``.

    Both backends serve that graph from the shipped file, outside the union default graph
    (:mod:`mlkg.store.ontologygraph`); this drops the copy earlier versions of mlkg stored, which would
    otherwise be part of every query's default graph. It writes nothing when there is none, so opening a
    store to read does not write. Returns True if it wrote.

    :raises StoreError: if the store fails.
    """
    drop = getattr(store, "drop_stored_ontology", None)
    return bool(drop()) if callable(drop) else False
