"""DataHub metadata change proposals (MCPs) and events (MCEs) as one list of aspect changes.

DataHub's Python emitter writes, with its file sink, a JSON array whose items are either an MCP
(``MetadataChangeProposalWrapper.to_obj()``: ``entityType``, ``entityUrn``, ``changeType``, ``aspectName``,
``aspect`` as ``{"json": {...}}``) or an MCE (``{"proposedSnapshot": {"<...>.MLModelSnapshot": {"urn": ...,
"aspects": [{"<...>.MLModelProperties": {...}}]}}}``). The REST emitter sends an MCP with its aspect
serialized: ``{"value": "<JSON text>", "contentType": "application/json"}``. All become :class:`Proposal`\\ s.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlkg.errors import ParseError
from mlkg.ingest.limits import MAX_JSON_DEPTH, too_deep
from mlkg.ingest.normalize import json_pointer

__all__ = ["Proposal", "is_datahub_proposal", "proposals_of"]

_CHANGE_TYPES = ("UPSERT", "CREATE", "CREATE_ENTITY", "RESTATE", "PATCH", "DELETE", "UPDATE")


@dataclass(frozen=True)
class Proposal:
    """One aspect change: the entity (type and URN), the change type, the aspect's name and value (None for
    a DELETE of the entity), and the JSON pointer of the value in its item."""

    entity_type: str
    urn: str
    change_type: str
    aspect_name: str | None
    aspect: Mapping[str, Any] | None
    pointer: str


def is_datahub_proposal(value: Any) -> bool:
    """True if ``value`` is shaped like a DataHub MCP (``entityUrn`` and ``changeType`` or ``aspectName``)
    or MCE (``proposedSnapshot``); mlkg's own documents and OpenLineage events have neither."""
    if not isinstance(value, Mapping):
        return False
    if isinstance(value.get("proposedSnapshot"), Mapping):
        return True
    return isinstance(value.get("entityUrn"), str) and ("changeType" in value or "aspectName" in value)


def proposals_of(item: Any) -> list[Proposal]:
    """The aspect changes of one MCP or MCE.

    :raises ParseError: if ``item`` is neither, or breaks their schema where mlkg reads it; ``where`` is the
        JSON pointer in the item.
    """
    if not isinstance(item, Mapping):
        raise ParseError("a DataHub proposal must be a JSON object", where="")
    snapshot = item.get("proposedSnapshot")
    if snapshot is not None:
        return _snapshot(snapshot, at="/proposedSnapshot")
    entity = item.get("entity")  # the REST emitter's MCE: {"entity": {"value": {"<...>Snapshot": ...}}}
    if isinstance(entity, Mapping) and "value" in entity and "entityUrn" not in item:
        return _snapshot(entity["value"], at="/entity/value")
    urn = item.get("entityUrn")
    if not isinstance(urn, str) or not urn:
        raise ParseError("'entityUrn' must be a non-empty string", where="/entityUrn")
    entity_type = item.get("entityType") or _type_of(urn)
    change = item.get("changeType", "UPSERT")
    if change not in _CHANGE_TYPES:
        raise ParseError(
            f"changeType {change!r} is not one of {', '.join(_CHANGE_TYPES)}", where="/changeType"
        )
    name = item.get("aspectName")
    if name is not None and not isinstance(name, str):
        raise ParseError("'aspectName' must be a string", where="/aspectName")
    if change == "DELETE" or name is None:
        return [Proposal(str(entity_type), urn, change, name, None, "")]
    aspect, pointer = _aspect_value(item.get("aspect"))
    return [Proposal(str(entity_type), urn, change, name, aspect, pointer)]


def _aspect_value(aspect: Any) -> tuple[Mapping[str, Any], str]:
    if not isinstance(aspect, Mapping):
        raise ParseError("'aspect' must be a JSON object", where="/aspect")
    if "json" in aspect:
        value = aspect["json"]
        if not isinstance(value, Mapping):
            raise ParseError("the aspect's 'json' must be a JSON object", where="/aspect/json")
        return value, "/aspect/json"
    if "value" in aspect:
        content = aspect.get("contentType", "application/json")
        if content != "application/json":
            raise ParseError(f"aspect contentType {content!r} is not application/json", where="/aspect")
        try:
            value = json.loads(aspect["value"])
        except (TypeError, ValueError, RecursionError) as error:
            raise ParseError(
                f"the aspect's value is not JSON text: {error}", where="/aspect/value"
            ) from error
        if too_deep(value) is not None:
            raise ParseError(
                f"the aspect is nested more than {MAX_JSON_DEPTH} levels deep", where="/aspect/value"
            )
        if not isinstance(value, Mapping):
            raise ParseError("the aspect's value must be a JSON object", where="/aspect/value")
        return value, "/aspect/value"
    raise ParseError("'aspect' must hold 'json' or 'value'", where="/aspect")


def _snapshot(snapshot: Any, *, at: str) -> list[Proposal]:
    if not isinstance(snapshot, Mapping) or len(snapshot) != 1:
        raise ParseError("a snapshot must be an object with one snapshot", where=at)
    ((kind, body),) = snapshot.items()
    at = json_pointer(at, kind)
    if not isinstance(body, Mapping):
        raise ParseError("a snapshot must be a JSON object", where=at)
    urn = body.get("urn")
    if not isinstance(urn, str) or not urn:
        raise ParseError("'urn' must be a non-empty string", where=json_pointer(at, "urn"))
    aspects = body.get("aspects")
    if not isinstance(aspects, list):
        raise ParseError("'aspects' must be an array", where=json_pointer(at, "aspects"))
    out: list[Proposal] = []
    for index, wrapped in enumerate(aspects):
        where = json_pointer(json_pointer(at, "aspects"), index)
        if not isinstance(wrapped, Mapping) or len(wrapped) != 1:
            raise ParseError("an aspect of a snapshot must be an object with one aspect", where=where)
        ((name, value),) = wrapped.items()
        if not isinstance(value, Mapping):
            raise ParseError("an aspect must be a JSON object", where=json_pointer(where, name))
        out.append(
            Proposal(_type_of(urn), urn, "UPSERT", aspect_name(name), value, json_pointer(where, name))
        )
    return out


def aspect_name(class_name: str) -> str:
    """The aspect name of an MCE's aspect class: ``com.linkedin.pegasus2avro.ml.metadata.MLModelProperties``
    is ``mlModelProperties``, ``...dataset.UpstreamLineage`` is ``upstreamLineage``."""
    last = class_name.rsplit(".", 1)[-1]
    if last.startswith("ML"):
        return "ml" + last[2:]
    return last[:1].lower() + last[1:]


def _type_of(urn: str) -> str:
    parts = urn.split(":", 3)
    return parts[2] if len(parts) > 3 and parts[0] == "urn" else ""
