"""The direct mapping of plain JSON gives exactly the graph JSON-LD expansion with pyld gives, for every demo
document and every generated document, and documents it does not cover still go through pyld."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from bench.generate import generate_documents
from rdflib import Graph
from rdflib.compare import isomorphic

from mlkg.ids import IriMinter
from mlkg.ingest import EntityDocument, InputFormat, ParseOutcome, Source
from mlkg.ingest.jsonld import JsonReader
from mlkg.ingest.loader import FrozenContextLoader

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo"


@pytest.fixture(scope="module")
def readers(minter: IriMinter) -> tuple[JsonReader, JsonReader]:
    loader = FrozenContextLoader()
    return JsonReader(minter=minter, loader=loader), JsonReader(minter=minter, loader=loader, direct=False)


def read(reader: JsonReader, data: Any, name: str) -> ParseOutcome:
    text = json.dumps(data)
    return reader.read(source=Source(name=name, data=text.encode(), format=InputFormat.JSON), text=text)


def graph(document: EntityDocument) -> Graph:
    found = Graph()
    for triple in document.triples:
        found.add(triple)
    return found


def assert_same(readers: tuple[JsonReader, JsonReader], data: Any, name: str) -> int:
    direct, pyld = (read(reader, data, name) for reader in readers)
    assert [r.to_dict() for r in direct.rejected] == [r.to_dict() for r in pyld.rejected]
    assert [n.to_dict() for n in direct.notices] == [n.to_dict() for n in pyld.notices]
    assert len(direct.documents) == len(pyld.documents)
    for mine, theirs in zip(direct.documents, pyld.documents, strict=True):
        assert (mine.entity, mine.where) == (theirs.entity, theirs.where)
        assert isomorphic(graph(mine), graph(theirs)), mine.where
        assert len(mine.focus) == len(theirs.focus)
    return len(direct.documents)


@pytest.mark.parametrize("path", sorted(DEMO.glob("*.json")), ids=lambda p: p.name)
def test_every_demo_document(readers: tuple[JsonReader, JsonReader], path: Path) -> None:
    assert assert_same(readers, json.loads(path.read_text()), path.name) > 0


def test_every_generated_document(readers: tuple[JsonReader, JsonReader]) -> None:
    documents = [d.json for d in generate_documents(target_triples=25_000, seed=2)]
    assert assert_same(readers, documents, "catalog.json") == len(documents) > 400


@pytest.mark.parametrize(
    "document",
    [
        {"type": "mlmodel", "name": "m", "algorithm": "x", "metrics": [{"name": "a", "value": "0.5"}]},
        {"type": "mlmodel", "name": "m", "algorithm": "x", "metrics": [{"name": "a", "value": 3}]},
        {"type": "mlmodel", "name": "m", "algorithm": "x", "metrics": {"auc": 0.91, "n": 1e22}},
        {"type": "mlmodel", "name": "m", "algorithm": "x", "parameters": [{"name": "d", "value": 3.0}]},
        {"type": "classification", "name": "PII", "sensitive": True, "description": None},
        {"type": "table", "name": "t", "columns": [{"name": "c", "tags": ["PII.Sensitive"]}]},
        {"type": "table", "name": "t", "description": {"@value": "v", "@language": "en"}},
        {"type": "table", "name": "t", "mlkg:name": "other", "http://example.org/p": "x"},
        {"type": "table", "name": "t", "dataSource": "_:b1"},
        {"@id": "http://example.org/only-id"},
        {"type": "mlmodel", "name": "m", "algorithm": "x", "mlFeatures": [{}]},
        # key/value tags (issue 14, point 7) are source tags; a list of names stays tag labels
        {"type": "mlmodel", "name": "m", "algorithm": "x", "tags": {"team": "risk", "tier": 1}},
        {"type": "mlmodel", "name": "m", "algorithm": "x", "tags": ["Tier.Tier1"]},
        # what an MLflow import writes: a metric's history inside the metrics' scoped context, source tags
        # (a map too), a version's logged model with its own parameters and metrics
        {
            "type": "trainingRun",
            "name": "r",
            "metrics": [
                {"name": "auc", "value": 0.9, "history": [{"step": 0, "timestamp": 1, "metricValue": 0.8}]}
            ],
            "sourceTags": {"mlflow.user": "jane"},
        },
        {
            "type": "modelVersion",
            "name": "v",
            "versionOf": {"type": "registeredModel", "name": "m"},
            "signature": "{}",
            "loggedModel": {"id": "m-1", "storage": "s3://b/m", "metrics": [{"name": "a", "value": 1}]},
        },
    ],
)
def test_edge_cases_give_what_pyld_gives(readers: tuple[JsonReader, JsonReader], document: Any) -> None:
    assert_same(readers, [document], "edge.json")
