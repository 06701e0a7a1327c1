"""Explanations: every inferred upstream pair has a path of asserted triples, each found in its graph."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from rdflib import URIRef

from mlkg.config import DEFAULT_BASE_IRI
from mlkg.errors import NotFoundError
from mlkg.reasoning import load_ontology
from mlkg.reasoning.explain import explain
from mlkg.reasoning.impact import Direction, impact
from mlkg.reasoning.program import LineageProgram
from mlkg.reasoning.store import ReasonedStore
from mlkg.store.oxigraph import OxigraphStore
from mlkg.vocab import INFERRED_GRAPH, MLKG

from .test_engine import ingest_demo

ID = DEFAULT_BASE_IRI
CUSTOMERS = URIRef(ID + "table/postgres_prod.ecommerce.public.customers")
SCORES = URIRef(ID + "table/snowflake.prod.churn_scores")


@pytest.fixture(scope="module")
def demo() -> Iterator[ReasonedStore]:
    program = LineageProgram.from_ontology(load_ontology())
    with ReasonedStore(inner=OxigraphStore(path=None), program=program) as store:
        ingest_demo(store)
        yield store


def test_every_inferred_pair_is_explained_by_asserted_hops(demo: ReasonedStore) -> None:
    pairs = [(s, o) for s, _, o, _ in demo.quads(predicate=MLKG.upstream, graph=INFERRED_GRAPH)]
    assert len(pairs) > 100
    for downstream, upstream in pairs:
        path = explain(store=demo, program=demo.reasoner.program, downstream=downstream, upstream=upstream)
        assert path is not None, (downstream, upstream)
        if downstream == upstream:
            continue
        assert path, (downstream, upstream)
        steps = [(hop.step_from, hop.step_to) for hop in path]
        logical = [step for i, step in enumerate(steps) if i == 0 or step != steps[i - 1]]
        assert logical[0][0] == upstream and logical[-1][1] == downstream
        assert all(a[1] == b[0] for a, b in itertools.pairwise(logical))
        for hop in path:
            if hop.chain is None:
                assert (hop.source, hop.target) == (hop.step_from, hop.step_to)
            assert hop.graph != INFERRED_GRAPH
            stored = {(s, p, o) for s, p, o, _ in demo.quads(graph=hop.graph)}
            assert (hop.subject, hop.predicate, hop.object) in stored


def test_no_path_when_not_upstream(demo: ReasonedStore) -> None:
    program = demo.reasoner.program
    assert explain(store=demo, program=program, downstream=CUSTOMERS, upstream=SCORES) is None
    assert explain(store=demo, program=program, downstream=SCORES, upstream=SCORES) == []


def test_impact_of_customers_reaches_the_churn_predictions(demo: ReasonedStore) -> None:
    (report,) = impact(
        store=demo,
        program=demo.reasoner.program,
        entity="postgres_prod.ecommerce.public.customers",
        with_paths=True,
    )
    names = {(a.kind, a.name) for a in report.assets}
    expected = {
        ("feature_table", "snowflake.prod.customer_features"),
        ("feature", "mlflow_prod.customer_churn_predictor.recency"),
        ("model", "mlflow_prod.customer_churn_predictor"),
        ("version", "mlflow_prod.customer_churn_predictor.v1"),
        ("version", "mlflow_prod.customer_churn_predictor.v2"),
        ("version", "mlflow_prod.customer_churn_predictor.v3"),
        ("deployment", "mlflow_prod.churn_batch_scoring"),
        ("prediction_table", "snowflake.prod.churn_scores"),
        ("dashboard", "tableau.churn_risk_overview"),
    }
    assert expected <= names
    assert not any("demand_forecasting" in name or "product_recommendation" in name for _, name in names)
    assert all(asset.path for asset in report.assets)


def test_a_short_name_reports_every_entity_it_names(demo: ReasonedStore) -> None:
    reports = impact(
        store=demo, program=demo.reasoner.program, entity="customers", direction=Direction.DOWNSTREAM
    )
    assert {str(r.entity) for r in reports} == {str(CUSTOMERS), ID + "table/snowflake.prod.customers"}
    with pytest.raises(NotFoundError):
        impact(store=demo, program=demo.reasoner.program, entity="no_such_table")
