"""The MLflow connector (``mlkg import mlflow``; README, "Connectors"): experiments, runs (parameters,
metrics with their history, tags, status, times, input datasets), registered models and every model version
(run, source, stage, aliases, tags, signature, MLflow 3 logged model), read through MLflow's own client and
written through the catalog as documents an upload would give.

>>> import mlkg
>>> from mlkg.connectors.mlflow import import_mlflow
>>> with mlkg.open(store="memory:") as catalog:                        # doctest: +SKIP
...     report = import_mlflow(catalog=catalog, tracking_uri="sqlite:///mlflow.db")
...     len(report.written), report.unchanged, dict(report.ignored)

Modules: :mod:`.reader` (MLflow's client, page by page), :mod:`.mapping` (MLflow objects to documents, pure),
:mod:`.importer` (the order, the batches, and writing only what changed).
"""

from __future__ import annotations

from mlkg.connectors.mlflow.importer import MlflowImportReport, import_mlflow

__all__ = ["MlflowImportReport", "import_mlflow"]
