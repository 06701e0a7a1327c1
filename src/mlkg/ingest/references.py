"""Entity references that name an entity without an IRI or a fully qualified name, resolved against the store.

OpenMetadata's create requests and entity references name entities in ways the IRI rule (``ids.py``) cannot
mint from: an ``EntityReference`` given only by its ``id`` (a UUID the source system gave the entity, kept
as ``mlkg:externalId``), and owners given by their name alone (a user or a team?). Both are answered by
named queries (``queries/entities-by-id.rq``, ``queries/owners-named.rq``) with the text bound as a
literal, over what the store holds when the document is read: an id first stated in the same request is not
known yet.
"""

from __future__ import annotations

from typing import Protocol

from rdflib import Literal, URIRef

from mlkg.queries.catalog import QueryCatalog
from mlkg.store.base import SelectResult, Store

__all__ = ["ReferenceLookup", "StoreReferences"]


class ReferenceLookup(Protocol):
    """What the normaliser asks the store about references (:mod:`mlkg.ingest.normalize`)."""

    def by_id(self, *, id: str) -> dict[URIRef, frozenset[URIRef]]:
        """The entities whose external id is ``id``, each with its classes (asserted and inferred)."""
        ...

    def owners(self, *, name: str) -> dict[URIRef, URIRef]:
        """The users and teams named ``name`` (name or fully qualified name), each with its class."""
        ...


class StoreReferences:
    """:class:`ReferenceLookup` over a store, by the named queries ``entities-by-id`` and ``owners-named``.

    :raises StoreError: (from the methods) if the store fails.
    """

    def __init__(self, *, store: Store, queries: QueryCatalog | None = None) -> None:
        catalog = queries or QueryCatalog.load()
        self._store = store
        self._by_id = catalog.get(name="entities-by-id")
        self._owners = catalog.get(name="owners-named")

    def by_id(self, *, id: str) -> dict[URIRef, frozenset[URIRef]]:
        result = self._store.query(query=self._by_id.text, bindings={"id": Literal(id)})
        assert isinstance(result, SelectResult)
        found: dict[URIRef, set[URIRef]] = {}
        for row in result.dicts():
            entity, cls = row.get("entity"), row.get("class")
            if isinstance(entity, URIRef):
                classes = found.setdefault(entity, set())
                if isinstance(cls, URIRef):
                    classes.add(cls)
        return {entity: frozenset(classes) for entity, classes in found.items()}

    def owners(self, *, name: str) -> dict[URIRef, URIRef]:
        result = self._store.query(query=self._owners.text, bindings={"name": Literal(name)})
        assert isinstance(result, SelectResult)
        found: dict[URIRef, URIRef] = {}
        for row in result.dicts():
            owner, cls = row.get("owner"), row.get("class")
            if isinstance(owner, URIRef) and isinstance(cls, URIRef):
                found[owner] = cls
        return found
