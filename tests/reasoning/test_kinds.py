"""Entity kinds come from the ontology's annotations only: the shipped ones, and a kind a variant ontology
adds (a feature view) with no code change."""

from __future__ import annotations

import pytest
import rdflib
from rdflib import URIRef

from mlkg.errors import ReasoningError
from mlkg.reasoning import load_ontology
from mlkg.reasoning.kinds import OTHER, EntityKinds
from mlkg.reasoning.program import LineageProgram
from mlkg.resources import ontology_text
from mlkg.vocab import MLKG

FEATURE_VIEW = """
mlkg:FeatureView a owl:Class ; rdfs:subClassOf mlkg:Dataset ;
    rdfs:label "feature view"@en ;
    mlkg:iriSegment "table" ; mlkg:jsonType "featureView" ;
    mlkg:kindName "feature_view" ; mlkg:kindPrecedence 8.5 ; mlkg:kindOrder 4.5 .
"""


def variant(extra: str) -> rdflib.Graph:
    return rdflib.Graph().parse(data=ontology_text() + extra, format="turtle")


def test_the_shipped_kinds_most_specific_first() -> None:
    kinds = EntityKinds.from_ontology(load_ontology())
    assert kinds.names() == [
        "feature_source", "feature", "model", "version", "deployment", "prediction_table", "dashboard",
        "feature_table", "table", "column", "pipeline", "run",
    ]  # fmt: skip


def test_the_shipped_kinds_in_report_order() -> None:
    kinds = EntityKinds.from_ontology(load_ontology())
    shown = sorted([*kinds.names(), OTHER], key=kinds.sort_key)
    assert shown == [
        "table", "column", "pipeline", "feature_table", "feature", "run", "model", "version", "deployment",
        "prediction_table", "dashboard", "feature_source", OTHER,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("types", "kind"),
    [
        ({MLKG.FeatureTable, MLKG.Table, MLKG.Dataset}, "feature_table"),
        ({MLKG.Table}, "table"),  # through rdfs:subClassOf, without the inferred graph
        ({MLKG.RegisteredModel}, "model"),
        ({MLKG.Feature, MLKG.FeatureSource}, "feature_source"),
        ({MLKG.Column, MLKG.Dataset}, "table"),
        ({MLKG.Experiment}, OTHER),
        (set(), OTHER),
    ],
)
def test_the_kind_of_an_asset(types: set[URIRef], kind: str) -> None:
    assert LineageProgram.from_ontology(load_ontology()).kinds.kind_of(types) == kind


def test_a_kind_declared_only_in_the_ontology_is_named_and_ordered() -> None:
    kinds = LineageProgram.from_ontology(variant(FEATURE_VIEW)).kinds
    view = URIRef(MLKG.Dataset.replace("Dataset", "FeatureView"))
    assert kinds.kind_of({view, MLKG.Dataset, MLKG.Asset}) == "feature_view"
    shown = sorted(["feature", "feature_view", "feature_table", OTHER], key=kinds.sort_key)
    assert shown == ["feature_table", "feature_view", "feature", OTHER]


@pytest.mark.parametrize(
    "extra",
    [
        FEATURE_VIEW.replace("8.5", "9.5"),  # the subclass would lose to mlkg:Dataset
        FEATURE_VIEW.replace('"feature_view"', '"table"'),
        FEATURE_VIEW.replace("mlkg:kindOrder 4.5 ", ""),
        FEATURE_VIEW.replace("8.5", '"first"'),
    ],
)
def test_inconsistent_kind_declarations_are_refused(extra: str) -> None:
    with pytest.raises(ReasoningError):
        EntityKinds.from_ontology(variant(extra))
