"""Storage backends behind one :class:`~mlkg.store.base.Store` protocol.

Nothing outside this package imports pyoxigraph or SPARQLWrapper.
"""

from __future__ import annotations

import rdflib
from rdflib.compare import isomorphic

from mlkg.config import MEMORY_STORE, Settings
from mlkg.resources import ontology_text
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
from mlkg.vocab import ONTOLOGY_GRAPH

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

    The ontology graph is installed (written only if it differs), and a remote engine is checked to query
    the union of its graphs by default (:meth:`mlkg.store.sparql.SparqlStore.check_union_default_graph`).

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
    """Make the ontology graph (:data:`mlkg.vocab.ONTOLOGY_GRAPH`) hold exactly ``ontology/mlkg.ttl``.

    Writes only when the graph differs from the shipped ontology (compared by isomorphism), so opening a
    store to read does not write. Returns True if it wrote.
    """
    shipped = rdflib.Graph().parse(data=ontology_text(), format="turtle")
    current = rdflib.Graph()
    for s, p, o, _ in store.quads(graph=ONTOLOGY_GRAPH):
        current.add((s, p, o))
    if len(current) == len(shipped) and isomorphic(current, shipped):
        return False
    triples: list[Triple] = [(s, p, o) for s, p, o in shipped]  # type: ignore[misc]
    store.replace_graphs(graphs={ONTOLOGY_GRAPH: triples})
    return True
