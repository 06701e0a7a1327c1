"""Validating a batch in one pyshacl run gives every document the verdict, messages and SHACL details it gets
when validated alone (the way mlkg validated before batching), on the violation corpus of
``test_ingest_validation.py``, the demo catalog and a generated catalog with broken documents mixed in."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bench.generate import generate_documents
from rdflib import RDF, URIRef
from tests.ingest import test_ingest_validation as corpus

from mlkg.ingest import EntityDocument, Ingestor, InputFormat, Source
from mlkg.ingest.batchcheck import validate_documents
from mlkg.ingest.validate import ShapesValidator
from mlkg.store import Store
from mlkg.store.base import Triple
from mlkg.store.oxigraph import OxigraphStore

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo"


def violation_corpus() -> list[dict[str, Any]]:
    """Every document of the violation tests: the parametrized cases and the module's own documents."""
    docs: list[dict[str, Any]] = []
    for mark in getattr(corpus.test_shape_violations_tell_what_to_fix, "pytestmark", []):
        if mark.name == "parametrize":
            docs.extend(case[0] for case in mark.args[1])
    no_algorithm = corpus.model()
    del no_algorithm["algorithm"]
    docs += [
        no_algorithm,
        {"type": "registeredModel", "name": "churn"},
        corpus.model(metrics=[{"name": "auc", "value": 0.91}, {"name": "f1", "value": "0.5"}]),
        corpus.model(
            fullyQualifiedName="mlflow.bare",
            mlFeatures=[{"name": "r", "featureSources": [{"name": "d", "dataSource": corpus.COLUMN}]}],
        ),
    ]
    return docs


def broken(document: dict[str, Any], index: int) -> dict[str, Any]:
    """A generated document made invalid in one of a few ways (or left alone)."""
    doc = copy.deepcopy(document)
    if doc.get("type") == "mlmodel" and index % 2:
        del doc["algorithm"]
    elif doc.get("metrics"):
        doc["metrics"][0]["value"] = "high"
    elif doc.get("type") == "trainingRun":
        doc["status"] = "DONE"
    else:  # a dataset-only property pointing at a model
        doc["readsFrom"] = [{"type": "mlmodel", "fullyQualifiedName": "mlflow_prod.not_a_table"}]
    return doc


def generated(count: int) -> Iterator[dict[str, Any]]:
    for index, document in enumerate(generate_documents(target_triples=4000, seed=3)):
        if index >= count:
            return
        yield broken(document.json, index) if index % 7 == 3 else document.json


def alone(shapes: ShapesValidator, documents: list[EntityDocument], store: Store | None) -> list[Any]:
    """Each document validated alone, as mlkg did before batching: its triples plus the types of the IRIs it
    references, from the batch and the store."""
    batch_types: dict[URIRef, set[URIRef]] = {}
    for document in documents:
        for s, p, o in document.triples:
            if p == RDF.type and isinstance(s, URIRef) and isinstance(o, URIRef):
                batch_types.setdefault(s, set()).add(o)
    verdicts = []
    for document in documents:
        context: list[Triple] = []
        for _, p, o in document.triples:
            if p == RDF.type or not isinstance(o, URIRef) or o in document.focus:
                continue
            context += [(o, RDF.type, cls) for cls in batch_types.get(o, ())]
            if store is not None:
                context += [(o, RDF.type, c) for _, _, c, _ in store.quads(subject=o, predicate=RDF.type)]
        found = shapes.results(triples=document.triples, context=context, focus=document.focus)
        verdicts.append((document.where, found.violations, [w["message"] for w in found.warnings]))
    return verdicts


def batched(shapes: ShapesValidator, documents: list[EntityDocument], store: Store | None) -> list[Any]:
    outcome = validate_documents(shapes=shapes, documents=documents, store=store)
    rejected = {r.where: r for r in outcome.rejected}
    verdicts = []
    for document in documents:
        violations = rejected[document.where].details if document.where in rejected else []
        warnings = [n.message.split(": ", 1)[1] for n in outcome.notices if n.where == document.where]
        verdicts.append((document.where, violations, warnings))
    return verdicts


def parse(ingestor: Ingestor, docs: list[Any], name: str) -> list[EntityDocument]:
    source = Source(name=name, data=json.dumps(docs).encode(), format=InputFormat.JSON)
    return ingestor.parse(source=source).documents


@pytest.fixture(scope="module")
def shapes() -> ShapesValidator:
    return ShapesValidator()


@pytest.fixture(scope="module")
def big_ingestor(minter: Any) -> Ingestor:
    return Ingestor(minter=minter, max_bytes=1 << 26)


def test_mlkg_shapes_are_focus_local(shapes: ShapesValidator) -> None:
    assert shapes.batchable


def test_violation_corpus_gets_the_same_verdicts_and_messages(
    shapes: ShapesValidator, big_ingestor: Ingestor
) -> None:
    docs = copy.deepcopy(violation_corpus())
    for index, doc in enumerate(docs):  # one entity each, as a batch holds each entity once
        key = "fullyQualifiedName" if "fullyQualifiedName" in doc else "name"
        doc[key] = f"{doc[key]}_{index}"
    documents = parse(big_ingestor, docs, "corpus.json")
    assert len({d.entity for d in documents}) == len(documents) == len(docs)
    expected = alone(shapes, documents, None)
    assert sum(1 for _, violations, _ in expected if violations) >= 10
    assert batched(shapes, documents, None) == expected
    for document in documents:  # and one at a time
        assert batched(shapes, [document], None) == alone(shapes, [document], None)


def test_demo_and_generated_documents_with_broken_ones_mixed_in(
    shapes: ShapesValidator, big_ingestor: Ingestor
) -> None:
    demo = [doc for path in sorted(DEMO.glob("*.json")) for doc in _as_list(json.loads(path.read_text()))]
    documents = parse(big_ingestor, demo + list(generated(120)), "mixed.json")
    expected = alone(shapes, documents, None)
    assert 5 <= sum(1 for _, violations, _ in expected if violations) < len(documents)
    assert batched(shapes, documents, None) == expected


def test_types_from_the_store_and_conflicting_descriptions(
    shapes: ShapesValidator, big_ingestor: Ingestor
) -> None:
    store = OxigraphStore(path=None)
    first = list(generated(60))
    big_ingestor.ingest(
        store=store, sources=[Source("a.json", json.dumps(first[:30]).encode(), InputFormat.JSON)]
    )
    retyped = {"@id": corpus.COLUMN, "@type": "https://w3id.org/mlkg#Dashboard", "name": "x"}
    twice = corpus.model(fullyQualifiedName="mlflow.twice", mlFeatures=[{"name": "f"}])
    other = corpus.model(fullyQualifiedName="mlflow.other")
    other["mlFeatures"] = [{"@id": "http://localhost:8000/id/feature/mlflow.twice.f", "name": "f"}]
    extra = [
        retyped,
        corpus.model(
            fullyQualifiedName="mlflow.bare2",
            mlFeatures=[{"name": "r", "featureSources": [{"name": "d", "dataSource": corpus.COLUMN}]}],
        ),
        twice,
        other,
    ]
    documents = parse(big_ingestor, first[20:] + extra, "more.json")
    assert batched(shapes, documents, store) == alone(shapes, documents, store)


def _as_list(data: Any) -> list[Any]:
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and "@graph" in data:
        return list(data["@graph"])
    return [data]
