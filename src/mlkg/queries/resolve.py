"""Turn what a user types for an entity into its IRI: the one resolver every command and route uses.

An entity may be named by (README, "Lineage and impact"):

- its absolute IRI, as stored (``http://localhost:8000/id/table/pg.shop.public.orders``);
- its IRI on the address a server answers at when that differs from the configured base: the entity page
  ``http://127.0.0.1:8123/id/table/pg.shop.public.orders`` names the entity minted under the base
  ``http://localhost:8000/id/`` (``addresses`` lists the prefixes that stand for the base);
- its fully qualified name (``pg.shop.public.orders``);
- its name (``orders``), if exactly one entity has it.
"""

from __future__ import annotations

from collections.abc import Sequence

from rdflib import Literal, URIRef

from mlkg.errors import InputError, NotFoundError
from mlkg.store.base import SelectResult, Store
from mlkg.vocab import MLKG

__all__ = ["resolve_entities", "resolve_entity"]

_BY = """SELECT DISTINCT ?entity ?value WHERE {{ ?entity <{prop}> ?value . FILTER(isIRI(?entity)) }}
ORDER BY ?entity LIMIT 20"""

_SHOWN = 10


def resolve_entity(
    *, store: Store, text: str, base_iri: str | None = None, addresses: Sequence[str] = ()
) -> URIRef:
    """Like :func:`resolve_entities`, but exactly one entity.

    :raises NotFoundError: if nothing matches.
    :raises InputError: if a name matches several entities (the message lists them, to pick an FQN or IRI).
    """
    found = resolve_entities(store=store, text=text, base_iri=base_iri, addresses=addresses)
    if len(found) > 1:
        listed = ", ".join(str(f) for f in found[:_SHOWN])
        more = f" and {len(found) - _SHOWN} more" if len(found) > _SHOWN else ""
        raise InputError(
            f"{text!r} names {len(found)} entities ({listed}{more}); give a fully qualified name or IRI"
        )
    return found[0]


def _occurs(store: Store, iri: URIRef) -> bool:
    return bool(
        store.has_graph(graph=iri)
        or next(iter(store.quads(subject=iri)), None)
        or next(iter(store.quads(object=iri)), None)
    )


def resolve_entities(
    *, store: Store, text: str, base_iri: str | None = None, addresses: Sequence[str] = ()
) -> list[URIRef]:
    """The entities ``text`` names: an absolute IRI as is if it occurs in the store, else, if it starts with
    one of ``addresses``, the IRI under ``base_iri`` with the same rest; else the entities whose
    ``mlkg:fullyQualifiedName`` is ``text``, else those whose ``mlkg:name`` is ``text`` (a short name such as
    ``customers`` may name a table in two databases).

    :raises NotFoundError: if nothing matches.
    """
    if text.startswith(("http://", "https://", "urn:")):
        iri = URIRef(text)
        if _occurs(store, iri):
            return [iri]
        for address in addresses:
            if base_iri and address != base_iri and text.startswith(address):
                moved = URIRef(base_iri + text[len(address) :])
                if _occurs(store, moved):
                    return [moved]
        raise NotFoundError(f"no entity {text} in the store")
    for prop in (MLKG.fullyQualifiedName, MLKG.name):
        result = store.query(query=_BY.format(prop=prop), bindings={"value": Literal(text)})
        assert isinstance(result, SelectResult)
        found = sorted({row["entity"] for row in result.dicts() if isinstance(row.get("entity"), URIRef)})
        if found:
            return [URIRef(f) for f in found]
    raise NotFoundError(f"no entity named {text!r} (by IRI, fully qualified name or name)")
