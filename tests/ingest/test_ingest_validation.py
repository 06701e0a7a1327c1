"""SHACL validation of entity documents against ontology/shapes.ttl."""

from __future__ import annotations

from typing import Any

import pytest
from rdflib import URIRef

from mlkg.config import DEFAULT_BASE_IRI as BASE
from mlkg.ingest import Ingestor, RejectionKind
from mlkg.store import Store

COLUMN = f"{BASE}column/pg.shop.public.customers.last_purchase_date"


def model(**fields: Any) -> dict[str, Any]:
    return {
        "type": "mlmodel",
        "name": "churn",
        "fullyQualifiedName": "mlflow.churn",
        "algorithm": "XGBoost",
    } | fields


def check(ingestor: Ingestor, make_source: Any, *docs: dict[str, Any], store: Store | None = None) -> Any:
    return ingestor.check(sources=[make_source(list(docs), name="batch.json")], store=store)


def test_model_without_algorithm_is_rejected_with_the_shacl_details(
    ingestor: Ingestor, make_source: Any
) -> None:
    doc = model()
    del doc["algorithm"]
    report = check(ingestor, make_source, doc)
    [rejected] = report.rejected
    assert rejected.kind is RejectionKind.VALIDATION
    assert rejected.where == "batch.json#/0"
    assert rejected.entity == URIRef(f"{BASE}model/mlflow.churn")
    assert "an ML model needs an algorithm (OpenMetadata requires name and algorithm)" in rejected.message
    [detail] = rejected.details
    assert detail["focus"] == f"<{BASE}model/mlflow.churn>"
    assert detail["severity"] == "Violation"
    assert set(detail) == {"focus", "path", "value", "message", "severity", "constraint"}


def test_a_registered_model_needs_no_algorithm(ingestor: Ingestor, make_source: Any) -> None:
    assert check(ingestor, make_source, {"type": "registeredModel", "name": "churn"}).ok


@pytest.mark.parametrize(
    ("doc", "path", "message"),
    [
        (model(metrics=[{"name": "auc", "value": "high"}]), "mlkg:metricValue", "must be a number"),
        (model(metrics=[{"name": "auc"}]), "mlkg:metricValue", "a metric needs a numeric value"),
        (model(mlHyperParameters=[{"name": "depth"}]), "mlkg:value", "a hyperparameter needs the value"),
        (model(mlFeatures=[{"dataType": "numerical"}]), "mlkg:name", "an ML feature needs a name"),
        (
            {
                "type": "modelVersion",
                "version": "3",
                "name": "v3",
                "stage": "Prod",
                "registeredModel": {"type": "registeredModel", "name": "churn"},
            },
            "mlkg:stage",
            "stage must be one of None, Staging, Production, Archived",
        ),
        (
            {"type": "modelVersion", "name": "churn.3", "version": "3"},
            "mlkg:versionOf",
            "which model it is a version of",
        ),
        ({"type": "trainingRun", "name": "r", "status": "DONE"}, "mlkg:status", "RUNNING, FINISHED"),
        ({"type": "trainingRun", "name": "r", "endTime": "yesterday"}, "mlkg:endTime", "date-time"),
        ({"type": "classification", "name": "PII", "sensitive": "very"}, "mlkg:sensitive", "true or false"),
        (
            {"type": "deployment", "name": "d", "servesModel": {"type": "dashboard", "name": "x"}},
            "mlkg:servesModel",
            "servesModel must name a model",
        ),
    ],
)
def test_shape_violations_tell_what_to_fix(
    ingestor: Ingestor, make_source: Any, doc: dict[str, Any], path: str, message: str
) -> None:
    [rejected] = check(ingestor, make_source, doc).rejected
    assert any(d["path"] == path and message in d["message"] for d in rejected.details), rejected.details


def test_metric_values_may_be_any_number(ingestor: Ingestor, make_source: Any) -> None:
    doc = model(
        metrics=[{"name": "auc", "value": 0.91}, {"name": "n", "value": 3}, {"name": "f1", "value": "0.5"}]
    )
    assert check(ingestor, make_source, doc).ok


def test_references_are_checked_for_their_class_only(ingestor: Ingestor, make_source: Any) -> None:
    # The referenced model carries no algorithm: it is described by its own document, not this one.
    deployment = {
        "type": "deployment",
        "name": "churn-endpoint",
        "servesModel": {"type": "mlmodel", "fullyQualifiedName": "mlflow.churn"},
    }
    assert check(ingestor, make_source, deployment).ok


def test_a_feature_table_is_a_table_for_sh_class(ingestor: Ingestor, make_source: Any) -> None:
    doc = model(
        mlFeatures=[
            {
                "name": "recency",
                "featureSources": [
                    {"name": "r", "dataSource": {"type": "featureTable", "fullyQualifiedName": "fs.customer"}}
                ],
            }
        ]
    )
    assert check(ingestor, make_source, doc).ok


def test_a_bare_iri_reference_needs_the_entity_in_the_batch_or_the_store(
    ingestor: Ingestor, make_source: Any, store: Store
) -> None:
    doc = model(mlFeatures=[{"name": "recency", "featureSources": [{"name": "d", "dataSource": COLUMN}]}])
    [rejected] = check(ingestor, make_source, doc, store=store).rejected
    assert any("dataSource must be a table" in d["message"] for d in rejected.details)

    table = {
        "type": "table",
        "fullyQualifiedName": "pg.shop.public.customers",
        "name": "customers",
        "columns": [{"name": "last_purchase_date"}],
    }
    assert check(ingestor, make_source, table, doc).ok  # the column is in the same batch
    assert ingestor.ingest(store=store, sources=[make_source(table)]).ok
    assert check(ingestor, make_source, doc, store=store).ok  # the column is in the store
