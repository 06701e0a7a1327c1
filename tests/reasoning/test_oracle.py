"""The owlrl oracle on the demo catalog and on small graphs: which lineage OWL 2 RL entails from the ontology.

These are the answers the production reasoner must give too: the impact questions users ask ("what does
churn_scores depend on?", "what breaks if customers changes?") and the direction of every lineage property.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
import rdflib
from rdflib import OWL, RDF, RDFS, BNode, URIRef
from rdflib.collection import Collection

from mlkg.config import DEFAULT_BASE_IRI as BASE
from mlkg.reasoning import LineageTriple, lineage_properties, owlrl_lineage
from mlkg.vocab import MLKG, NS

CHURN_SCORES = URIRef(f"{BASE}table/snowflake.prod.churn_scores")
CUSTOMERS = URIRef(f"{BASE}table/postgres_prod.ecommerce.public.customers")
LAST_PURCHASE = URIRef(f"{BASE}column/postgres_prod.ecommerce.public.customers.last_purchase_date")
EMAIL = URIRef(f"{BASE}column/postgres_prod.ecommerce.public.customers.email")
WAREHOUSE_EMAIL = URIRef(f"{BASE}column/snowflake.prod.customers.email")
CHURN_MODEL = URIRef(f"{BASE}model/mlflow_prod.customer_churn_predictor")
CHURN_V1 = URIRef(f"{BASE}version/mlflow_prod.customer_churn_predictor.v1")
SNAPSHOT_2024_01 = URIRef(f"{BASE}table/snowflake.prod.customers_2024_01")
FRAUD_SCORES = URIRef(f"{BASE}table/snowflake.prod.fraud_scores")
FRAUD_ALERTS = URIRef(f"{BASE}dashboard/tableau.fraud_alerts")
EX = "http://example.org/"

#: For each direct lineage property, which end of ``?s P ?o`` is upstream of the other.
#: "object": the object is upstream (``?s mlkg:upstream ?o``); "subject": the subject is upstream.
UPSTREAM_END = {
    MLKG.readsFrom: "object", MLKG.writesTo: "subject", MLKG.producedBy: "object",
    MLKG.columnOf: "object", MLKG.hasColumn: "subject", MLKG.derivedFromColumn: "object",
    MLKG.tableDerivedFrom: "object", MLKG.derivedFrom: "object", MLKG.featureOf: "object",
    MLKG.usesFeature: "object",
    MLKG.trainedOn: "object", MLKG.usedDataset: "object", MLKG.producedVersion: "subject",
    MLKG.producedByRun: "object", MLKG.versionOf: "object", MLKG.hasVersion: "subject",
    MLKG.servesVersion: "object", MLKG.servesModel: "object", MLKG.writesPredictions: "subject",
    MLKG.predictionsFrom: "object", MLKG.monitors: "object", MLKG.performanceDashboard: "subject",
}  # fmt: skip
NOT_LINEAGE = [
    MLKG.service, MLKG.hyperParameter, MLKG.metric, MLKG.measuredOn, MLKG.modelStore, MLKG.experiment,
    MLKG.owner, MLKG.follower, MLKG.memberOf, MLKG.domain, MLKG.tag, MLKG.classification,
]  # fmt: skip


def upstream_of(lineage: set[LineageTriple], node: URIRef) -> set[URIRef]:
    return {o for s, p, o in lineage if s == node and p == MLKG.upstream}


def downstream_of(lineage: set[LineageTriple], node: URIRef) -> set[URIRef]:
    return {o for s, p, o in lineage if s == node and p == MLKG.downstream}


def ex(prop: URIRef, end: str) -> URIRef:
    return URIRef(f"{EX}{prop.removeprefix(NS)}/{end}")


# --- the demo catalog -----------------------------------------------------------------------------------


def test_churn_scores_depends_on_the_raw_table_and_column(demo_lineage: set[LineageTriple]) -> None:
    upstream = upstream_of(demo_lineage, CHURN_SCORES)
    assert CUSTOMERS in upstream
    assert LAST_PURCHASE in upstream
    assert CHURN_MODEL in upstream


def test_customers_change_affects_churn_scores(demo_lineage: set[LineageTriple]) -> None:
    assert CHURN_SCORES in downstream_of(demo_lineage, CUSTOMERS)
    assert CHURN_SCORES in downstream_of(demo_lineage, LAST_PURCHASE)


def test_a_raw_column_that_feeds_nothing_churn_related_is_not_upstream(
    demo_lineage: set[LineageTriple],
) -> None:
    assert EMAIL not in upstream_of(demo_lineage, CHURN_SCORES)
    assert CHURN_SCORES not in downstream_of(demo_lineage, EMAIL)
    # ... although the column does take part in lineage: it is replicated into the warehouse.
    assert EMAIL in upstream_of(demo_lineage, WAREHOUSE_EMAIL)


def test_no_sensitive_column_feeds_the_churn_predictions(
    demo_graph: rdflib.Graph, demo_lineage: set[LineageTriple]
) -> None:
    sensitive = {
        column
        for column, tag in demo_graph.subject_objects(MLKG.tag)
        if (column, RDF.type, MLKG.Column) in demo_graph
        and any(
            (classification, MLKG.sensitive, rdflib.Literal(True)) in demo_graph
            for classification in demo_graph.objects(tag, MLKG.classification)
        )
    }
    assert EMAIL in sensitive and len(sensitive) >= 5
    assert not sensitive & upstream_of(demo_lineage, CHURN_SCORES)


def test_only_the_deployed_version_lineage_reaches_the_predictions(demo_lineage: set[LineageTriple]) -> None:
    # churn_scores is written by the deployment of v3; v1 was trained on an older snapshot.
    assert SNAPSHOT_2024_01 in upstream_of(demo_lineage, CHURN_V1)
    assert SNAPSHOT_2024_01 not in upstream_of(demo_lineage, CHURN_SCORES)
    assert CHURN_V1 not in upstream_of(demo_lineage, CHURN_SCORES)


def test_operational_customers_table_reaches_the_fraud_alerts(demo_lineage: set[LineageTriple]) -> None:
    # postgres customers -> replication -> snowflake customers -> fraud features -> model -> endpoint
    # -> fraud_scores -> alert dashboard.
    downstream = downstream_of(demo_lineage, CUSTOMERS)
    assert {FRAUD_SCORES, FRAUD_ALERTS} <= downstream


def test_downstream_is_the_inverse_of_upstream(demo_lineage: set[LineageTriple]) -> None:
    upstream = {(s, o) for s, p, o in demo_lineage if p == MLKG.upstream}
    downstream = {(o, s) for s, p, o in demo_lineage if p == MLKG.downstream}
    assert upstream == downstream
    assert len(upstream) > 100


def test_upstream_is_transitively_closed(demo_lineage: set[LineageTriple]) -> None:
    edges: dict[URIRef, set[URIRef]] = defaultdict(set)
    for s, p, o in demo_lineage:
        if p == MLKG.upstream:
            edges[s].add(o)
    for s, targets in edges.items():
        for middle in targets:
            assert edges.get(middle, set()) <= targets, f"{s} -> {middle} -> ... is not closed"


def test_upstream_is_exactly_what_paths_of_asserted_edges_explain(
    ontology: rdflib.Graph, demo_graph: rdflib.Graph, demo_lineage: set[LineageTriple]
) -> None:
    """docs/architecture.md: every inferred lineage edge is explained by a path of asserted edges, and (OWL 2
    RL being
    complete for these rules) every such path is inferred. Computed here independently of owlrl."""
    expected = independent_upstream(ontology, demo_graph)
    assert {(s, o) for s, p, o in demo_lineage if p == MLKG.upstream} == expected


def test_returns_only_inferred_lineage_between_iris(
    ontology: rdflib.Graph, demo_graph: rdflib.Graph, demo_lineage: set[LineageTriple]
) -> None:
    properties = lineage_properties(ontology=ontology)
    for triple in demo_lineage:
        assert triple not in demo_graph
        assert triple[1] in properties
        assert isinstance(triple[0], URIRef) and isinstance(triple[2], URIRef)
    predicates = {p for _, p, _ in demo_lineage}
    # Inverses and chains of asserted edges are inferred too (producedBy from writesTo, derivedFrom).
    assert {MLKG.upstream, MLKG.downstream, MLKG.producedBy, MLKG.derivedFrom, MLKG.columnOf} <= predicates


# --- small graphs ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def every_property_lineage(ontology: rdflib.Graph) -> set[LineageTriple]:
    """One owlrl run over a graph using each object property once, between nodes of its own."""
    data = rdflib.Graph()
    for prop in [*UPSTREAM_END, *NOT_LINEAGE]:
        data.add((ex(prop, "s"), prop, ex(prop, "o")))
    return owlrl_lineage(ontology=ontology, data=data)


@pytest.mark.parametrize("prop", list(UPSTREAM_END), ids=lambda p: p.removeprefix(NS))
def test_direction_of_each_lineage_property(every_property_lineage: set[LineageTriple], prop: URIRef) -> None:
    s, o = ex(prop, "s"), ex(prop, "o")
    down, up = (s, o) if UPSTREAM_END[prop] == "object" else (o, s)
    assert (down, MLKG.upstream, up) in every_property_lineage
    assert (up, MLKG.downstream, down) in every_property_lineage
    assert (up, MLKG.upstream, down) not in every_property_lineage


def test_the_direction_table_covers_every_lineage_property(ontology: rdflib.Graph) -> None:
    assert set(UPSTREAM_END) | {MLKG.upstream, MLKG.downstream} == lineage_properties(ontology=ontology)


@pytest.mark.parametrize("prop", NOT_LINEAGE, ids=lambda p: p.removeprefix(NS))
def test_other_properties_are_not_lineage(every_property_lineage: set[LineageTriple], prop: URIRef) -> None:
    nodes = {ex(prop, "s"), ex(prop, "o")}
    assert not any(s in nodes or o in nodes for s, _, o in every_property_lineage)


def test_property_chain_through_a_blank_node(ontology: rdflib.Graph) -> None:
    feature, column, source = URIRef(f"{EX}feature"), URIRef(f"{EX}column"), BNode()
    data = rdflib.Graph()
    data.add((feature, MLKG.hasFeatureSource, source))
    data.add((source, MLKG.dataSource, column))
    lineage = owlrl_lineage(ontology=ontology, data=data)
    assert (feature, MLKG.derivedFrom, column) in lineage  # rule prp-spo2
    assert (feature, MLKG.upstream, column) in lineage
    assert (column, MLKG.downstream, feature) in lineage
    assert all(isinstance(s, URIRef) and isinstance(o, URIRef) for s, _, o in lineage)


def test_a_feature_source_is_not_a_lineage_node(ontology: rdflib.Graph) -> None:
    # hasFeatureSource and dataSource are lineage only as the steps of the chain derivedFrom: the feature is
    # linked straight to the column, and the descriptor between them is neither upstream nor downstream.
    feature, column, source = URIRef(f"{EX}feature"), URIRef(f"{EX}column"), URIRef(f"{EX}source")
    data = rdflib.Graph()
    data.add((feature, MLKG.hasFeatureSource, source))
    data.add((source, MLKG.dataSource, column))
    lineage = owlrl_lineage(ontology=ontology, data=data)
    assert (feature, MLKG.upstream, column) in lineage
    assert not any(source in (s, o) for s, _, o in lineage)


def test_table_lineage_from_column_lineage(ontology: rdflib.Graph) -> None:
    t1, c1, t2, c2 = (URIRef(f"{EX}{n}") for n in ("t1", "c1", "t2", "c2"))
    data = rdflib.Graph()
    data.add((t1, MLKG.hasColumn, c1))
    data.add((c1, MLKG.derivedFromColumn, c2))
    data.add((c2, MLKG.columnOf, t2))  # stated from the other side: the chain still applies (prp-inv)
    lineage = owlrl_lineage(ontology=ontology, data=data)
    assert (t1, MLKG.tableDerivedFrom, t2) in lineage
    assert (t1, MLKG.upstream, t2) in lineage


def test_a_cycle_makes_a_node_its_own_upstream(ontology: rdflib.Graph) -> None:
    a, b = URIRef(f"{EX}a"), URIRef(f"{EX}b")
    data = rdflib.Graph()
    data.add((a, MLKG.readsFrom, b))
    data.add((b, MLKG.readsFrom, a))
    lineage = owlrl_lineage(ontology=ontology, data=data)
    assert (a, MLKG.upstream, a) in lineage  # prp-trp over the cycle
    assert (b, MLKG.downstream, b) in lineage


def test_inputs_are_left_unchanged(ontology: rdflib.Graph) -> None:
    data = rdflib.Graph()
    data.add((URIRef(f"{EX}d"), MLKG.readsFrom, URIRef(f"{EX}t")))
    before_data, before_ontology = set(data), set(ontology)
    lineage = owlrl_lineage(ontology=ontology, data=data)
    assert set(data) == before_data and set(ontology) == before_ontology
    assert (URIRef(f"{EX}d"), MLKG.readsFrom, URIRef(f"{EX}t")) not in lineage  # asserted, not inferred


def test_empty_data_infers_nothing(ontology: rdflib.Graph) -> None:
    assert owlrl_lineage(ontology=ontology, data=rdflib.Graph()) == set()


# --- an independent reference: paths of asserted edges ---------------------------------------------------


def independent_upstream(ontology: rdflib.Graph, data: rdflib.Graph) -> set[tuple[URIRef, URIRef]]:
    """``(x, y)`` for every IRI ``y`` reachable from IRI ``x`` by a path of upstream-directed edges: the
    asserted lineage triples completed by inverses and property chains, each read in its upstream direction.
    """
    inverse: dict[URIRef, set[URIRef]] = defaultdict(set)
    for left, right in ontology.subject_objects(OWL.inverseOf):
        inverse[left].add(right)
        inverse[right].add(left)
    chains = {
        prop: list(Collection(ontology, chain))
        for prop, chain in ontology.subject_objects(OWL.propertyChainAxiom)
    }
    upward = {
        p for p in ontology.subjects(RDF.type, OWL.ObjectProperty)
        if MLKG.upstream in set(ontology.transitive_objects(p, RDFS.subPropertyOf))
    }  # fmt: skip
    # Chain steps count as input even when they are not lineage themselves (hasFeatureSource, dataSource).
    lineage = lineage_properties(ontology=ontology) | {p for steps in chains.values() for p in steps}
    triples = {(s, p, o) for s, p, o in data if p in lineage}
    while True:
        grown = set(triples)
        for s, p, o in triples:
            grown.update((o, q, s) for q in inverse.get(p, ()))
        for prop, steps in chains.items():
            grown.update((s, prop, o) for s, o in follow(grown, steps))
        if grown == triples:
            break
        triples = grown
    edges: dict[object, set[object]] = defaultdict(set)
    for s, p, o in triples:
        if p in upward:
            edges[s].add(o)
    reachable: set[tuple[URIRef, URIRef]] = set()
    for start in list(edges):
        seen: set[object] = set()
        todo = list(edges[start])
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(edges.get(node, ()))
        reachable.update((start, n) for n in seen if isinstance(start, URIRef) and isinstance(n, URIRef))
    return reachable


def follow(triples: set[tuple[object, object, object]], steps: list[object]) -> set[tuple[object, object]]:
    """Pairs ``(s, o)`` linked by the property path ``steps[0] / steps[1] / ...`` in ``triples``."""
    by_property: dict[object, dict[object, set[object]]] = defaultdict(lambda: defaultdict(set))
    for s, p, o in triples:
        by_property[p][s].add(o)
    pairs = {(s, s) for s in by_property[steps[0]]}
    for step in steps:
        pairs = {(s, o) for s, mid in pairs for o in by_property[step].get(mid, ())}
    return pairs


def test_a_dataset_is_refused(ontology: rdflib.Graph) -> None:
    # Iterating an rdflib Dataset gives quads: merge the entity graphs into one Graph first.
    with pytest.raises(TypeError):
        owlrl_lineage(ontology=ontology, data=rdflib.Dataset())
