"""Model documentation as data (issue 15, point 5): a model document's card, MLflow signature, dependencies
and custom properties (OpenMetadata ``extension``, DataHub ``customProperties``) are stored as validated,
queryable RDF, not ignored; a card field of the wrong kind is refused and nothing is written."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from rdflib import XSD, Literal, URIRef
from tests.ingest.conftest import BASE, MakeSource
from tests.ingest.test_ingest_direct import assert_same, readers  # noqa: F401  (a fixture)

from mlkg.ingest import Ingestor
from mlkg.store import Store
from mlkg.vocab import MLKG

FQN = "mlflow_prod.credit_risk"
MODEL = URIRef(f"{BASE}model/{FQN}")
CARD = URIRef(f"{BASE}modelcard/{FQN}")
#: MLflow's model signature as ``mlflow.models.ModelSignature.to_dict()`` gives it (and the MLmodel file
#: holds it): column specs as JSON text.
SIGNATURE = {
    "inputs": '[{"type": "double", "name": "income", "required": true}, {"type": "long", "name": "age"}]',
    "outputs": '[{"type": "double", "required": true}]',
    "params": None,
}
#: An OpenMetadata MlModel with the fields OpenMetadata has (extension) and the model card, signature and
#: dependencies mlkg adds, with Model Card Toolkit's sections under OpenMetadata-style camelCase keys.
DOCUMENT: dict[str, Any] = {
    "name": "credit_risk",
    "fullyQualifiedName": FQN,
    "algorithm": "LightGBM",
    "description": "Probability of default within 12 months.",
    "mlFeatures": [{"name": "income", "dataType": "numerical"}],
    "trainingData": [{"type": "table", "fullyQualifiedName": "snowflake.prod.loans"}],
    "signature": SIGNATURE,
    "dependencies": ["python=3.11", "pip", {"pip": ["lightgbm==4.3.0", "pandas>=2.1"]}],
    "extension": {
        "businessOwner": "Credit risk team",
        "reviewCycleDays": 90,
        "regulated": True,
        "jurisdictions": ["EU", "UK"],
        "validator": {"type": "user", "name": "ana", "fullyQualifiedName": "ana"},
        "retired": None,
    },
    "modelCard": {
        "overview": "Scores loan applications for the probability of default.",
        "intendedUse": ["Pre-screening of consumer loan applications", "Portfolio risk reporting"],
        "outOfScopeUse": ["Employment decisions"],
        "limitations": ["Not validated for applicants with no credit history"],
        "biases": ["Under-represents applicants under 21"],
        "ethicalConsiderations": ["Postcode can proxy for ethnicity: it is not a feature"],
        "trainingData": "Loans issued 2019-2023, 1.2M rows, defaults labelled after 12 months.",
        "evaluationData": "Loans issued in 2024 (holdout).",
        "metrics": [{"name": "auc", "value": 0.83}, {"name": "ks", "value": 0.41}],
    },
}


def ingest(ingestor: Ingestor, store: Store, make_source: MakeSource, data: Any) -> Any:
    return ingestor.ingest(store=store, sources=[make_source(data, name="model.json")])


def objects(store: Store, subject: URIRef, predicate: URIRef) -> set[Any]:
    result = store.query(
        query="SELECT ?s ?p ?o WHERE { ?s ?p ?o }", bindings={"s": subject, "p": predicate}, timeout=None
    )
    return {row[2] for row in result.rows}  # type: ignore[union-attr]


def test_the_card_signature_dependencies_and_custom_properties_are_stored(
    ingestor: Ingestor, store: Store, make_source: MakeSource
) -> None:
    report = ingest(ingestor, store, make_source, DOCUMENT)
    assert report.ok, report.to_dict()
    assert report.notices == []  # nothing ignored any more

    assert objects(store, MODEL, MLKG.modelCard) == {CARD}
    card = DOCUMENT["modelCard"]
    assert objects(store, CARD, MLKG.overview) == {Literal(card["overview"])}
    assert objects(store, CARD, MLKG.intendedUse) == {Literal(u) for u in card["intendedUse"]}
    assert objects(store, CARD, MLKG.outOfScopeUse) == {Literal("Employment decisions")}
    assert objects(store, CARD, MLKG.limitation) == {Literal(card["limitations"][0])}
    assert objects(store, CARD, MLKG.bias) == {Literal(card["biases"][0])}
    assert objects(store, CARD, MLKG.ethicalConsideration) == {Literal(card["ethicalConsiderations"][0])}
    # inside the card trainingData is text; on the model it stays the lineage edge to the training tables
    assert objects(store, CARD, MLKG.trainingDataDescription) == {Literal(card["trainingData"])}
    assert objects(store, CARD, MLKG.evaluationDataDescription) == {Literal(card["evaluationData"])}
    assert objects(store, MODEL, MLKG.trainedOn) == {URIRef(f"{BASE}table/snowflake.prod.loans")}
    metrics = objects(store, CARD, MLKG.metric)
    assert metrics == {URIRef(f"{BASE}metric/{FQN}.auc"), URIRef(f"{BASE}metric/{FQN}.ks")}
    assert objects(store, URIRef(f"{BASE}metric/{FQN}.auc"), MLKG.metricValue) == {
        Literal("0.83", datatype=XSD.double)
    }

    # the signature is kept as MLflow's JSON text, as `mlkg import mlflow` stores it
    (signature,) = objects(store, MODEL, MLKG.signature)
    assert json.loads(str(signature)) == SIGNATURE
    # conda-style {"pip": [...]} entries are listed with the other requirements
    assert {str(d) for d in objects(store, MODEL, MLKG.dependency)} == {
        "python=3.11",
        "pip",
        "lightgbm==4.3.0",
        "pandas>=2.1",
    }


def test_custom_properties_are_queryable_name_value_pairs(
    ingestor: Ingestor, store: Store, make_source: MakeSource
) -> None:
    assert ingest(ingestor, store, make_source, DOCUMENT).ok
    rows = store.query(
        query="""PREFIX mlkg: <https://w3id.org/mlkg#>
        SELECT ?model ?name ?value WHERE {
          ?model mlkg:customProperty ?p . ?p a mlkg:CustomProperty ; mlkg:name ?name ; mlkg:value ?value }""",
        bindings={"model": MODEL},
        timeout=None,
    ).rows  # type: ignore[union-attr]
    got = {(str(name), value.toPython()) for _, name, value in rows}
    validator = json.dumps(DOCUMENT["extension"]["validator"])
    assert got == {
        ("businessOwner", "Credit risk team"),
        ("reviewCycleDays", 90),
        ("regulated", True),
        ("jurisdictions", "EU"),
        ("jurisdictions", "UK"),
        ("validator", validator),  # an entity reference value is kept as its JSON text
    }  # a null value ("retired") means unset


def test_datahub_custom_properties_on_a_dataset(
    ingestor: Ingestor, store: Store, make_source: MakeSource
) -> None:
    dataset = {
        "type": "dataset",
        "name": "loans",
        "fullyQualifiedName": "snowflake.prod.loans",
        "customProperties": {"retention": "7y", "owner_team": "credit"},
    }
    assert ingest(ingestor, store, make_source, dataset).ok
    entity = URIRef(f"{BASE}table/snowflake.prod.loans")
    found = objects(store, entity, MLKG.customProperty)
    assert found == {
        URIRef(f"{BASE}customproperty/snowflake.prod.loans.retention"),
        URIRef(f"{BASE}customproperty/snowflake.prod.loans.owner_team"),
    }


def test_the_direct_mapping_gives_the_json_ld_graph(readers: Any) -> None:  # noqa: F811
    assert assert_same(readers, DOCUMENT, "model.json") == 1
    datahub = {"type": "dataset", "name": "d", "customProperties": {"a": "1"}, "schema": {"fields": []}}
    assert assert_same(readers, datahub, "dataset.json") == 1


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("modelCard", "limitations"), [42], "a model card's limitations must be text"),
        (("modelCard", "overview"), ["one", "two"], None),
        (("modelCard", "trainingData"), 2023, "a model card's trainingData must be text"),
        (("dependencies",), [3.1], "dependencies must be requirement specifiers as text"),
        (("signature",), 7, "signature must be one MLflow model signature"),
    ],
    ids=["limitation-number", "two-overviews", "training-data-number", "dependency-number", "signature"],
)
def test_a_field_of_the_wrong_kind_is_refused_and_nothing_is_written(
    ingestor: Ingestor,
    store: Store,
    make_source: MakeSource,
    path: tuple[str, ...],
    value: Any,
    message: str | None,
) -> None:
    bad = copy.deepcopy(DOCUMENT)
    target = bad
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    report = ingest(ingestor, store, make_source, bad)
    assert not report.ok and not report.accepted
    (rejected,) = report.rejected
    assert rejected.kind.value == "validation"
    assert rejected.details, rejected
    if message is not None:
        assert any(message in d["message"] for d in rejected.details), rejected.details
    assert not objects(store, MODEL, MLKG.name)  # nothing stored
