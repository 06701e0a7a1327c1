"""Version records as RDF: one named graph per version, ``<entity>/versions/<n>``, holding PROV-O about the
version and the entity's description at that version as N-Triples text (docs/architecture.md, section 3,
"History").

The description is text, not triples, on purpose: every stored graph is part of the union default graph that
queries read, and the reasoner reads lineage from every entity graph, so old versions as triples would answer
queries and enter lineage as if they were current. The record's own triples (version, time, agent, change
type, change description) are about the version IRI only and use no lineage property.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final
from urllib.parse import quote, unquote

import rdflib
from rdflib import RDF, XSD, Literal, URIRef
from rdflib.namespace import PROV

from mlkg.errors import InputError
from mlkg.ntriples import term_nt
from mlkg.store.base import Triple
from mlkg.vocab import MLKG

__all__ = [
    "AGENTS",
    "CHANGE_TYPES",
    "VERSION_PATTERN",
    "VersionRecord",
    "agent_iri",
    "parse_version",
    "snapshot_text",
    "snapshot_triples",
    "version_iri",
]

#: The namespace of the agents versions are attributed to (a principal, or the operating-system user of a
#: command).
AGENTS: Final = "https://w3id.org/mlkg/agent/"
#: What made a version.
CHANGE_TYPES: Final = ("created", "minor", "major", "deleted", "restored")
#: The path segment between an entity IRI and a version number.
VERSIONS_SEGMENT: Final = "/versions/"


def version_iri(entity: URIRef, version: Decimal) -> URIRef:
    """The IRI (and graph name) of one version of ``entity``: ``<entity>/versions/<n>``."""
    return URIRef(f"{entity}{VERSIONS_SEGMENT}{version}")


def agent_iri(name: str) -> URIRef:
    """The IRI of the agent named ``name``."""
    return URIRef(AGENTS + quote(name, safe=""))


#: What a version number looks like (``0.1``, ``1.2``, ``10.13``).
VERSION_PATTERN: Final = r"^[0-9]{1,9}\.[0-9]{1,9}$"


def parse_version(text: str, *, where: str = "version") -> Decimal:
    """A version number as users write it (``1.2``): digits, a point, digits.

    :raises InputError: if it is not one.
    """
    if re.fullmatch(VERSION_PATTERN, text) is None:
        raise InputError(f"{text!r} is not a version number such as 0.1 or 1.2", where=where)
    return Decimal(text)


def snapshot_text(triples: list[Triple]) -> str:
    """The description as N-Triples text, one sorted line per triple (the same description, the same text)."""
    return "".join(sorted({f"{term_nt(s)} {term_nt(p)} {term_nt(o)} .\n" for s, p, o in triples}))


def snapshot_triples(text: str) -> list[Triple]:
    """The triples of a snapshot written by :func:`snapshot_text`."""
    graph = rdflib.Graph().parse(data=text, format="nt")
    return [(s, p, o) for s, p, o in graph]  # type: ignore[misc]


@dataclass(frozen=True)
class VersionRecord:
    """One version of an entity, as :func:`mlkg.history.keeper.EntityHistory.versions` reads it back."""

    entity: URIRef
    version: Decimal
    change_type: str
    at: datetime | None = None
    by: str | None = None
    previous: Decimal | None = None
    restored_from: Decimal | None = None
    deleted: bool = False
    change: dict[str, Any] = field(default_factory=dict)
    #: Why the change was made, as the written document said (``changeComment``).
    comment: str | None = None

    @property
    def iri(self) -> URIRef:
        return version_iri(self.entity, self.version)

    def triples(self) -> list[Triple]:
        """The record's graph: PROV-O about the version and its change description (a superseded version's
        record also keeps the description as a snapshot, added by :mod:`.keeper`)."""
        me = self.iri
        out: list[Triple] = [
            (me, RDF.type, MLKG.EntityVersion),
            (me, RDF.type, PROV.Entity),
            (me, PROV.specializationOf, self.entity),
            (me, MLKG.entityVersion, Literal(str(self.version), datatype=XSD.decimal)),
            (me, MLKG.changeType, Literal(self.change_type)),
        ]
        if self.at is not None:
            out.append((me, PROV.generatedAtTime, Literal(self.at.isoformat(), datatype=XSD.dateTime)))
        if self.by is not None:
            out.append((me, PROV.wasAttributedTo, agent_iri(self.by)))
        if self.previous is not None:
            out.append((me, PROV.wasRevisionOf, version_iri(self.entity, self.previous)))
        if self.restored_from is not None:
            out.append((me, MLKG.restoredFrom, version_iri(self.entity, self.restored_from)))
        if self.deleted:
            out.append((me, MLKG.deleted, Literal(True)))
        if self.comment is not None:
            out.append((me, MLKG.changeComment, Literal(self.comment)))
        if self.change:
            text = json.dumps(self.change, sort_keys=True, ensure_ascii=False)
            out.append((me, MLKG.changeDescription, Literal(text, datatype=RDF.JSON)))
        return out

    def as_json(self) -> dict[str, Any]:
        """The version as ``/versions`` and ``mlkg history --format json`` show it (OpenMetadata's shape)."""
        shown: dict[str, Any] = {
            "version": str(self.version),
            "updatedAt": None if self.at is None else self.at.isoformat(),
            "updatedBy": self.by,
            "changeType": self.change_type,
            "deleted": self.deleted,
            "changeDescription": self.change or {"fieldsAdded": [], "fieldsUpdated": [], "fieldsDeleted": []},
        }
        if self.previous is not None:
            shown["previousVersion"] = str(self.previous)
        if self.restored_from is not None:
            shown["restoredFrom"] = str(self.restored_from)
        if self.comment is not None:
            shown["comment"] = self.comment
        return shown


def agent_name(iri: object) -> str | None:
    """The name in an agent IRI (None for another IRI)."""
    text = str(iri)
    return unquote(text[len(AGENTS) :]) if text.startswith(AGENTS) else None


def version_of(iri: object) -> Decimal | None:
    """The version number at the end of a version IRI."""
    text = str(iri)
    if VERSIONS_SEGMENT not in text:
        return None
    try:
        return Decimal(text.rsplit(VERSIONS_SEGMENT, 1)[1])
    except InvalidOperation:
        return None
