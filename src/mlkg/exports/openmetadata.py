"""Entities as OpenMetadata's JSON (``GET /api/v1/mlmodels/name/{fqn}`` and the other read routes).

An entity's document (its named graph) is read back into the JSON an OpenMetadata client expects, named by
mlkg's JSON-LD context: each stored property is written under the first term of ``contexts/mlkg.jsonld``
that maps to it (OpenMetadata's own names come first there: ``mlFeatures`` before ``features``), a term with
``"@container": "@set"`` as a list, a scoped context applying under its term (a metric's ``value``). So the
context stays the one table from JSON keys to ontology properties, in and out.

- Nodes the document describes (features, feature sources, hyperparameters, the model store, columns, tag
  labels) are nested objects; the entities it only references (service, owners, followers, domains, data
  products, a dashboard, a feature source's column) are ``EntityReference``s: ``id``, ``type``, ``name``,
  ``fullyQualifiedName``, ``displayName``, ``description`` (from the referenced entity's own document when
  it has one, else from what the referencing document said) and ``href`` (the entity IRI).
- ``type`` is OpenMetadata's name of the entity's type (``mlmodel``, ``table``, ``mlmodelService``; a
  subclass OpenMetadata does not know goes by its superclass's: a prediction table is a ``table``), else
  mlkg's (``feature``);
- ``id`` is the OpenMetadata id the entity was loaded with (``mlkg:externalId``), else a UUID derived from
  the entity IRI (UUID version 5, URL namespace), stable across reads; ``href`` is the entity IRI.
- Values: ``xsd:dateTime`` as epoch milliseconds (OpenMetadata's timestamps), numbers and booleans as JSON
  numbers and booleans, ``version`` as a number when it is one (OpenMetadata's entity version). RDF keeps
  no order: lists are sorted by name.
- ``fields``: like OpenMetadata's resources, the fields each entity type lists in ``OPTIONAL_FIELDS``
  (owners, followers, tags, domains, ...) are left out unless asked for (``fields=owners,tags``; ``*``
  asks for all); a field mlkg does not hold is simply absent.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, URIRef

from mlkg.errors import InputError, NotFoundError
from mlkg.ids import IriMinter, join_fqn
from mlkg.resources import context_text
from mlkg.store.base import Object, Store, Subject, Triple
from mlkg.vocab import INFERRED_GRAPH, MLKG, NS, REFERENCE_PREDICATES

__all__ = ["COLLECTIONS", "OPTIONAL_FIELDS", "OpenMetadataJson", "entity_id"]

#: OpenMetadata's collection in the ``/api/v1/{collection}/name/{fqn}`` routes, and its entity type.
COLLECTIONS: Mapping[str, str] = {
    "mlmodels": "mlmodel",
    "tables": "table",
    "pipelines": "pipeline",
    "dashboards": "dashboard",
}
_COMMON = (
    "owners",
    "followers",
    "tags",
    "domains",
    "dataProducts",
    "votes",
    "extension",
    "lifeCycle",
    "certification",
    "usageSummary",
    "sourceHash",
)
#: The fields each resource returns only when ``fields`` names them (OpenMetadata's ``FIELDS`` of
#: ``MlModelResource``, ``TableResource``, ``PipelineResource``, ``DashboardResource``); every other field
#: is always returned.
OPTIONAL_FIELDS: Mapping[str, frozenset[str]] = {
    "mlmodel": frozenset((*_COMMON, "dashboard")),
    "table": frozenset(_COMMON)
    | {"columns", "tableConstraints", "tablePartition", "customMetrics", "joins", "sampleData"}
    | {"schemaDefinition", "dataModel", "testSuite"},
    "pipeline": frozenset((*_COMMON, "tasks", "pipelineStatus", "scheduleInterval")),
    "dashboard": frozenset((*_COMMON, "charts", "dataModels")),
}
#: OpenMetadata's names of entity types, preferred among a class's ``mlkg:jsonType`` names.
_OPENMETADATA_TYPES = frozenset(
    {"mlmodel", "mlmodelService", "table", "dashboard", "pipeline", "user", "team", "domain", "dataProduct"}
    | {
        "classification",
        "tag",
        "column",
        "lineageEdge",
        "databaseService",
        "pipelineService",
        "dashboardService",
    }
)
_NUMBERS = {XSD.integer, XSD.int, XSD.long, XSD.double, XSD.float, XSD.decimal}
_SORT_KEYS = ("name", "fullyQualifiedName", "tagFQN")


def entity_id(iri: URIRef, external: Iterable[Object] = ()) -> str:
    """The OpenMetadata ``id`` of an entity: its external id if it has one, else a UUID of its IRI."""
    for value in external:
        if isinstance(value, Literal):
            return str(value)
    return str(uuid.uuid5(uuid.NAMESPACE_URL, str(iri)))


@dataclass(frozen=True)
class _Term:
    name: str
    node: bool
    many: bool
    scoped: Mapping[URIRef, _Term] | None


class OpenMetadataJson:
    """Renders stored entities as OpenMetadata JSON, by the terms of mlkg's context.

    ``context`` is the parsed ``contexts/mlkg.jsonld``; ``type_names`` maps each class to its
    ``mlkg:jsonType`` names (the ontology's).
    """

    def __init__(
        self, *, minter: IriMinter, context: Mapping[str, Any], type_names: Mapping[URIRef, Sequence[str]]
    ) -> None:
        self._minter = minter
        definitions = context.get("@context", {})
        self._prefixes = {
            k: v for k, v in definitions.items() if isinstance(v, str) and v.endswith(("#", "/"))
        }
        self._terms = self._compile(definitions)
        self._type_names = {cls: self._preferred(names) for cls, names in type_names.items()}

    @classmethod
    def from_ontology(cls, *, minter: IriMinter, ontology: Graph) -> OpenMetadataJson:
        """With mlkg's shipped context and the ``mlkg:jsonType`` names of ``ontology``'s classes."""
        names: dict[URIRef, list[str]] = {}
        for klass, name in ontology.subject_objects(MLKG.jsonType):
            if isinstance(klass, URIRef):
                names.setdefault(klass, []).append(str(name))
        for klass, own in names.items():
            # a prediction table is a table to OpenMetadata
            if not any(n in _OPENMETADATA_TYPES for n in own):
                for parent in ontology.transitive_objects(klass, RDFS.subClassOf):
                    inherited = names.get(parent, []) if isinstance(parent, URIRef) else []
                    if any(n in _OPENMETADATA_TYPES for n in inherited):
                        names[klass] = inherited
                        break
        return cls(minter=minter, context=json.loads(context_text()), type_names=names)

    # -- context ----------------------------------------------------------------------------------------

    def _expand(self, value: str) -> str:
        prefix, sep, rest = value.partition(":")
        return self._prefixes[prefix] + rest if sep and prefix in self._prefixes else value

    def _compile(self, definitions: Mapping[str, Any]) -> dict[URIRef, _Term]:
        terms: dict[URIRef, _Term] = {}
        for name, definition in definitions.items():
            if name.startswith("@") or name in self._prefixes:
                continue
            if isinstance(definition, str):
                if definition.startswith("@"):
                    continue
                iri, node, many, scoped = definition, False, False, None
            elif isinstance(definition, Mapping) and isinstance(definition.get("@id"), str):
                iri = definition["@id"]
                node = definition.get("@type") == "@id"
                many = definition.get("@container") == "@set"
                inner = definition.get("@context")
                scoped = self._compile(inner) if isinstance(inner, Mapping) else None
            else:
                continue
            expanded = URIRef(self._expand(iri))
            if name[:1].isupper() or not str(expanded).startswith(NS):
                continue  # class terms name no property
            terms.setdefault(expanded, _Term(name, node, many, scoped))
        return terms

    @staticmethod
    def _preferred(names: Sequence[str]) -> str:
        known = sorted(n for n in names if n in _OPENMETADATA_TYPES)
        lower = sorted(n for n in names if n[:1].islower())
        return (known or lower or sorted(names))[0]

    # -- entities ---------------------------------------------------------------------------------------

    def fields(self, *, entity_type: str, requested: str | None) -> frozenset[str]:
        """The optional fields ``fields=`` asks for.

        :raises InputError: a name that is not a field of the entity type (``where`` is ``fields``).
        """
        optional = OPTIONAL_FIELDS.get(entity_type, frozenset(_COMMON))
        if requested is None or not requested.strip():
            return frozenset()
        names = {n.strip() for n in requested.split(",") if n.strip()}
        if "*" in names:
            return optional
        unknown = sorted(names - optional)
        if unknown:
            raise InputError(
                f"invalid field name {unknown[0]!r}; fields of {entity_type}: {', '.join(sorted(optional))}",
                where="fields",
            )
        return frozenset(names)

    def locate(self, *, store: Store, entity_type: str, fqn: str, document: bool = True) -> URIRef:
        """The IRI of the ``entity_type`` entity whose document has the fully qualified name ``fqn``
        (``document`` false: or that a stored document references with that type, as a lineage end).

        :raises NotFoundError: no document of that type and name is stored (OpenMetadata's "instance for
            ... not found").
        :raises InputError: an unknown entity type or a malformed FQN.
        """
        found = self._minter.type_named(entity_type)
        iri = self._minter.mint(segment=found.segment, fqn=fqn)
        typed = next(iter(store.quads(subject=iri, predicate=RDF.type, object=found.cls)), None)
        if typed is None or (document and not store.has_graph(graph=iri)):
            raise NotFoundError(f"{entity_type} instance for {fqn} not found")
        return iri

    def entity(
        self, *, store: Store, iri: URIRef, entity_type: str, fields: frozenset[str]
    ) -> dict[str, Any]:
        """The entity's document as OpenMetadata JSON, with the optional ``fields`` asked for."""
        triples = [(s, p, o) for s, p, o, _ in store.quads(graph=iri)]
        by_subject: dict[Subject, list[Triple]] = {}
        for triple in triples:
            by_subject.setdefault(triple[0], []).append(triple)
        described = {
            s
            for s, rows in by_subject.items()
            if isinstance(s, BNode) or any(p not in REFERENCE_PREDICATES for _, p, _ in rows)
        } | {iri}
        out = self._node(store, iri, by_subject, described, self._terms, seen={iri})
        external = [o for _, p, o in by_subject.get(iri, []) if p == MLKG.externalId]
        body: dict[str, Any] = {"id": entity_id(iri, external)}
        body.update((k, v) for k, v in out.items() if k != "id")
        body["href"] = str(iri)
        hidden = OPTIONAL_FIELDS.get(entity_type, frozenset(_COMMON)) - fields
        return {k: v for k, v in body.items() if k not in hidden}

    def reference(self, *, store: Store, iri: URIRef, within: Sequence[Triple] = ()) -> dict[str, Any]:
        """An ``EntityReference`` to ``iri``: from its own document when stored, else from ``within``."""
        own: dict[URIRef, list[Object]] = {}
        other: dict[URIRef, list[Object]] = {}
        for _, p, o, g in store.quads(subject=iri):
            if g != INFERRED_GRAPH:
                (own if g == iri else other).setdefault(p, []).append(o)
        for _, p, o in within:
            other.setdefault(p, []).append(o)

        def values(prop: URIRef) -> list[Object]:
            return own.get(prop) or other.get(prop) or []

        ref: dict[str, Any] = {"id": entity_id(iri, values(MLKG.externalId))}
        classes = [c for c in values(RDF.type) if isinstance(c, URIRef) and c in self._type_names]
        if classes:
            ref["type"] = sorted(self._type_names[c] for c in classes)[0]
        for prop, key in (
            (MLKG.name, "name"),
            (MLKG.fullyQualifiedName, "fullyQualifiedName"),
            (MLKG.displayName, "displayName"),
            (MLKG.description, "description"),
        ):
            found = [v for v in values(prop) if isinstance(v, Literal)]
            if found:
                ref[key] = str(sorted(found)[0])
        parsed = self._minter.parse(str(iri))
        if parsed is not None:
            ref.setdefault("name", parsed[1][-1])
            ref.setdefault("fullyQualifiedName", join_fqn(parsed[1]))
        ref["href"] = str(iri)
        return ref

    def _node(
        self,
        store: Store,
        subject: Subject,
        by_subject: Mapping[Subject, list[Triple]],
        described: set[Subject],
        terms: Mapping[URIRef, _Term],
        *,
        seen: set[Subject],
    ) -> dict[str, Any]:
        grouped: dict[str, tuple[_Term, list[Any]]] = {}
        for _, p, o in by_subject.get(subject, []):
            term = terms.get(p) if isinstance(p, URIRef) else None
            if term is None and isinstance(p, URIRef):
                term = self._terms.get(p)
            if term is None:
                continue
            if isinstance(o, Literal):
                value: Any = _literal(o, key=term.name)
            elif o in described and o not in seen:
                inner = {**self._terms, **(term.scoped or {})}
                value = self._node(store, o, by_subject, described, inner, seen=seen | {o})
                if p == MLKG.tag:
                    value = _tag_label(value)
            elif isinstance(o, URIRef):
                value = self.reference(store=store, iri=o, within=by_subject.get(o, []))
            else:
                continue
            grouped.setdefault(term.name, (term, []))[1].append(value)
        out: dict[str, Any] = {}
        for name, (term, items) in grouped.items():
            items.sort(key=_sort_key)
            out[name] = items if term.many or len(items) > 1 else items[0]
        return out


def _tag_label(value: dict[str, Any]) -> dict[str, Any]:
    """A tag node as OpenMetadata's ``TagLabel`` (``type/tagLabel.json``)."""
    label = {k: v for k, v in value.items() if k in ("tagFQN", "name", "displayName", "description")}
    return {**label, "source": "Classification", "labelType": "Manual", "state": "Confirmed"}


def _sort_key(value: Any) -> str:
    if isinstance(value, Mapping):
        for key in _SORT_KEYS:
            if isinstance(value.get(key), str):
                return str(value[key])
    return json.dumps(value, sort_keys=True, default=str)


def _literal(value: Literal, *, key: str) -> Any:
    datatype = value.datatype
    if datatype == XSD.dateTime:
        python = value.toPython()
        if isinstance(python, datetime) and python.tzinfo is not None:
            return int(python.timestamp() * 1000)
        return str(value)
    if datatype == XSD.boolean:
        return bool(value.toPython())
    if datatype in _NUMBERS:
        python = value.toPython()
        if isinstance(python, bool) or not isinstance(python, int | float | Decimal):
            return str(value)
        return python if isinstance(python, int) else float(python)
    if key == "version":
        try:
            return float(str(value))
        except ValueError:
            return str(value)
    return str(value)
