"""Storage backends behind one :class:`~mlkg.store.base.Store` protocol.

Nothing outside this package imports pyoxigraph or SPARQLWrapper.
"""

from __future__ import annotations

import rdflib
from rdflib.compare import isomorphic

from mlkg.config import MEMORY_STORE, Settings
from mlkg.errors import StoreError
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
