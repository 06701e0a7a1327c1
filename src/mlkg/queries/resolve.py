"""Turn what a user types (an IRI, a fully qualified name, or a plain name) into one entity IRI."""

from __future__ import annotations

from rdflib import Literal, URIRef

from mlkg.errors import InputError, NotFoundError
from mlkg.store.base import SelectResult, Store
from mlkg.vocab import MLKG

__all__ = ["resolve_entities", "resolve_entity"]

_BY = """SELECT DISTINCT ?entity ?value WHERE {{ ?entity <{prop}> ?value . FILTER(isIRI(?entity)) }}
ORDER BY ?entity LIMIT 20"""


def resolve_entity(*, store: Store, text: str) -> URIRef:
    """Like :func:`resolve_entities`, but exactly one entity.

    :raises NotFoundError: if nothing matches.
    :raises InputError: if a name matches several entities (the message lists them, to pick an FQN or IRI).
    """
    found = resolve_entities(store=store, text=text)
    if len(found) > 1:
        listed = ", ".join(str(f) for f in found[:10])
        raise InputError(
            f"{text!r} names {len(found)} entities ({listed}); give a fully qualified name or IRI"
        )
    return found[0]


def resolve_entities(*, store: Store, text: str) -> list[URIRef]:
    """The entities ``text`` names: an absolute IRI as is (it must occur in the store), else the entities
    whose ``mlkg:fullyQualifiedName`` is ``text``, else those whose ``mlkg:name`` is ``text`` (a short name
    such as ``customers`` may name a table in two databases).

    :raises NotFoundError: if nothing matches.
    """
    if text.startswith(("http://", "https://", "urn:")):
        iri = URIRef(text)
        if (
            store.has_graph(graph=iri)
            or next(iter(store.quads(subject=iri)), None)
            or next(iter(store.quads(object=iri)), None)
        ):
            return [iri]
        raise NotFoundError(f"no entity {text} in the store")
    for prop in (MLKG.fullyQualifiedName, MLKG.name):
        result = store.query(query=_BY.format(prop=prop), bindings={"value": Literal(text)})
        assert isinstance(result, SelectResult)
        found = sorted({row["entity"] for row in result.dicts() if isinstance(row.get("entity"), URIRef)})
        if found:
            return [URIRef(f) for f in found]
    raise NotFoundError(f"no entity named {text!r} (by IRI, fully qualified name or name)")
