"""What changed between two descriptions of an entity, field by field, as OpenMetadata's ``changeDescription``
(``fieldsAdded``, ``fieldsUpdated``, ``fieldsDeleted``, each with the field's name and its old and new value).

A field is named by the JSON terms of mlkg's context along the path from the entity: ``description``,
``algorithm``, ``columns`` (the column names), ``columns.amount.dataType``. A node the document nests (a
column, a feature, a hyperparameter) is named by its ``name``. A field with one value shows it as a string; a
field with several shows them as a sorted list.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rdflib import RDF, BNode, Literal, URIRef

from mlkg.store.base import Term, Triple
from mlkg.store.compare import term_key
from mlkg.vocab import MLKG

__all__ = ["ChangeDescription", "FieldChange", "context_terms", "describe_change"]

#: How many links from the entity a nested node's field path may follow.
_MAX_DEPTH = 4

Value = str | list[str]


@dataclass(frozen=True)
class FieldChange:
    """One field that changed: its old value (None if added) and its new value (None if deleted)."""

    name: str
    old: Value | None = None
    new: Value | None = None


@dataclass(frozen=True)
class ChangeDescription:
    """The fields a version added, updated and deleted, each sorted by name."""

    added: list[FieldChange] = field(default_factory=list)
    updated: list[FieldChange] = field(default_factory=list)
    deleted: list[FieldChange] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.added or self.updated or self.deleted)

    def as_json(self) -> dict[str, list[dict[str, Any]]]:
        """OpenMetadata's ``changeDescription`` shape."""
        return {
            "fieldsAdded": [{"name": c.name, "newValue": c.new} for c in self.added],
            "fieldsUpdated": [{"name": c.name, "oldValue": c.old, "newValue": c.new} for c in self.updated],
            "fieldsDeleted": [{"name": c.name, "oldValue": c.old} for c in self.deleted],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ChangeDescription:
        return cls(
            added=[FieldChange(c["name"], new=c.get("newValue")) for c in data.get("fieldsAdded", [])],
            updated=[
                FieldChange(c["name"], old=c.get("oldValue"), new=c.get("newValue"))
                for c in data.get("fieldsUpdated", [])
            ],
            deleted=[FieldChange(c["name"], old=c.get("oldValue")) for c in data.get("fieldsDeleted", [])],
        )


def context_terms(context_text: str) -> dict[URIRef, str]:
    """The JSON term of each mlkg property in mlkg's context (``contexts/mlkg.jsonld``): the first term
    naming it, so a field is named as documents name it."""
    document = json.loads(context_text)
    context = document.get("@context", {})
    prefixes = {k: v for k, v in context.items() if isinstance(v, str) and v.endswith(("#", "/"))}
    terms: dict[URIRef, str] = {}
    for term, definition in context.items():
        if term.startswith("@"):
            continue
        iri = definition.get("@id") if isinstance(definition, dict) else definition
        if not isinstance(iri, str) or ":" not in iri or iri.endswith(("#", "/")):
            continue
        prefix, _, local = iri.partition(":")
        full = URIRef(prefixes[prefix] + local) if prefix in prefixes else URIRef(iri)
        terms.setdefault(full, term)
    return terms


def describe_change(
    *,
    entity: URIRef,
    old: Sequence[Triple],
    new: Sequence[Triple],
    terms: Mapping[URIRef, str],
) -> ChangeDescription:
    """The fields that differ between ``old`` and ``new``, two descriptions of ``entity`` (its graph)."""
    before = _fields(entity, old, terms)
    after = _fields(entity, new, terms)
    added, updated, deleted = [], [], []
    for name in sorted(before.keys() | after.keys()):
        was, now = before.get(name), after.get(name)
        if was is not None and now is not None and was.keys() == now.keys():
            continue
        if was is None:
            added.append(FieldChange(name, new=_shown(now)))
        elif now is None:
            deleted.append(FieldChange(name, old=_shown(was)))
        else:
            updated.append(FieldChange(name, old=_shown(was), new=_shown(now)))
    return ChangeDescription(added=added, updated=updated, deleted=deleted)


def _shown(values: dict[object, str] | None) -> Value | None:
    if values is None:
        return None
    ordered = sorted(values.values())
    return ordered[0] if len(ordered) == 1 else ordered


def _fields(
    entity: URIRef, triples: Iterable[Triple], terms: Mapping[URIRef, str]
) -> dict[str, dict[object, str]]:
    """Each field's values in one description of ``entity`` (value key -> value as shown; keys by
    :func:`~mlkg.store.compare.term_key`).

    A nested node is reached from the entity by the shortest path, ties broken by field name, so the same
    description always names its fields the same way."""
    triples = list(triples)
    subjects = {s for s, _, _ in triples}
    names: dict[Term, str] = {}
    for s, p, o in triples:
        if p == MLKG.name and isinstance(o, Literal):
            names.setdefault(s, str(o))

    def label(node: Term) -> str:
        if node in names:
            return names[node]
        text = str(node)
        return text.rsplit("/", 1)[-1] if isinstance(node, URIRef) else f"_:{text}"

    links: dict[Term, list[tuple[str, Term]]] = {}
    for s, p, o in triples:
        if o in subjects and o != entity and p != RDF.type:
            links.setdefault(s, []).append((_term(p, terms), o))
    paths: dict[Term, list[str]] = {entity: []}
    frontier: list[Term] = [entity]
    for _ in range(_MAX_DEPTH):
        reached: dict[Term, list[str]] = {}
        for node in frontier:
            for step, target in links.get(node, ()):
                if target in paths:
                    continue
                path = [*paths[node], step, label(target)]
                if target not in reached or path < reached[target]:
                    reached[target] = path
        paths.update(reached)
        frontier = sorted(reached, key=lambda n: reached[n])
        if not frontier:
            break

    fields: dict[str, dict[object, str]] = {}
    for s, p, o in triples:
        if p == MLKG.entityVersion and s == entity:
            continue
        if p == RDF.type and s != entity:
            continue
        prefix = paths.get(s, [label(s)])  # a node the graph describes but does not link from the entity
        name = ".".join([*prefix, _term(p, terms)])
        shown = label(o) if isinstance(o, BNode) or (o in subjects and o != entity) else str(o)
        fields.setdefault(name, {})[term_key(o)] = shown
    return fields


def _term(predicate: URIRef, terms: Mapping[URIRef, str]) -> str:
    if predicate == RDF.type:
        return "type"
    found = terms.get(predicate)
    if found is not None:
        return found
    text = str(predicate)
    return text.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
