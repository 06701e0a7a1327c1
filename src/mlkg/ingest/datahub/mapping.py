"""One DataHub aspect change to pieces of mlkg entity documents (plain JSON, what an upload takes): pure.

Each piece is part of one entity's document (``type``, ``name``, ``fullyQualifiedName`` and what the aspect
says); :mod:`.intake` folds the pieces of one entity into one document and merges it with the stored one.
Entities are named by :mod:`.urns`. What each aspect gives (README, "DataHub"):

- ``dataset`` (a ``table``): ``datasetProperties`` (description, ``externalUrl`` as ``sourceUrl``, ``name``
  as ``displayName``); ``schemaMetadata`` (``columns``: field path, ``nativeDataType`` as ``dataType``,
  description); ``upstreamLineage`` (``derivedFromTables``; each ``fineGrainedLineages`` entry gives its
  downstream columns ``derivedFromColumns``, the upstream columns);
- ``mlModel`` (an ``mlmodel``): ``mlModelProperties`` (description, ``type`` as ``algorithm``,
  ``version.versionTag``, ``hyperParams`` / ``hyperParameters``, numeric ``trainingMetrics``,
  ``mlFeatures`` as ``features``, ``groups`` as ``versionOf`` its model groups, ``trainingJobs`` as
  ``producedByRun``, ``created`` / ``lastModified`` as ``createdAt`` / ``updatedAt``; each of its
  ``deployments`` gets ``servesModel`` this model), ``versionProperties`` (``version.versionTag``,
  ``aliases``);
- ``mlModelGroup`` (a registered model): ``mlModelGroupProperties`` (description, ``createdAt``, version);
- ``mlModelDeployment``: ``mlModelDeploymentProperties`` (description, status, ``createdAt``, version,
  ``externalUrl``);
- ``mlFeature``: ``mlFeatureProperties`` (description, ``dataType``, ``sources`` as ``derivedFrom``);
- ``mlFeatureTable`` (a feature table): ``mlFeatureTableProperties`` (description; each of its
  ``mlFeatures`` gets ``featureOf`` this table);
- ``dataProcessInstance`` (a training run): ``dataProcessInstanceProperties`` (``created`` as
  ``startTime``), ``dataProcessInstanceInput`` (datasets as ``inputs``), ``dataProcessInstanceOutput``
  (an output dataset gets ``producedBy`` the run; an output model ``producedByRun`` the run, if the model is
  known), ``dataProcessInstanceRunEvent`` (``status``: STARTED is RUNNING; COMPLETE is FINISHED, FAILED or
  KILLED by its result; its time as ``startTime`` or ``endTime``), ``mlTrainingRunProperties`` (parameters,
  metrics, ``id``).

Everything else (other aspects, other entity types, unknown keys of a used aspect, ``DELETE`` and ``PATCH``
changes) is reported as ignored, with its JSON pointer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from mlkg.errors import InputError, ParseError
from mlkg.ids import join_fqn
from mlkg.ingest.datahub.proposals import Proposal
from mlkg.ingest.datahub.urns import DOCUMENT_TYPES, PlatformMap, Urn, field_name, parse_urn
from mlkg.ingest.normalize import json_pointer

__all__ = ["MappedProposal", "Piece", "map_proposal"]

#: Keys of aspects that carry nothing mlkg stores and need no notice (bookkeeping, empty defaults).
_SILENT = frozenset({"customProperties", "created", "lastModified", "tags", "date", "hash", "version"})
_RESULTS = {"SUCCESS": "FINISHED", "FAILURE": "FAILED", "SKIPPED": "KILLED", "UP_FOR_RETRY": "FAILED"}


@dataclass
class Piece:
    """Part of one entity's document; ``weak`` pieces are written only for an entity otherwise known (in
    the same load, or stored), since on their own they would make a document that cannot stand."""

    key: tuple[str, str]
    body: dict[str, Any]
    pointer: str
    weak: bool = False


@dataclass
class MappedProposal:
    """What one aspect change maps to: pieces of documents and what was ignored (pointer, message)."""

    pieces: list[Piece] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)


def map_proposal(proposal: Proposal, *, names: PlatformMap) -> MappedProposal:
    """Map one aspect change (see the module docstring).

    :raises ParseError: if the aspect breaks DataHub's schema where mlkg reads it, or names an entity mlkg
        cannot name; ``where`` is the JSON pointer in the proposal's item.
    """
    return _Mapper(names, proposal).run()


class _Mapper:
    def __init__(self, names: PlatformMap, proposal: Proposal) -> None:
        self._names = names
        self._p = proposal
        self._out = MappedProposal()

    def run(self) -> MappedProposal:
        p = self._p
        if p.entity_type not in DOCUMENT_TYPES or p.entity_type == "schemaField":
            self._ignore("", f"DataHub {p.entity_type or 'unknown'!r} entities are not taken")
            return self._out
        if p.change_type == "DELETE":
            self._ignore("", "DELETE is not applied (mlkg delete removes an entity)")
            return self._out
        if p.change_type == "PATCH":
            self._ignore("", "PATCH changes are not applied")
            return self._out
        urn = self._urn(p.urn, where="/entityUrn")
        if urn.entity_type != p.entity_type:
            raise ParseError(f"entityType {p.entity_type!r} does not match {p.urn}", where="/entityType")
        handler = _HANDLERS.get((p.entity_type, p.aspect_name or ""))
        if p.aspect is None or handler is None:
            self._ignore(p.pointer, f"aspect {p.aspect_name!r} of {p.entity_type} is not used")
            return self._out
        handler(self, urn, p.aspect)
        return self._out

    # -- datasets ------------------------------------------------------------------------------------

    def _dataset_properties(self, urn: Urn, aspect: Mapping[str, Any]) -> None:
        body = self._own(urn)
        self._texts(aspect, body, {"description": "description", "name": "displayName"})
        self._url(aspect, body)
        self._rest(aspect, {"description", "name", "externalUrl", "qualifiedName", "uri"})

    def _schema_metadata(self, urn: Urn, aspect: Mapping[str, Any]) -> None:
        body = self._own(urn)
        columns: list[dict[str, Any]] = []
        for index, item in enumerate(self._list(aspect, "fields")):
            at = json_pointer(json_pointer(self._p.pointer, "fields"), index)
            if not isinstance(item, Mapping) or not isinstance(item.get("fieldPath"), str):
                raise ParseError("a schema field needs a fieldPath, a string", where=at)
            name = field_name(item["fieldPath"])
            if not name.strip() or '"' in name:
                raise ParseError(f"the field path {item['fieldPath']!r} names no column", where=at)
            column: dict[str, Any] = {"name": name}
            for key, target in (("nativeDataType", "dataType"), ("description", "description")):
                if isinstance(item.get(key), str) and item[key]:
                    column[target] = item[key]
            columns.append(column)
        body["columns"] = columns
        self._rest(aspect, {"fields", "schemaName", "platform", "platformSchema", "primaryKeys"})

    def _upstream_lineage(self, urn: Urn, aspect: Mapping[str, Any]) -> None:
        body = self._own(urn)
        tables = []
        for index, item in enumerate(self._list(aspect, "upstreams")):
            at = json_pointer(json_pointer(self._p.pointer, "upstreams"), index)
            if not isinstance(item, Mapping):
                raise ParseError("an upstream must be a JSON object", where=at)
            tables.append(
                self._ref(item.get("dataset"), where=json_pointer(at, "dataset"), kinds=("dataset",))
            )
        if tables:
            body["derivedFromTables"] = tables
        for index, item in enumerate(self._list(aspect, "fineGrainedLineages")):
            self._fine_grained(
                item, where=json_pointer(json_pointer(self._p.pointer, "fineGrainedLineages"), index)
            )
        self._rest(aspect, {"upstreams", "fineGrainedLineages"})

    def _fine_grained(self, item: Any, *, where: str) -> None:
        if not isinstance(item, Mapping):
            raise ParseError("a fine-grained lineage must be a JSON object", where=where)
        if item.get("upstreamType", "FIELD_SET") != "FIELD_SET" or item.get(
            "downstreamType", "FIELD"
        ) not in (
            "FIELD",
            "FIELD_SET",
        ):
            self._ignore(
                where, "only field-to-field lineage (FIELD_SET upstreams, FIELD downstreams) is used"
            )
            return
        sources = [
            self._column(u, where=json_pointer(json_pointer(where, "upstreams"), i))
            for i, u in enumerate(self._list(item, "upstreams", where=where))
        ]
        for index, text in enumerate(self._list(item, "downstreams", where=where)):
            at = json_pointer(json_pointer(where, "downstreams"), index)
            column = self._column(text, where=at)
            table = column.pop("table")
            self._piece(
                (table["type"], table["fullyQualifiedName"]),
                {**table, "columns": [{**column, "derivedFromColumns": sources}]},
                pointer=at,
            )

    # -- models --------------------------------------------------------------------------------------

    def _ml_model_properties(self, urn: Urn, aspect: Mapping[str, Any]) -> None:
        body = self._own(urn)
        self._texts(aspect, body, {"description": "description", "type": "algorithm", "name": "displayName"})
        self._url(aspect, body)
        self._version(aspect, body)
        self._stamps(aspect, body)
        parameters = self._parameters(aspect)
        if parameters:
            body["mlHyperParameters"] = parameters
        metrics = self._metrics(aspect, "trainingMetrics")
        if metrics:
            body["metrics"] = metrics
        for key, target, kinds in (
            ("mlFeatures", "features", ("mlFeature",)),
            ("groups", "versionOf", ("mlModelGroup",)),
            ("trainingJobs", "producedByRun", ("dataProcessInstance",)),
        ):
            refs = self._refs(aspect, key, kinds=kinds)
            if refs:
                body[target] = refs
        me = self._bare(urn)
        for index, text in enumerate(self._list(aspect, "deployments")):
            at = json_pointer(json_pointer(self._p.pointer, "deployments"), index)
            deployment = self._ref(text, where=at, kinds=("mlModelDeployment",))
            self._piece(_key(deployment), {**deployment, "servesModel": me}, pointer=at)
        used = {"description", "type", "name", "externalUrl", "hyperParams", "hyperParameters"}
        self._rest(aspect, used | {"trainingMetrics", "mlFeatures", "groups", "trainingJobs", "deployments"})

    def _ml_model_group_properties(self, urn: Urn, aspect: Mapping[str, Any]) -> None:
        body = self._own(urn)
        self._texts(aspect, body, {"description": "description", "name": "displayName"})
        self._url(aspect, body)
        self._version(aspect, body)
        self._time(aspect, "createdAt", body, "createdAt")
        self._stamps(aspect, body)
        self._rest(aspect, {"description", "name", "externalUrl", "createdAt"})

    def _version_properties(self, urn: Urn, aspect: Mapping[str, Any]) -> None:
        body = self._own(urn)
        self._version(aspect, body)
        aliases = []
        for index, alias in enumerate(self._list(aspect, "aliases")):
            if not isinstance(alias, Mapping) or not isinstance(alias.get("versionTag"), str):
                at = json_pointer(json_pointer(self._p.pointer, "aliases"), index)
                raise ParseError("an alias needs a versionTag, a string", where=at)
            aliases.append(alias["versionTag"])
        if aliases:
            body["aliases"] = aliases
        used = {"aliases", "versionSet", "sortId", "versioningScheme", "isLatest"}
        self._rest(aspect, used | {"sourceCreatedTimestamp", "metadataCreatedTimestamp"})

    def _ml_model_deployment_properties(self, urn: Urn, aspect: Mapping[str, Any]) -> None:
        body = self._own(urn)
        self._texts(aspect, body, {"description": "description", "status": "status"})
        self._url(aspect, body)
        self._version(aspect, body)
        self._time(aspect, "createdAt", body, "createdAt")
        self._rest(aspect, {"description", "status", "externalUrl", "createdAt"})

    # -- features ------------------------------------------------------------------------------------

    def _ml_feature_properties(self, urn: Urn, aspect: Mapping[str, Any]) -> None:
        body = self._own(urn)
        self._texts(aspect, body, {"description": "description", "dataType": "dataType"})
        sources = self._refs(aspect, "sources", kinds=("dataset",))
        if sources:
            body["derivedFrom"] = sources
        self._rest(aspect, {"description", "dataType", "sources"})

    def _ml_feature_table_properties(self, urn: Urn, aspect: Mapping[str, Any]) -> None:
        body = self._own(urn)
        self._texts(aspect, body, {"description": "description"})
        me = self._bare(urn)
        for index, text in enumerate(self._list(aspect, "mlFeatures")):
            at = json_pointer(json_pointer(self._p.pointer, "mlFeatures"), index)
            feature = self._ref(text, where=at, kinds=("mlFeature",))
            self._piece(_key(feature), {**feature, "featureOf": [me]}, pointer=at)
        self._rest(aspect, {"description", "mlFeatures"})

    # -- training runs -------------------------------------------------------------------------------

    def _data_process_instance_properties(self, urn: Urn, aspect: Mapping[str, Any]) -> None:
        body = self._own(urn)
        self._texts(aspect, body, {"name": "displayName"})
        self._url(aspect, body)
        created = aspect.get("created")
        if isinstance(created, Mapping):
            self._time(created, "time", body, "startTime", where=json_pointer(self._p.pointer, "created"))
        self._rest(aspect, {"name", "externalUrl", "type"})

    def _data_process_instance_input(self, urn: Urn, aspect: Mapping[str, Any]) -> None:
        body = self._own(urn)
        inputs = []
        for at, text in self._edges(aspect, "inputs", "inputEdges"):
            if self._urn(text, where=at).entity_type == "dataset":
                inputs.append(self._ref(text, where=at, kinds=("dataset",)))
            else:
                self._ignore(at, f"an input that is not a dataset ({text}) is not used")
        if inputs:
            body["inputs"] = inputs

    def _data_process_instance_output(self, urn: Urn, aspect: Mapping[str, Any]) -> None:
        self._own(urn)
        me = self._bare(urn)
        for at, text in self._edges(aspect, "outputs", "outputEdges"):
            kind = self._urn(text, where=at).entity_type
            if kind == "dataset":
                table = self._ref(text, where=at, kinds=("dataset",))
                self._piece(_key(table), {**table, "producedBy": [me]}, pointer=at)
            elif kind == "mlModel":
                model = self._ref(text, where=at, kinds=("mlModel",))
                self._piece(_key(model), {**model, "producedByRun": [me]}, pointer=at, weak=True)
            else:
                self._ignore(at, f"an output that is not a dataset or a model ({text}) is not used")

    def _data_process_instance_run_event(self, urn: Urn, aspect: Mapping[str, Any]) -> None:
        body = self._own(urn)
        status = aspect.get("status")
        result = aspect.get("result")
        result_type = result.get("type") if isinstance(result, Mapping) else None
        if status == "STARTED":
            body["status"] = "RUNNING"
            self._time(aspect, "timestampMillis", body, "startTime")
        elif status == "COMPLETE":
            if result_type in _RESULTS:
                body["status"] = _RESULTS[result_type]
            self._time(aspect, "timestampMillis", body, "endTime")
        else:
            raise ParseError(f"status {status!r} is not STARTED or COMPLETE", where=self._at("status"))

    def _ml_training_run_properties(self, urn: Urn, aspect: Mapping[str, Any]) -> None:
        body = self._own(urn)
        self._texts(aspect, body, {"id": "id"})
        self._url(aspect, body)
        parameters = self._parameters(aspect)
        if parameters:
            body["parameters"] = parameters
        metrics = self._metrics(aspect, "trainingMetrics")
        if metrics:
            body["metrics"] = metrics
        self._rest(aspect, {"id", "externalUrl", "hyperParams", "hyperParameters", "trainingMetrics"})

    # -- pieces --------------------------------------------------------------------------------------

    def _own(self, urn: Urn) -> dict[str, Any]:
        """This entity's piece (made on first use)."""
        ref = self._bare(urn)
        for piece in self._out.pieces:
            if piece.key == _key(ref) and piece.pointer == self._p.pointer:
                return piece.body
        body = dict(ref)
        self._piece(_key(ref), body, pointer=self._p.pointer)
        return body

    def _piece(self, key: tuple[str, str], body: dict[str, Any], *, pointer: str, weak: bool = False) -> None:
        self._out.pieces.append(Piece(key=key, body=body, pointer=pointer, weak=weak))

    def _bare(self, urn: Urn) -> dict[str, Any]:
        """The reference to what ``urn`` names: type, name, fully qualified name."""
        try:
            segments = self._names.segments(urn)
        except InputError as error:
            raise ParseError(error.message, where="/entityUrn") from error
        return _reference(urn, segments)

    def _ref(self, text: Any, *, where: str, kinds: Iterable[str]) -> dict[str, Any]:
        urn = self._urn(text, where=where)
        if urn.entity_type not in kinds:
            raise ParseError(f"{urn.text} is not a DataHub {' or '.join(kinds)}", where=where)
        try:
            return _reference(urn, self._names.segments(urn))
        except InputError as error:
            raise ParseError(error.message, where=where) from error

    def _column(self, text: Any, *, where: str) -> dict[str, Any]:
        urn = self._urn(text, where=where)
        if urn.entity_type != "schemaField" or len(urn.parts) != 2:
            raise ParseError(f"{urn.text} is not a DataHub schemaField", where=where)
        table = self._ref(urn.parts[0], where=where, kinds=("dataset",))
        name = field_name(urn.parts[1])
        return {
            "type": "column",
            "name": name,
            "fullyQualifiedName": f"{table['fullyQualifiedName']}.{join_fqn([name])}",
            "table": table,
        }

    def _refs(self, aspect: Mapping[str, Any], key: str, *, kinds: Iterable[str]) -> list[dict[str, Any]]:
        kinds = tuple(kinds)
        out = []
        for index, text in enumerate(self._list(aspect, key)):
            at = json_pointer(json_pointer(self._p.pointer, key), index)
            if self._urn(text, where=at).entity_type in kinds:
                out.append(self._ref(text, where=at, kinds=kinds))
            else:
                self._ignore(at, f"{text!r} is not a DataHub {' or '.join(kinds)}: not used")
        return out

    def _edges(self, aspect: Mapping[str, Any], key: str, edges: str) -> list[tuple[str, str]]:
        found = [
            (json_pointer(json_pointer(self._p.pointer, key), i), t)
            for i, t in enumerate(self._list(aspect, key))
        ]
        for index, edge in enumerate(self._list(aspect, edges)):
            at = json_pointer(json_pointer(self._p.pointer, edges), index)
            if not isinstance(edge, Mapping):
                raise ParseError("an edge must be a JSON object", where=at)
            found.append((json_pointer(at, "destinationUrn"), edge.get("destinationUrn")))
        unique: dict[Any, str] = {}
        for at, text in found:
            unique.setdefault(text, at)
        return [(at, text) for text, at in unique.items()]

    # -- values --------------------------------------------------------------------------------------

    def _texts(self, aspect: Mapping[str, Any], body: dict[str, Any], keys: Mapping[str, str]) -> None:
        for key, target in keys.items():
            value = aspect.get(key)
            if value is None:
                continue
            if not isinstance(value, str):
                raise ParseError(f"{key!r} must be a string", where=self._at(key))
            if value:
                body[target] = value

    def _url(self, aspect: Mapping[str, Any], body: dict[str, Any]) -> None:
        url = aspect.get("externalUrl")
        if isinstance(url, str) and url.startswith(("http://", "https://")):
            body["sourceUrl"] = url
        elif url is not None:
            self._ignore(self._at("externalUrl"), "an externalUrl that is not an http(s) URL is not used")

    def _version(self, aspect: Mapping[str, Any], body: dict[str, Any]) -> None:
        version = aspect.get("version")
        if isinstance(version, Mapping) and isinstance(version.get("versionTag"), str):
            body["version"] = version["versionTag"]

    def _time(
        self, obj: Mapping[str, Any], key: str, body: dict[str, Any], target: str, *, where: str | None = None
    ) -> None:
        value = obj.get(key)
        if value is None:
            return
        if not isinstance(value, int) or isinstance(value, bool):
            raise ParseError(
                f"{key!r} must be milliseconds since the epoch",
                where=json_pointer(where or self._p.pointer, key),
            )
        if value > 0:  # DataHub writes 0 for "unknown"
            moment = datetime.fromtimestamp(value / 1000, tz=UTC)
            spec = "seconds" if value % 1000 == 0 else "milliseconds"
            body[target] = moment.isoformat(timespec=spec).replace("+00:00", "Z")

    def _stamps(self, aspect: Mapping[str, Any], body: dict[str, Any]) -> None:
        """``created`` / ``lastModified`` time stamps (``{"time": ms}``) as ``createdAt`` / ``updatedAt``."""
        for key, target in (("created", "createdAt"), ("lastModified", "updatedAt")):
            stamp = aspect.get(key)
            if isinstance(stamp, Mapping):
                self._time(stamp, "time", body, target, where=self._at(key))

    def _parameters(self, aspect: Mapping[str, Any]) -> list[dict[str, str]]:
        out = []
        for index, item in enumerate(self._list(aspect, "hyperParams")):
            at = json_pointer(json_pointer(self._p.pointer, "hyperParams"), index)
            if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
                raise ParseError("a hyperparameter needs a name, a string", where=at)
            entry = {"name": item["name"]}
            if item.get("value") is not None:
                entry["value"] = str(item["value"])
            out.append(entry)
        legacy = aspect.get("hyperParameters") or {}
        if not isinstance(legacy, Mapping):
            raise ParseError("'hyperParameters' must be an object", where=self._at("hyperParameters"))
        out.extend({"name": str(k), "value": str(v)} for k, v in legacy.items())
        return out

    def _metrics(self, aspect: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
        out = []
        for index, item in enumerate(self._list(aspect, key)):
            at = json_pointer(json_pointer(self._p.pointer, key), index)
            if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
                raise ParseError("a metric needs a name, a string", where=at)
            try:
                value = float(item.get("value"))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                self._ignore(json_pointer(at, "value"), "a metric whose value is not a number is not used")
                continue
            out.append({"name": item["name"], "value": value})
        return out

    def _list(self, obj: Mapping[str, Any], key: str, *, where: str | None = None) -> list[Any]:
        value = obj.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise ParseError(f"{key!r} must be an array", where=json_pointer(where or self._p.pointer, key))
        return value

    def _rest(self, aspect: Mapping[str, Any], used: set[str]) -> None:
        for key, value in aspect.items():
            if key in used or (key in _SILENT and not _meaningful(key, value)):
                continue
            self._ignore(self._at(key), f"{key!r} of aspect {self._p.aspect_name!r} is not used")

    def _urn(self, text: Any, *, where: str) -> Urn:
        try:
            return parse_urn(text)
        except InputError as error:
            raise ParseError(error.message, where=where) from error

    def _at(self, key: str) -> str:
        return json_pointer(self._p.pointer, key)

    def _ignore(self, pointer: str, message: str) -> None:
        self._out.ignored.append((pointer, message))


#: The aspects mlkg reads, by entity type and aspect name.
_HANDLERS: Mapping[tuple[str, str], Callable[[_Mapper, Urn, Mapping[str, Any]], None]] = MappingProxyType(
    {
        ("dataset", "datasetProperties"): _Mapper._dataset_properties,
        ("dataset", "schemaMetadata"): _Mapper._schema_metadata,
        ("dataset", "upstreamLineage"): _Mapper._upstream_lineage,
        ("mlModel", "mlModelProperties"): _Mapper._ml_model_properties,
        ("mlModel", "versionProperties"): _Mapper._version_properties,
        ("mlModelGroup", "mlModelGroupProperties"): _Mapper._ml_model_group_properties,
        ("mlModelDeployment", "mlModelDeploymentProperties"): _Mapper._ml_model_deployment_properties,
        ("mlFeature", "mlFeatureProperties"): _Mapper._ml_feature_properties,
        ("mlFeatureTable", "mlFeatureTableProperties"): _Mapper._ml_feature_table_properties,
        ("dataProcessInstance", "dataProcessInstanceProperties"): _Mapper._data_process_instance_properties,
        ("dataProcessInstance", "dataProcessInstanceInput"): _Mapper._data_process_instance_input,
        ("dataProcessInstance", "dataProcessInstanceOutput"): _Mapper._data_process_instance_output,
        ("dataProcessInstance", "dataProcessInstanceRunEvent"): _Mapper._data_process_instance_run_event,
        ("dataProcessInstance", "mlTrainingRunProperties"): _Mapper._ml_training_run_properties,
    }
)


def _meaningful(key: str, value: Any) -> bool:
    """A bookkeeping key worth a notice: non-empty custom properties or tags."""
    return key in ("customProperties", "tags") and bool(value)


def _reference(urn: Urn, segments: list[str]) -> dict[str, Any]:
    fqn = join_fqn(segments)
    if urn.entity_type == "schemaField":
        return {"type": "column", "name": segments[-1], "fullyQualifiedName": fqn}
    return {"type": DOCUMENT_TYPES[urn.entity_type], "name": segments[-1], "fullyQualifiedName": fqn}


def _key(reference: Mapping[str, Any]) -> tuple[str, str]:
    return (reference["type"], reference["fullyQualifiedName"])
