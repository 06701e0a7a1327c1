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

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from mlkg.errors import ParseError
from mlkg.ingest.datahub.proposals import Proposal
from mlkg.ingest.datahub.reader import AspectReader, MappedProposal, Piece, key_of
from mlkg.ingest.datahub.urns import DOCUMENT_TYPES, PlatformMap, Urn, field_name
from mlkg.ingest.normalize import json_pointer

__all__ = ["MappedProposal", "Piece", "map_proposal"]

_RESULTS = {"SUCCESS": "FINISHED", "FAILURE": "FAILED", "SKIPPED": "KILLED", "UP_FOR_RETRY": "FAILED"}


def map_proposal(proposal: Proposal, *, names: PlatformMap) -> MappedProposal:
    """Map one aspect change (see the module docstring).

    :raises ParseError: if the aspect breaks DataHub's schema where mlkg reads it, or names an entity mlkg
        cannot name; ``where`` is the JSON pointer in the proposal's item.
    """
    return _Mapper(names, proposal).run()


class _Mapper(AspectReader):
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
        custom = p.aspect.get("customProperties")
        if isinstance(custom, Mapping) and custom:  # mlkg:CustomProperty name/value nodes
            self._own(urn)["customProperties"] = dict(custom)
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
            self._piece(key_of(deployment), {**deployment, "servesModel": me}, pointer=at)
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
            self._piece(key_of(feature), {**feature, "featureOf": [me]}, pointer=at)
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
                self._piece(key_of(table), {**table, "producedBy": [me]}, pointer=at)
            elif kind == "mlModel":
                model = self._ref(text, where=at, kinds=("mlModel",))
                self._piece(key_of(model), {**model, "producedByRun": [me]}, pointer=at, weak=True)
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
