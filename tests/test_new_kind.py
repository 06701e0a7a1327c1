"""A new entity kind needs only the files docs/architecture.md, section 6 lists: a feature view declared in
the ontology (with its kind annotations), the context and the shapes of a copy of the shipped data is named
and placed by impact and lineage answers, through the Python API and the command alike, with no code change.

The package reads its shipped files only through :mod:`mlkg.resources` (``_root()``, which nothing caches):
the fixture points it at the copy. The named queries' own ``?kind`` is left out: their IF chains are one of
the listed files (``tests/queries/test_kinds_in_queries.py`` prints the chain to paste).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import mlkg
from mlkg import resources
from mlkg.cli import app
from mlkg.reasoning.kinds import OTHER, EntityKinds
from mlkg.reasoning.ontology import load_ontology

FEATURE_VIEW_CLASS = """
mlkg:FeatureView a owl:Class ; rdfs:subClassOf mlkg:Dataset ;
    rdfs:label "feature view"@en ;
    rdfs:comment "A named selection of features over a table (Feast FeatureView)."@en ;
    mlkg:iriSegment "table" ; mlkg:jsonType "featureView" ;
    mlkg:kindName "feature_view" ; mlkg:kindPrecedence 8.5 ; mlkg:kindOrder 4.5 .
"""

FEATURE_VIEW_SHAPE = """
mlkgsh:FeatureViewShape a sh:NodeShape ;
    sh:targetClass mlkg:FeatureView ;
    sh:property [
        sh:path mlkg:hasColumn ; sh:minCount 1 ;
        sh:message "a feature view needs at least one column" ] .
"""

ORDERS = "pg.shop.public.orders"
VIEW = "feast.shop.order_stats"
SNAPSHOT = "snowflake.shop.order_snapshot"
MODEL = "mlflow.basket_size"

DOCUMENTS: list[dict[str, Any]] = [
    {
        "type": "table",
        "name": "orders",
        "fullyQualifiedName": ORDERS,
        "columns": [{"name": "amount", "dataType": "NUMBER"}],
    },
    {
        "type": "featureView",
        "name": "order_stats",
        "fullyQualifiedName": VIEW,
        "columns": [
            {
                "name": "spend_30d",
                "dataType": "NUMBER",
                "derivedFromColumns": [{"type": "column", "fullyQualifiedName": f"{ORDERS}.amount"}],
            }
        ],
    },
    {
        "type": "featureTable",
        "name": "order_snapshot",
        "fullyQualifiedName": SNAPSHOT,
        "columns": [
            {
                "name": "amount",
                "dataType": "NUMBER",
                "derivedFromColumns": [{"type": "column", "fullyQualifiedName": f"{ORDERS}.amount"}],
            }
        ],
    },
    {
        "type": "mlmodel",
        "name": "basket_size",
        "fullyQualifiedName": MODEL,
        "algorithm": "XGBoost",
        "trainedOn": [{"type": "featureView", "fullyQualifiedName": VIEW}],
    },
]


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


@pytest.fixture
def feature_views(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped data with a feature view kind, which the package reads instead of its own."""
    data = tmp_path / "_data"
    shutil.copytree(Path(str(resources._root())), data)
    _append(data / resources.ONTOLOGY_FILE, FEATURE_VIEW_CLASS)
    _append(data / resources.SHAPES_FILE, FEATURE_VIEW_SHAPE)
    context = json.loads((data / resources.CONTEXT_FILE).read_text(encoding="utf-8"))
    context["@context"]["FeatureView"] = "mlkg:FeatureView"
    (data / resources.CONTEXT_FILE).write_text(json.dumps(context, indent=2), encoding="utf-8")
    monkeypatch.setattr(resources, "_root", lambda: data)
    return data


def test_the_variant_declares_the_kind(feature_views: Path) -> None:
    kinds = EntityKinds.from_ontology(load_ontology())
    assert "feature_view" in kinds.names()
    shown = sorted(["model", "feature_view", "feature_table", "column", OTHER], key=kinds.sort_key)
    assert shown == ["column", "feature_table", "feature_view", "model", OTHER]


def test_impact_and_lineage_name_and_order_the_new_kind(feature_views: Path) -> None:
    with mlkg.open(store="memory:") as catalog:
        report = catalog.load(DOCUMENTS)
        assert not report.rejected, report.rejected

        downstream = catalog.impact(ORDERS)
        kinds = [(asset.kind, asset.name) for asset in downstream]
        assert kinds == [
            ("column", f"{VIEW}.spend_30d"),
            ("column", f"{ORDERS}.amount"),
            ("column", f"{SNAPSHOT}.amount"),
            ("feature_table", SNAPSHOT),
            ("feature_view", VIEW),  # mlkg:kindOrder 4.5: after feature tables (4), before models (7)
            ("model", MODEL),
        ]
        by_kind = downstream.to_dict()["by_kind"]
        assert by_kind == {"column": 3, "feature_table": 1, "feature_view": 1, "model": 1}

        upstream = catalog.impact(MODEL, direction="upstream")
        assert [(a.kind, a.name) for a in upstream] == [("table", ORDERS), ("feature_view", VIEW)]

        lineage = catalog.lineage(ORDERS).to_dict()
        assert {node["name"]: node["kind"] for node in lineage["nodes"]}[VIEW] == "feature_view"

        exported = json.loads(catalog.export(format="jsonld", entity=VIEW) or b"")
        (view,) = [node for node in exported["@graph"] if node.get("fullyQualifiedName") == VIEW]
        assert view["type"] == "FeatureView"  # the context's term


def test_a_document_breaking_the_new_shape_is_rejected(feature_views: Path) -> None:
    bare = {"type": "featureView", "name": "empty", "fullyQualifiedName": "feast.shop.empty"}
    with mlkg.open(store="memory:") as catalog:
        report = catalog.load([bare])
    assert not report.accepted
    assert "a feature view needs at least one column" in json.dumps(report.to_dict())


def test_the_command_reports_the_new_kind(feature_views: Path, tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    documents = tmp_path / "documents.json"
    documents.write_text(json.dumps(DOCUMENTS), encoding="utf-8")
    runner = CliRunner()
    loaded = runner.invoke(app, ["load", str(documents), "--store", store], catch_exceptions=False)
    assert loaded.exit_code == 0, loaded.output
    answer = runner.invoke(
        app, ["impact", ORDERS, "--store", store, "--format", "json"], catch_exceptions=False
    )
    assert answer.exit_code == 0, answer.output
    assert json.loads(answer.output)["by_kind"]["feature_view"] == 1
