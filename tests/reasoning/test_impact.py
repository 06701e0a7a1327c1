"""Impact answers on every store backend (the ``store`` fixture): each asset's kind is the one the ontology's
kind annotations give its types (:mod:`mlkg.reasoning.kinds`), which for the shipped kinds is also the kind
the named queries' IF chains give SPARQL users of ``/queries/downstream`` and ``/queries/upstream``. A kind
declared only in the ontology: ``tests/test_new_kind.py``."""

from __future__ import annotations

import pytest
from rdflib import URIRef

from mlkg.queries import QueryCatalog
from mlkg.reasoning import load_ontology
from mlkg.reasoning.impact import Direction, impact
from mlkg.reasoning.program import LineageProgram
from mlkg.reasoning.store import ReasonedStore
from mlkg.store.base import SelectResult, Store
from mlkg.vocab import INFERRED_GRAPH, MLKG

from .test_engine import ingest_demo


@pytest.mark.parametrize("direction", list(Direction))
def test_impact_kinds_agree_with_the_named_queries_on_the_demo(store: Store, direction: Direction) -> None:
    program = LineageProgram.from_ontology(load_ontology())
    reasoned = ReasonedStore(inner=store, program=program)
    ingest_demo(reasoned)
    query = QueryCatalog.load().get(name=direction.value)
    pairs = [(s, o) for s, _, o, _ in reasoned.quads(predicate=MLKG.upstream, graph=INFERRED_GRAPH)]
    entities = sorted({node for pair in pairs for node in pair if isinstance(node, URIRef)})
    assert len(entities) > 50
    compared = 0
    for entity in entities:
        result = query.run(store=reasoned, arguments={"entity": str(entity)})
        assert isinstance(result, SelectResult)
        named = {row["asset"]: str(row["kind"]) for row in result.dicts() if isinstance(row["asset"], URIRef)}
        (report,) = impact(store=reasoned, program=program, entity=str(entity), direction=direction)
        assert {asset.iri: asset.kind for asset in report} == named, entity
        order = [program.kinds.sort_key(asset.kind) for asset in report]
        assert order == sorted(order), entity
        compared += len(named)
    assert compared > 500
