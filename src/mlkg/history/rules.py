"""The version rule: which changes to an entity are major, read from the ontology (``mlkg:majorChange``).

OpenMetadata versions every entity: a new one is 0.1, a change adds 0.1, and a backward-incompatible change
adds 1.0 (0.2 becomes 1.2). What is backward-incompatible depends on the kind of entity: for a model, a
changed algorithm or server; for a table, a column removed or its data type changed. The ontology says so
with ``mlkg:majorChange`` annotations on classes (``ontology/mlkg.ttl``, section "Entity history"): removing
or replacing a value of such a property in the graph of an entity of that class, or of a subclass, is a major
change; adding one is minor.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

import rdflib
from rdflib import RDF, RDFS, URIRef
from rdflib.namespace import PROV

from mlkg.store.base import Triple
from mlkg.vocab import MLKG

__all__ = ["FIRST", "MAJOR_STEP", "MINOR_STEP", "VersionRules", "is_entity_graph", "is_record_graph"]

#: The version of a new entity, and the steps of a minor and a major change.
FIRST: Final = Decimal("0.1")
MINOR_STEP: Final = Decimal("0.1")
MAJOR_STEP: Final = Decimal("1.0")


def is_entity_graph(name: URIRef, triples: Iterable[Triple]) -> bool:
    """True if the graph describes an entity: it gives its own name an ``rdf:type`` (every entity document
    does; a graph written through the Graph Store with other content is stored as it is, unversioned), and
    is not a version record (:func:`is_record_graph`)."""
    types = {o for s, p, o in triples if s == name and p == RDF.type}
    return bool(types) and MLKG.EntityVersion not in types


def is_record_graph(name: URIRef, triples: Iterable[Triple]) -> URIRef | None:
    """The entity a version record graph is about, or None if the graph is not one."""
    listed = list(triples)
    if (name, RDF.type, MLKG.EntityVersion) not in listed:
        return None
    return next(
        (o for s, p, o in listed if s == name and p == PROV.specializationOf and isinstance(o, URIRef)), None
    )


@dataclass(frozen=True)
class VersionRules:
    """For each class, the properties whose removal or replacement is a major change (its own annotations and
    those of its superclasses)."""

    major: Mapping[URIRef, frozenset[URIRef]]

    @classmethod
    def from_ontology(cls, ontology: rdflib.Graph) -> VersionRules:
        """Read the ``mlkg:majorChange`` annotations of ``ontology``, passed down ``rdfs:subClassOf``."""
        declared: dict[URIRef, set[URIRef]] = {}
        for klass, prop in ontology.subject_objects(MLKG.majorChange):
            if isinstance(klass, URIRef) and isinstance(prop, URIRef):
                declared.setdefault(klass, set()).add(prop)
        parents: dict[URIRef, set[URIRef]] = {}
        for child, parent in ontology.subject_objects(RDFS.subClassOf):
            if isinstance(child, URIRef) and isinstance(parent, URIRef):
                parents.setdefault(child, set()).add(parent)
        major: dict[URIRef, frozenset[URIRef]] = {}
        for klass in {*parents, *declared}:
            seen, stack, props = {klass}, [klass], set()
            while stack:
                current = stack.pop()
                props |= declared.get(current, set())
                for parent in parents.get(current, ()):
                    if parent not in seen:
                        seen.add(parent)
                        stack.append(parent)
            if props:
                major[klass] = frozenset(props)
        return cls(major=major)

    def major_properties(self, types: Iterable[object]) -> frozenset[URIRef]:
        """The properties whose removal is a major change for an entity of ``types``."""
        found: set[URIRef] = set()
        for klass in types:
            if isinstance(klass, URIRef):
                found |= self.major.get(klass, frozenset())
        return frozenset(found)

    def is_major(self, *, entity: URIRef, old: Iterable[Triple], new: Iterable[Triple]) -> bool:
        """True if going from ``old`` to ``new`` (the entity's graph) removes or replaces a value of a
        property whose change is major for the entity's classes (before or after the change)."""
        old_set, new_set = set(old), set(new)
        types = {o for s, p, o in old_set | new_set if s == entity and p == RDF.type}
        major = self.major_properties(types)
        return any(p in major for _, p, _ in old_set - new_set)
