"""What the search index holds of one entity graph (docs/architecture.md, section 9): pure, no I/O.

An entity graph (:func:`mlkg.history.rules.is_entity_graph`: it gives its own name a type and is not a version
record) is described for search by its root's name, display name, fully qualified name and description, the
tags of the root and of its owned parts, the owners of the root, and the names and descriptions of the parts
it owns by ``mlkg:hasColumn`` / ``mlkg:usesFeature`` (columns, nested columns, features). Nodes the graph only
names (a team, a tag, another table) are not the entity's text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rdflib import RDF, Literal, URIRef

from mlkg.history.rules import is_entity_graph
from mlkg.store.base import Triple
from mlkg.vocab import MLKG, NS

__all__ = ["PARTS", "SearchDocument", "describe", "split_words"]

#: The links from an entity to the parts whose names are searched with it.
PARTS = frozenset({MLKG.hasColumn, MLKG.usesFeature})

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@dataclass(frozen=True)
class SearchDocument:
    """One entity as the index holds it. ``type`` is the local name of its ontology class with a lower-case
    first letter (``model``, ``table``, ``featureTable``)."""

    iri: str
    type: str
    name: str | None
    display_name: str | None
    fqn: str | None
    description: str | None
    tags: tuple[str, ...]
    owners: tuple[str, ...]
    parts: str

    @property
    def name_words(self) -> str:
        """The name column's text: the name, and its camel-case words split when that differs
        (``CustomerChurn`` is found by ``churn``; ``_`` and ``.`` already separate words)."""
        return _with_split(self.name)

    @property
    def display_words(self) -> str:
        """The display name column's text, as :attr:`name_words`."""
        return _with_split(self.display_name)


def _with_split(value: str | None) -> str:
    if not value:
        return ""
    split = _CAMEL.sub(" ", value)
    return value if split == value else f"{value} {split}"


def split_words(text: str) -> str:
    """``text`` with camel-case words split (``featureTable`` -> ``feature Table``)."""
    return _CAMEL.sub(" ", text)


def _type_name(cls: URIRef) -> str | None:
    text = str(cls)
    if not text.startswith(NS) or cls == MLKG.EntityVersion:
        return None
    local = text[len(NS) :]
    return local[:1].lower() + local[1:]


def describe(
    graph: URIRef, triples: Iterable[Triple], *, label: Callable[[URIRef], str]
) -> SearchDocument | None:
    """The search document of the entity graph ``graph``, or None if it is not an entity graph of the
    ontology's classes (a version record, a graph written through the Graph Store without a typed root).
    ``label`` names a tag or owner the graph links to without naming it (its fully qualified name from its
    IRI)."""
    listed = list(triples)
    if not is_entity_graph(graph, listed):
        return None
    values: dict[tuple[object, URIRef], list[object]] = {}
    for s, p, o in listed:
        values.setdefault((s, p), []).append(o)

    def text(node: object, prop: URIRef) -> str | None:
        found = sorted(str(o) for o in values.get((node, prop), ()) if isinstance(o, Literal))
        return found[0] if found else None

    types = sorted(
        t for t in (_type_name(o) for o in values.get((graph, RDF.type), ()) if isinstance(o, URIRef)) if t
    )
    if not types:
        return None
    parts: list[object] = []
    seen: set[object] = {graph}
    stack: list[object] = [graph]
    while stack:
        node = stack.pop()
        for prop in PARTS:
            for child in values.get((node, prop), ()):
                if child not in seen:
                    seen.add(child)
                    parts.append(child)
                    stack.append(child)
    tags: set[str] = set()
    for node in (graph, *parts):
        for tag in values.get((node, MLKG.tag), ()):
            if isinstance(tag, URIRef):
                tags.add(text(tag, MLKG.tagFQN) or label(tag))
    owners = sorted(
        {text(o, MLKG.name) or label(o) for o in values.get((graph, MLKG.owner), ()) if isinstance(o, URIRef)}
    )
    words = [
        w
        for node in parts
        for prop in (MLKG.name, MLKG.displayName, MLKG.description)
        if (w := text(node, prop))
    ]
    return SearchDocument(
        iri=str(graph),
        type=types[0],
        name=text(graph, MLKG.name),
        display_name=text(graph, MLKG.displayName),
        fqn=text(graph, MLKG.fullyQualifiedName),
        description=text(graph, MLKG.description),
        tags=tuple(sorted(tags)),
        owners=tuple(owners),
        parts=" ".join(split_words(w) for w in words),
    )
