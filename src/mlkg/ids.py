"""Entity IRIs: the only place mlkg builds them.

The rule (docs/architecture.md, section 1): ``{base}{type}/{fully-qualified-name}`` with each FQN segment
percent-encoded, e.g.
``http://localhost:8000/id/column/snowflake.prod.customers.last_purchase_date``. Segments are separated by
``.``; a segment that itself contains a ``.`` is written in double quotes in an FQN (OpenMetadata's
convention: ``service."db.v2".table``) and as ``%2E`` in the IRI, so the IRI can be split back into the same
segments. The ``{type}`` part is the class's ``mlkg:iriSegment`` annotation in the ontology: subclasses share
their family's segment (a feature table and a prediction table are both ``table/``), so one entity gets one
IRI whichever of its classes a document names.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote, unquote

import rdflib

from mlkg.errors import InputError
from mlkg.resources import ontology_text
from mlkg.vocab import MLKG

__all__ = [
    "EntityType",
    "IriMinter",
    "attempt_iri",
    "join_fqn",
    "new_graph_iri",
    "split_fqn",
]


def split_fqn(fqn: str) -> list[str]:
    """Split a fully qualified name into segments, honouring double-quoted segments.

    :raises InputError: on an empty name, an empty segment or an unterminated quote.
    """
    if not fqn or not fqn.strip():
        raise InputError("a fully qualified name must not be empty")
    segments: list[str] = []
    current: list[str] = []
    quoted = False
    for char in fqn:
        if char == '"':
            quoted = not quoted
        elif char == "." and not quoted:
            segments.append("".join(current))
            current = []
        else:
            current.append(char)
    if quoted:
        raise InputError(f"unterminated quote in fully qualified name {fqn!r}")
    segments.append("".join(current))
    if any(not s for s in segments):
        raise InputError(f"empty segment in fully qualified name {fqn!r}")
    return segments


def new_graph_iri(*, store_url: str) -> rdflib.URIRef:
    """A fresh graph IRI under the Graph Store's URL, ``{store_url}/{random UUID}``, for a graph a client
    creates without naming it (SPARQL 1.1 Graph Store HTTP Protocol, section 5.5); ``GET`` of that IRI
    answers the graph, since the server serves it."""
    return rdflib.URIRef(f"{store_url.rstrip('/')}/{uuid.uuid4().hex}")


def attempt_iri(*, request_id: str) -> rdflib.URIRef:
    """The IRI of one write attempt in the audit graph: ``urn:mlkg:attempt:{request id}:{random}`` (a
    request id may be given by a client twice; the attempt is still a new node)."""
    return rdflib.URIRef(f"urn:mlkg:attempt:{quote(request_id, safe='')}:{uuid.uuid4().hex[:12]}")


def join_fqn(segments: Sequence[str]) -> str:
    """Join segments into a fully qualified name, quoting the segments that contain a ``.``."""
    return ".".join(f'"{s}"' if "." in s else s for s in segments)


def _encode(segment: str) -> str:
    return quote(segment, safe="").replace(".", "%2E")


@dataclass(frozen=True)
class EntityType:
    """A class of the ontology that entities are minted for."""

    cls: rdflib.URIRef
    segment: str


class IriMinter:
    """Mints and parses entity IRIs under one base.

    Build it with :meth:`from_ontology`; the type names it knows (``"column"``, ``"mlmodel"``, ...) are the
    ``mlkg:jsonType`` annotations of the ontology's classes, so the ontology alone decides them.
    """

    def __init__(self, *, base: str, types: Mapping[str, EntityType]) -> None:
        if not base.startswith(("http://", "https://")) or not base.endswith("/"):
            raise InputError(f"base IRI {base!r} must be an http(s) IRI ending with '/'")
        self.base = base
        self._types = dict(types)
        self._by_class = {t.cls: t for t in types.values()}
        self.segments = frozenset(t.segment for t in types.values())

    @classmethod
    def from_ontology(cls, *, base: str) -> IriMinter:
        """Read type names and IRI segments from ``ontology/mlkg.ttl``."""
        graph = rdflib.Graph()
        graph.parse(data=ontology_text(), format="turtle")
        types: dict[str, EntityType] = {}
        for klass, segment in graph.subject_objects(MLKG.iriSegment):
            assert isinstance(klass, rdflib.URIRef)
            entity_type = EntityType(cls=klass, segment=str(segment))
            local = str(klass).rsplit("#", 1)[1]
            types[local] = entity_type
            types[local[0].lower() + local[1:]] = entity_type
            for name in graph.objects(klass, MLKG.jsonType):
                types[str(name)] = entity_type
        return cls(base=base, types=types)

    def type_named(self, name: str) -> EntityType:
        """The entity type for a JSON ``type`` value or class name (``"column"``, ``"MlModel"``).

        :raises InputError: if the name denotes no class of the ontology.
        """
        found = self._types.get(name) or self._types.get(name[:1].lower() + name[1:])
        if found is None:
            known = ", ".join(sorted(n for n in self._types if n[:1].islower()))
            raise InputError(f"unknown entity type {name!r}; known types: {known}")
        return found

    def type_of_class(self, cls: rdflib.URIRef) -> EntityType | None:
        """The entity type whose class is ``cls``, or None."""
        return self._by_class.get(cls)

    def type_names(self) -> list[str]:
        """Every type name accepted in a JSON ``type`` field."""
        return sorted(self._types)

    def mint(self, *, segment: str, fqn: str | Sequence[str]) -> rdflib.URIRef:
        """The IRI ``{base}{segment}/{fqn}`` with each FQN segment percent-encoded.

        :raises InputError: on an unknown segment or a malformed FQN.
        """
        if segment not in self.segments:
            raise InputError(f"unknown IRI type segment {segment!r}")
        parts = split_fqn(fqn) if isinstance(fqn, str) else list(fqn)
        if not parts or any(not p for p in parts):
            raise InputError(f"empty segment in fully qualified name {parts!r}")
        return rdflib.URIRef(f"{self.base}{segment}/{'.'.join(_encode(p) for p in parts)}")

    def mint_edge(self, *, source: str, target: str) -> rdflib.URIRef:
        """The IRI of the lineage edge document from entity ``source`` to entity ``target`` (an OpenMetadata
        addLineage request): ``{base}lineage/{source segment}.{source FQN}.{target segment}.{target FQN}``,
        each of the four one percent-encoded FQN segment (an IRI not minted here stands as ``iri.{IRI}``).

        :raises InputError: if the ontology has no lineage edge type.
        """
        parts: list[str] = []
        for end in (source, target):
            parsed = self.parse(end)
            parts.extend(["iri", end] if parsed is None else [parsed[0], join_fqn(parsed[1])])
        return self.mint(segment=self.type_named("lineageEdge").segment, fqn=parts)

    def parse(self, iri: str) -> tuple[str, list[str]] | None:
        """Split a minted IRI back into ``(segment, fqn segments)``; None if it was not minted here."""
        if not iri.startswith(self.base):
            return None
        segment, sep, rest = iri[len(self.base) :].partition("/")
        if not sep or segment not in self.segments or not rest:
            return None
        return segment, [unquote(p) for p in rest.split(".")]
