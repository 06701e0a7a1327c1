"""Entity history (docs/architecture.md, section 7): versions on every write of an entity, their
records as RDF, and the version rule read from the ontology."""

from __future__ import annotations

from mlkg.history.changes import ChangeDescription, FieldChange, describe_change
from mlkg.history.keeper import EntityHistory, Planned
from mlkg.history.records import VERSION_PATTERN, VersionRecord, parse_version, version_iri
from mlkg.history.rules import VersionRules, is_entity_graph

__all__ = [
    "VERSION_PATTERN",
    "ChangeDescription",
    "EntityHistory",
    "FieldChange",
    "Planned",
    "VersionRecord",
    "VersionRules",
    "describe_change",
    "is_entity_graph",
    "parse_version",
    "version_iri",
]
