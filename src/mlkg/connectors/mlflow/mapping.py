"""MLflow objects as mlkg documents: pure functions from what MLflow's client returns to the plain JSON
documents an upload takes (README, "Writing documents"), so the import goes through the same validation and
reasoning as any upload. Nothing here talks to MLflow or to a store.

Names (fully qualified names, from which :mod:`mlkg.ids` mints the IRIs; ``S`` is ``--service``, default
``mlflow``; a segment holding a ``.`` is quoted, as everywhere in mlkg):

================================  ======================================  ==============================
MLflow                            mlkg type                               fully qualified name
================================  ======================================  ==============================
the tracking server / registry    ``mlmodelService``                      ``S``
experiment                        ``experiment``                          ``S.<experiment name>``
run                               ``trainingRun``                         ``S.<experiment name>.<run id>``
dataset (``mlflow.log_input``)    ``dataset``                             ``S.<dataset name>.<digest>``
registered model                  ``registeredModel``                     ``S.<model name>``
model version                     ``modelVersion``                        ``S.<model name>.<version>``
================================  ======================================  ==============================

A run's parameters, metrics (latest value, and the whole history as metric points: step, time, value) and
tags, a version's tags, logged model (MLflow 3) and model store (its ``source``) are nodes of their entity's
document. Lineage: a run ``usedDataset`` its inputs; a version is ``producedByRun`` its run and a
``versionOf`` its registered model.

What has no place in the graph is counted in :class:`Ignored` and reported, never dropped silently.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mlkg.ids import join_fqn

__all__ = [
    "DESCRIPTION_TAG",
    "Ignored",
    "dataset_document",
    "dataset_fqn",
    "experiment_document",
    "experiment_fqn",
    "registered_model_document",
    "run_document",
    "run_fqn",
    "service_document",
    "version_document",
]

#: The tag in which MLflow keeps the description of an experiment or run (its UI's "Description").
DESCRIPTION_TAG = "mlflow.note.content"
#: The input tag saying what a run used a dataset for (training, evaluation, ...).
_CONTEXT_TAG = "mlflow.data.context"


@dataclass
class Ignored:
    """What an import read but did not write, by what it is, with how many times it was met."""

    counts: Counter[str] = field(default_factory=Counter)

    def add(self, what: str, count: int = 1) -> None:
        if count:
            self.counts[what] += count

    def to_dict(self) -> dict[str, int]:
        return dict(sorted(self.counts.items()))


def _ref(type_name: str, fqn: str) -> dict[str, str]:
    return {"type": type_name, "fullyQualifiedName": fqn}


def _pairs(items: Mapping[str, Any] | None) -> list[dict[str, str]]:
    return [{"name": str(k), "value": str(v)} for k, v in sorted((items or {}).items())]


def experiment_fqn(*, service: str, name: str) -> str:
    return join_fqn([service, name])


def run_fqn(*, service: str, experiment: str, run_id: str) -> str:
    return join_fqn([service, experiment, run_id])


def dataset_fqn(*, service: str, name: str, digest: str) -> str:
    return join_fqn([service, name, digest])


def model_fqn(*, service: str, name: str) -> str:
    return join_fqn([service, name])


def service_document(*, service: str, tracking_uri: str) -> dict[str, Any]:
    """The model service the imported entities belong to."""
    document: dict[str, Any] = {
        "type": "mlmodelService",
        "name": service,
        "fullyQualifiedName": service,
        "serviceType": "Mlflow",
    }
    if tracking_uri.startswith(("http://", "https://")):
        document["sourceUrl"] = tracking_uri
    return document


def experiment_document(*, service: str, experiment: Any) -> dict[str, Any]:
    """An experiment (``mlflow.entities.Experiment``): name, id, description, tags, times."""
    tags = dict(experiment.tags or {})
    document: dict[str, Any] = {
        "type": "experiment",
        "id": str(experiment.experiment_id),
        "name": experiment.name,
        "fullyQualifiedName": experiment_fqn(service=service, name=experiment.name),
        "service": _ref("mlmodelService", service),
    }
    description = tags.pop(DESCRIPTION_TAG, None)
    if description:
        document["description"] = description
    if tags:
        document["sourceTags"] = _pairs(tags)
    if experiment.creation_time:
        document["createdAt"] = int(experiment.creation_time)
    if experiment.last_update_time:
        document["updatedAt"] = int(experiment.last_update_time)
    return document


def dataset_document(*, service: str, dataset: Any, ignored: Ignored) -> dict[str, Any]:
    """A dataset a run logged as input (``mlflow.entities.Dataset``): name, digest, source type, source
    (MLflow's JSON text, and its ``url`` / ``uri`` as ``sourceUrl`` when that is an absolute URL), schema.
    The profile is ignored."""
    document: dict[str, Any] = {
        "type": "dataset",
        "name": dataset.name,
        "fullyQualifiedName": dataset_fqn(service=service, name=dataset.name, digest=dataset.digest),
        "digest": dataset.digest,
        "service": _ref("mlmodelService", service),
    }
    if dataset.source_type:
        document["sourceType"] = dataset.source_type
    if dataset.source:
        document["datasetSource"] = dataset.source
        url = _source_url(dataset.source)
        if url is not None:
            document["sourceUrl"] = url
    if dataset.schema:
        document["schema"] = dataset.schema
    if getattr(dataset, "profile", None):
        ignored.add("dataset profiles")
    return document


def _source_url(source: str) -> str | None:
    try:
        parsed = json.loads(source)
    except ValueError:
        return None
    if not isinstance(parsed, dict):
        return None
    for key in ("url", "uri"):
        value = parsed.get(key)
        if isinstance(value, str) and "://" in value and " " not in value:
            return value
    return None


def run_document(
    *,
    service: str,
    experiment: str,
    run: Any,
    histories: Mapping[str, Sequence[Any]],
    datasets: Sequence[str],
    ignored: Ignored,
) -> dict[str, Any]:
    """A run (``mlflow.entities.Run``) of the experiment named ``experiment``: id, name, status, start and
    end, description, parameters, metrics with ``histories`` (key -> ``mlflow.entities.Metric`` list, as
    ``get_metric_history`` returns it), tags, and its input datasets (their fully qualified names)."""
    info, data = run.info, run.data
    tags = dict(data.tags or {})
    document: dict[str, Any] = {
        "type": "trainingRun",
        "id": info.run_id,
        "name": info.run_name or info.run_id,
        "fullyQualifiedName": run_fqn(service=service, experiment=experiment, run_id=info.run_id),
        "experiment": _ref("experiment", experiment_fqn(service=service, name=experiment)),
        "status": info.status,
    }
    description = tags.pop(DESCRIPTION_TAG, None)
    if description:
        document["description"] = description
    if info.start_time:
        document["startTime"] = int(info.start_time)
    if info.end_time:
        document["endTime"] = int(info.end_time)
    if data.params:
        document["parameters"] = _pairs(data.params)
    metrics = [
        metric
        for key, value in sorted((data.metrics or {}).items())
        if (metric := _metric(key, value, histories.get(key, ()), ignored)) is not None
    ]
    if metrics:
        document["metrics"] = metrics
    if tags:
        document["sourceTags"] = _pairs(tags)
    if datasets:
        document["inputs"] = [_ref("dataset", fqn) for fqn in datasets]
    return document


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def _metric(key: str, latest: Any, history: Iterable[Any], ignored: Ignored) -> dict[str, Any] | None:
    if not _finite(latest):
        ignored.add("metric values that are not finite numbers (NaN, infinity)")
        return None
    points: list[dict[str, Any]] = []
    for point in sorted(history, key=lambda m: (m.step, m.timestamp)):
        if not _finite(point.value):
            ignored.add("metric values that are not finite numbers (NaN, infinity)")
            continue
        entry: dict[str, Any] = {"step": int(point.step), "metricValue": float(point.value)}
        if point.timestamp:
            entry["timestamp"] = int(point.timestamp)
        points.append(entry)
    metric: dict[str, Any] = {"name": key, "value": float(latest)}
    if points:
        metric["history"] = points
    return metric


def input_datasets(*, run: Any, ignored: Ignored) -> list[Any]:
    """The datasets a run logged as inputs (``mlflow.entities.Dataset``), in MLflow's order. Their input tags
    (``mlflow.data.context``: training, evaluation, ...) are ignored."""
    inputs = getattr(run, "inputs", None)
    found: list[Any] = []
    for dataset_input in getattr(inputs, "dataset_inputs", None) or []:
        found.append(dataset_input.dataset)
        tags = [t for t in dataset_input.tags or [] if t.key == _CONTEXT_TAG]
        ignored.add("dataset input contexts (mlflow.data.context)", len(tags))
    return found


def registered_model_document(*, service: str, model: Any) -> dict[str, Any]:
    """A registered model (``mlflow.entities.model_registry.RegisteredModel``): name, description, tags,
    times. Its aliases are written on the versions they name."""
    document: dict[str, Any] = {
        "type": "registeredModel",
        "name": model.name,
        "fullyQualifiedName": model_fqn(service=service, name=model.name),
        "service": _ref("mlmodelService", service),
    }
    if model.description:
        document["description"] = model.description
    if model.tags:
        document["sourceTags"] = _pairs(model.tags)
    if model.creation_timestamp:
        document["createdAt"] = int(model.creation_timestamp)
    if model.last_updated_timestamp:
        document["updatedAt"] = int(model.last_updated_timestamp)
    return document


def version_document(
    *,
    service: str,
    version: Any,
    aliases: Sequence[str],
    run: str | None,
    signature: str | None,
    logged_model: Any | None,
) -> dict[str, Any]:
    """A model version (``mlflow.entities.model_registry.ModelVersion``): version number, description, stage,
    ``aliases`` (from its registered model), tags, times, source (as its model store), the fully qualified
    name of the run that produced it (``run``), its ``signature`` (JSON text) and its MLflow 3 logged model
    (``mlflow.entities.LoggedModel``)."""
    number = str(version.version)
    document: dict[str, Any] = {
        "type": "modelVersion",
        "name": f"{version.name} v{number}",
        "fullyQualifiedName": join_fqn([service, version.name, number]),
        "version": number,
        "versionOf": _ref("registeredModel", model_fqn(service=service, name=version.name)),
        "stage": version.current_stage or "None",
    }
    if version.description:
        document["description"] = version.description
    if aliases:
        document["aliases"] = sorted(aliases)
    if version.tags:
        document["sourceTags"] = _pairs(version.tags)
    if version.creation_timestamp:
        document["createdAt"] = int(version.creation_timestamp)
    if version.last_updated_timestamp:
        document["updatedAt"] = int(version.last_updated_timestamp)
    if version.source:
        document["mlStore"] = {"storage": version.source}
    if run is not None:
        document["producedByRun"] = [_ref("trainingRun", run)]
    if signature is not None:
        document["signature"] = signature
    if logged_model is not None:
        document["loggedModel"] = _logged_model(logged_model)
    return document


def _logged_model(model: Any) -> dict[str, Any]:
    node: dict[str, Any] = {"id": model.model_id, "name": model.name}
    if model.artifact_location:
        node["storage"] = model.artifact_location
    if model.params:
        node["parameters"] = _pairs(model.params)
    latest: dict[str, Any] = {}
    for metric in sorted(model.metrics or [], key=lambda m: (m.step, m.timestamp)):
        if _finite(metric.value):
            latest[metric.key] = float(metric.value)
    if latest:
        node["metrics"] = [{"name": k, "value": v} for k, v in sorted(latest.items())]
    if model.tags:
        node["sourceTags"] = _pairs(model.tags)
    if model.creation_timestamp:
        node["createdAt"] = int(model.creation_timestamp)
    return node
