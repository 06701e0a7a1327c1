"""Entity kinds, read from the ontology: the names impact answers group assets by, which kind wins when an
asset has several, and the order the groups are reported in.

The ontology declares them once, as annotations on classes (``mlkg:kindName``, ``mlkg:kindPrecedence``,
``mlkg:kindOrder`` in ``ontology/mlkg.ttl``); this module is the only Python code that knows them, and
``tests/queries/test_kinds_in_queries.py`` checks the named queries' kind logic against the same annotations.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import rdflib
from rdflib import RDFS, Literal, URIRef

from mlkg.errors import ReasoningError
from mlkg.vocab import MLKG

__all__ = ["OTHER", "EntityKind", "EntityKinds"]

#: The kind of an asset that is an instance of no class naming a kind; reported last.
OTHER = "other"


@dataclass(frozen=True)
class EntityKind:
    """One kind: the class that names it, its name, its precedence (lowest wins) and its report order."""

    cls: URIRef
    name: str
    precedence: Decimal
    order: Decimal


@dataclass(frozen=True)
class EntityKinds:
    """The kinds of an ontology, most specific first (ascending ``mlkg:kindPrecedence``), with the classes
    each one covers (its class and every subclass of it)."""

    kinds: tuple[EntityKind, ...]
    covers: dict[URIRef, frozenset[URIRef]]

    @classmethod
    def from_ontology(cls, ontology: rdflib.Graph) -> EntityKinds:
        """Read the kinds ``ontology`` declares.

        :raises ReasoningError: if a kind class lacks one of the three annotations or has two values of one,
            two classes share a name or a precedence, or a subclass does not take precedence over its
            superclass (then a feature table would be reported as a plain table).
        """
        kinds = []
        for klass in sorted({c for c in ontology.subjects(MLKG.kindName, None) if isinstance(c, URIRef)}):
            values = [_one(ontology, klass, p) for p in (MLKG.kindName, MLKG.kindPrecedence, MLKG.kindOrder)]
            name, precedence, order = values
            try:
                kinds.append(
                    EntityKind(
                        cls=klass, name=str(name), precedence=_number(precedence), order=_number(order)
                    )
                )
            except ValueError as error:
                raise ReasoningError(f"{klass}: {error}") from error
        kinds.sort(key=lambda k: k.precedence)
        for attribute in ("name", "precedence"):
            seen = [getattr(k, attribute) for k in kinds]
            if len(set(seen)) != len(seen):
                raise ReasoningError(f"two entity kinds share a {attribute}: {sorted(map(str, seen))}")
        covers = {k.cls: frozenset(_subclasses(ontology, k.cls)) for k in kinds}
        for kind in kinds:
            for other in kinds:
                if other is not kind and kind.cls in covers[other.cls] and kind.precedence > other.precedence:
                    raise ReasoningError(
                        f"{kind.cls} is a subclass of {other.cls} and must take precedence over it"
                    )
        return cls(kinds=tuple(kinds), covers=covers)

    def names(self) -> list[str]:
        """The kind names, most specific first."""
        return [k.name for k in self.kinds]

    def kind_of(self, types: Iterable[URIRef]) -> str:
        """The kind of an asset with the ``rdf:type`` values ``types``: the first kind, by precedence, that
        covers one of them; :data:`OTHER` if none does."""
        given = set(types)
        for kind in self.kinds:
            if given & self.covers[kind.cls]:
                return kind.name
        return OTHER

    def sort_key(self, name: str) -> tuple[int, Decimal]:
        """A key ordering kind names as reports list them (``mlkg:kindOrder``); unknown names and
        :data:`OTHER` last."""
        for kind in self.kinds:
            if kind.name == name:
                return (0, kind.order)
        return (1, Decimal(0))


def _one(ontology: rdflib.Graph, klass: URIRef, prop: URIRef) -> Literal:
    values = list(ontology.objects(klass, prop))
    if len(values) != 1 or not isinstance(values[0], Literal):
        raise ReasoningError(f"entity kind class {klass} needs exactly one literal {prop}, has {values}")
    return values[0]


def _number(value: Literal) -> Decimal:
    python = value.toPython()
    if isinstance(python, bool) or not isinstance(python, int | Decimal | float):
        raise ValueError(f"{value!r} is not a number")
    return Decimal(str(python))


def _subclasses(ontology: rdflib.Graph, klass: URIRef) -> set[URIRef]:
    """``klass`` and every class below it by ``rdfs:subClassOf``, transitively."""
    found = {klass}
    todo = [klass]
    while todo:
        for sub in ontology.subjects(RDFS.subClassOf, todo.pop()):
            if isinstance(sub, URIRef) and sub not in found:
                found.add(sub)
                todo.append(sub)
    return found
