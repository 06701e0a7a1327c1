"""OpenMetadata create-request shorthands and references by id: what they name (:mod:`mlkg.ingest.normalize`).

Create requests (OpenMetadata ``api/data/create*.json``) name some entities by a plain string, a
``fullyQualifiedEntityName``, where an entity document has an ``EntityReference``; entity references may give
only an ``id``; owners may be given by name alone. Each function here says what such a value names: a plain
reference object for the normaliser to walk like any other, or the IRI the store knows (through a
:class:`~mlkg.ingest.references.ReferenceLookup`). An id or owner the store does not know is a
:class:`~mlkg.errors.ValidationError` with the value's JSON pointer: the document is rejected, nothing of it
written.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from rdflib import URIRef

from mlkg.errors import InputError, ParseError, ValidationError
from mlkg.ids import EntityType, split_fqn
from mlkg.ingest.document import is_absolute_iri
from mlkg.ingest.references import ReferenceLookup

__all__ = ["named_reference", "owner_named", "resolve_id", "service_fqn"]

#: Create-request fields that name an entity by a plain string, the type of the entity, and which key of a
#: reference the string is.
_NAMED_BY_STRING: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "service": ("mlmodelService", "fullyQualifiedName"),
        "domains": ("domain", "fullyQualifiedName"),
        "domain": ("domain", "fullyQualifiedName"),
        "dataProducts": ("dataProduct", "fullyQualifiedName"),
        "dashboard": ("dashboard", "fullyQualifiedName"),
        "followers": ("user", "name"),
    }
)
#: The type of service a create request's ``service`` string names, by the IRI segment of the entity
#: created (OpenMetadata's ``createPipeline``, ``createDashboard``, ...; else an ML model service).
_SERVICE_OF: Mapping[str, str] = MappingProxyType(
    {"table": "databaseService", "pipeline": "pipelineService", "dashboard": "dashboardService"}
)


def named_reference(*, key: str, value: str, top: EntityType | None) -> dict[str, Any] | None:
    """The reference object a create request's string ``value`` of field ``key`` stands for
    (``"service": "mlflow_prod"`` is ``{"type": "mlmodelService", "fullyQualifiedName": "mlflow_prod"}``;
    the service of a pipeline is a pipeline service), or None if ``key`` takes no such string. ``top`` is
    the type of the document's entity."""
    named = _NAMED_BY_STRING.get(key)
    if named is None:
        return None
    type_name, name_key = named
    if key == "service" and top is not None:
        type_name = _SERVICE_OF.get(top.segment, type_name)
    return {"type": type_name, name_key: value}


def service_fqn(obj: Mapping[str, Any], *, pointer: str, name: list[str]) -> list[str]:
    """OpenMetadata's fully qualified name of an entity created in a service when a create request gives
    only its ``name``: the service's FQN, then the name (``mlflow_prod.churn_model``).

    :raises ParseError: the service's FQN is malformed.
    """
    service = obj.get("service")
    if isinstance(service, Mapping):
        service = service.get("fullyQualifiedName", service.get("name"))
    if not isinstance(service, str) or is_absolute_iri(service):
        return name
    try:
        return [*split_fqn(service), *name]
    except InputError as error:
        raise ParseError(error.message, where=f"{pointer}/service") from error


def resolve_id(
    *,
    lookup: ReferenceLookup | None,
    external: str,
    entity_type: EntityType | None,
    pointer: str,
    required: bool,
) -> str | None:
    """The IRI of the entity the store knows by the external id ``external`` (of ``entity_type``'s class,
    asserted or inferred); None if it knows none and the reference has a name to mint from (``required``
    false). ``pointer`` is the reference's JSON pointer.

    :raises ValidationError: the id names several entities, or none and ``required``.
    """
    found = lookup.by_id(id=external) if lookup is not None else {}
    if entity_type is not None:
        found = {iri: classes for iri, classes in found.items() if entity_type.cls in classes}
    where = f"{pointer}/id"
    if len(found) > 1:
        listed = ", ".join(sorted(str(iri) for iri in found))
        raise ValidationError(
            f"the id {external!r} names {len(found)} entities ({listed}); give the reference's "
            "fullyQualifiedName",
            where=where,
        )
    if found:
        return str(next(iter(found)))
    if required:
        kind = f" {entity_type.cls.rsplit('#', 1)[-1].lower()}" if entity_type is not None else "n entity"
        raise ValidationError(
            f"no{kind} with the id {external!r} is known to the store: load it first, or give the "
            "reference's type and fullyQualifiedName",
            where=where,
        )
    return None


def owner_named(*, lookup: ReferenceLookup | None, name: str, pointer: str) -> tuple[URIRef, URIRef]:
    """The one user or team (IRI, class) the store knows by ``name`` (an owner given as a string).

    :raises ValidationError: no user or team has that name, or several do.
    """
    found = lookup.owners(name=name) if lookup is not None else {}
    if len(found) != 1:
        several = f"{len(found)} users and teams are" if found else "no user or team is"
        raise ValidationError(
            f"{several} named {name!r} in the store: give the owner as a reference, "
            f'{{"type": "user", "name": {name!r}}} or {{"type": "team", "name": {name!r}}}',
            where=pointer,
        )
    return next(iter(found.items()))
