"""OpenMetadata ``addLineage`` requests as lineage edge documents.

An ``AddLineageRequest`` (OpenMetadata ``api/lineage/addLineage.json``) is
``{"edge": {"fromEntity": ref, "toEntity": ref, "description": ..., "lineageDetails": {"columnsLineage":
[{"fromColumns": [column FQN...], "toColumn": column FQN}], "pipeline": ref, ...}}}``, the references being
``EntityReference``s (type and fully qualified name, or an id the store knows).

It becomes one entity document, a ``mlkg:LineageEdge`` stored in its own named graph
``{base}lineage/{from segment}.{from FQN}.{to segment}.{to FQN}`` (each part one percent-encoded FQN
segment), which holds:

- the edge: ``mlkg:fromEntity``, ``mlkg:toEntity``, ``mlkg:lineagePipeline``, ``mlkg:description``, and
  ``mlkg:columnLineage`` for each ``toColumn``;
- the lineage it asserts: ``<to> mlkg:derivedFrom <from>``, and ``<toColumn> mlkg:derivedFromColumn
  <fromColumn>`` for each column pair.

So an edge sent again replaces exactly its own lineage, deleting its document (``DELETE
/id/lineage/...``) removes it, the documents of the two entities are never touched, and the reasoner reads
the asserted lineage from the edge's graph like any other. The two ends and the columns are references
(not validated as described nodes of the edge). ``sqlQuery``, ``source``, a column lineage's ``function``
and the other fields of ``lineageDetails`` are reported as ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mlkg.errors import InputError, ParseError
from mlkg.ids import IriMinter

__all__ = ["Edge", "edge_node", "is_edge_request"]

_EDGE_KEYS = frozenset({"fromEntity", "toEntity", "description", "lineageDetails"})
_IGNORED_DETAILS = frozenset({"sqlQuery", "source", "createdAt", "createdBy", "updatedAt", "updatedBy"})

#: Normalises one entity reference found at a JSON pointer (the normaliser's own walk).
Reference = Callable[[Mapping[str, Any], str], dict[str, Any]]


def is_edge_request(node: Mapping[str, Any]) -> bool:
    """True for an ``addLineage`` request: an ``edge`` key and no entity type."""
    return "edge" in node and "type" not in node and "@type" not in node


@dataclass
class Edge:
    """The normalised edge node, the IRIs it only references, and ignored fields (pointer, message)."""

    node: dict[str, Any]
    references: set[str] = field(default_factory=set)
    ignored: list[tuple[str, str]] = field(default_factory=list)


def _pointer(parent: str, key: str | int) -> str:
    return f"{parent}/{str(key).replace('~', '~0').replace('/', '~1')}"


def edge_node(*, request: Mapping[str, Any], pointer: str, minter: IriMinter, reference: Reference) -> Edge:
    """The lineage edge document of an ``addLineage`` request (see the module docstring).

    :raises ParseError: the request is not ``{"edge": {...}}``, an end is missing or names no entity, a
        column is not a fully qualified name; ``where`` is the JSON pointer of the offending field.
    :raises ValidationError: an end given by an id the store does not know.
    """
    result = Edge(node={})
    at = _pointer(pointer, "edge")
    edge = request["edge"]
    for key in request:
        if key not in ("edge", "@context"):
            result.ignored.append((_pointer(pointer, key), f"field {key!r} beside 'edge' was ignored"))
    if not isinstance(edge, Mapping):
        raise ParseError("'edge' must be an object with fromEntity and toEntity", where=at)
    ends: dict[str, dict[str, Any]] = {}
    for key in ("fromEntity", "toEntity"):
        value = edge.get(key)
        where = _pointer(at, key)
        if not isinstance(value, Mapping):
            raise ParseError(
                f"the edge needs {key}: an entity reference such as "
                '{"type": "table", "fullyQualifiedName": "..."}',
                where=where,
            )
        end = reference(value, where)
        if "@id" not in end:
            raise ParseError(
                f"{key} names no entity: give its type and fullyQualifiedName, or its id", where=where
            )
        ends[key] = end
        result.references.add(end["@id"])
    for key in edge:
        if key not in _EDGE_KEYS:
            result.ignored.append((_pointer(at, key), f"field {key!r} of the edge was ignored"))

    from_id, to_id = ends["fromEntity"]["@id"], ends["toEntity"]["@id"]
    lineage_type = minter.type_named("lineageEdge")
    iri = str(minter.mint_edge(source=from_id, target=to_id))
    node: dict[str, Any] = {
        "@id": iri,
        "@type": [str(lineage_type.cls)],
        "fromEntity": ends["fromEntity"],
        "toEntity": {**ends["toEntity"], "derivedFrom": [{"@id": from_id}]},
    }
    if isinstance(edge.get("description"), str):
        node["description"] = edge["description"]
    details = edge.get("lineageDetails")
    if details is not None:
        _details(
            details,
            node=node,
            result=result,
            pointer=_pointer(at, "lineageDetails"),
            minter=minter,
            reference=reference,
        )
    result.node = node
    return result


def _details(
    details: Any, *, node: dict[str, Any], result: Edge, pointer: str, minter: IriMinter, reference: Reference
) -> None:
    if not isinstance(details, Mapping):
        raise ParseError("lineageDetails must be an object", where=pointer)
    for key, value in details.items():
        where = _pointer(pointer, key)
        if key == "description" and isinstance(value, str):
            node.setdefault("description", value)
        elif key == "pipeline" and value is not None:
            ref = {"type": "pipeline", **value} if isinstance(value, Mapping) else value
            if not isinstance(ref, Mapping):
                raise ParseError("pipeline must be an entity reference", where=where)
            pipeline = reference(ref, where)
            result.references.add(pipeline.get("@id", ""))
            node["lineagePipeline"] = pipeline
        elif key == "columnsLineage" and value is not None:
            node["columnsLineage"] = _columns(value, result=result, pointer=where, minter=minter)
        else:
            note = "is not kept by mlkg" if key in _IGNORED_DETAILS else "is not in the mlkg vocabulary"
            result.ignored.append((where, f"field {key!r} at {where} {note} and was ignored"))


def _columns(value: Any, *, result: Edge, pointer: str, minter: IriMinter) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise ParseError("columnsLineage must be a list", where=pointer)
    column = minter.type_named("column")
    merged: dict[str, list[str]] = {}
    for index, entry in enumerate(value):
        at = _pointer(pointer, index)
        if not isinstance(entry, Mapping):
            raise ParseError(
                "a columnsLineage entry must be an object with fromColumns and toColumn", where=at
            )
        to_iri = _column(entry.get("toColumn"), pointer=_pointer(at, "toColumn"), minter=minter)
        sources = entry.get("fromColumns", [])
        if not isinstance(sources, list):
            raise ParseError("fromColumns must be a list of column FQNs", where=_pointer(at, "fromColumns"))
        froms = merged.setdefault(to_iri, [])
        for i, source in enumerate(sources):
            from_iri = _column(source, pointer=_pointer(_pointer(at, "fromColumns"), i), minter=minter)
            if from_iri not in froms:
                froms.append(from_iri)
        for key in entry:
            if key not in ("fromColumns", "toColumn"):
                where = _pointer(at, key)
                result.ignored.append(
                    (where, f"field {key!r} at {where} is not kept by mlkg and was ignored")
                )
    out: list[dict[str, Any]] = []
    for to_iri, froms in merged.items():
        result.references.add(to_iri)
        result.references.update(froms)
        out.append(
            {
                "@id": to_iri,
                "@type": [str(column.cls)],
                "derivedFromColumns": [{"@id": f, "@type": [str(column.cls)]} for f in froms],
            }
        )
    return out


def _column(value: Any, *, pointer: str, minter: IriMinter) -> str:
    if not isinstance(value, str):
        raise ParseError(f"a column must be given by its fully qualified name, not {value!r}", where=pointer)
    try:
        return str(minter.mint(segment=minter.type_named("column").segment, fqn=value))
    except InputError as error:
        raise ParseError(error.message, where=pointer) from error
