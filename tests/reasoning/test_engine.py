"""The fast reasoner: the same lineage triples as owlrl, incremental updates equal to a full recompute."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import owlrl
import pytest
import rdflib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import OWL, RDF, RDFS, BNode, URIRef
from tests.reasoning.conftest import apply_writes

from mlkg.config import DEFAULT_BASE_IRI
from mlkg.errors import InputError, ReasoningError
from mlkg.ids import IriMinter
from mlkg.ingest import Ingestor, InputFormat, Source
from mlkg.locks import RDFLIB_GLOBALS
from mlkg.reasoning import load_ontology, owlrl_lineage
from mlkg.reasoning.program import LineageProgram
from mlkg.reasoning.store import ReasonedStore
from mlkg.store import install_ontology
from mlkg.store.base import Store, Triple, WriteCounter
from mlkg.store.oxigraph import OxigraphStore
from mlkg.store.sparqlcheck import check_update
from mlkg.vocab import INFERRED_GRAPH, MLKG, ONTOLOGY_GRAPH

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo"
ID = DEFAULT_BASE_IRI
CHURN = URIRef(ID + "model/mlflow_prod.customer_churn_predictor")


@pytest.fixture(scope="module")
def program() -> LineageProgram:
    return LineageProgram.from_ontology(load_ontology())


@pytest.fixture
def reasoned(program: LineageProgram) -> Iterator[ReasonedStore]:
    with ReasonedStore(inner=OxigraphStore(path=None), program=program) as store:
        yield store


def ingest_demo(store: Store) -> None:
    ingestor = Ingestor(minter=IriMinter.from_ontology(base=ID), max_bytes=1 << 24)
    sources = [Source(p.name, p.read_bytes(), InputFormat.JSON) for p in sorted(DEMO.glob("*.json"))]
    assert ingestor.ingest(store=store, sources=sources).ok


def inferred(store: Store) -> set[Triple]:
    return {(s, p, o) for s, p, o, _ in store.quads(graph=INFERRED_GRAPH)}


def asserted_graph(store: Store) -> rdflib.Graph:
    graph = rdflib.Graph()
    for s, p, o, g in store.quads():
        if g not in (INFERRED_GRAPH, ONTOLOGY_GRAPH):
            graph.add((s, p, o))
    return graph


def lineage_only(triples: set[Triple]) -> set[Triple]:
    return {t for t in triples if t[1] != RDF.type}


def owlrl_types(ontology: rdflib.Graph, data: rdflib.Graph, program: LineageProgram) -> set[Triple]:
    """Class memberships owlrl entails from the lineage axioms (domain / range of lineage properties) and
    the class hierarchy, for IRIs, not asserted."""
    reduced = rdflib.Graph()
    for s, p, o in ontology:
        if p in (RDFS.domain, RDFS.range) and s not in program.properties:
            continue
        reduced.add((s, p, o))
    closure = rdflib.Graph()
    for triple in reduced:
        closure.add(triple)
    for triple in data:
        closure.add(triple)
    with RDFLIB_GLOBALS:
        owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(closure)
    return {
        (s, RDF.type, o)
        for s, o in closure.subject_objects(RDF.type)
        if isinstance(s, URIRef)
        and o in program.classes
        and (s, RDF.type, o) not in data
        and (s, RDF.type, o) not in reduced
    }


def test_demo_lineage_equals_owlrl(reasoned: ReasonedStore, program: LineageProgram) -> None:
    ingest_demo(reasoned)
    reasoned.recompute()
    ontology = load_ontology()
    data = asserted_graph(reasoned)
    mine = inferred(reasoned)
    assert lineage_only(mine) == owlrl_lineage(ontology=ontology, data=data)
    assert {t for t in mine if t[1] == RDF.type} == owlrl_types(ontology, data, program)
    column = URIRef(ID + "column/postgres_prod.ecommerce.public.customers.last_purchase_date")
    scores = URIRef(ID + "table/snowflake.prod.churn_scores")
    customers = URIRef(ID + "table/postgres_prod.ecommerce.public.customers")
    assert {(scores, MLKG.upstream, column), (scores, MLKG.upstream, customers)} <= mine
    assert (customers, MLKG.downstream, scores) in mine


def test_loading_keeps_the_inferred_graph_equal_to_a_recompute(reasoned: ReasonedStore) -> None:
    ingest_demo(reasoned)  # document by document through the incremental path
    incremental = inferred(reasoned)
    assert incremental
    reasoned.recompute()
    assert inferred(reasoned) == incremental


def test_dropping_a_feature_removes_exactly_its_lineage(reasoned: ReasonedStore) -> None:
    ingest_demo(reasoned)
    before = inferred(reasoned)
    model_file = next(p for p in sorted(DEMO.glob("*.json")) if "churn-model" in p.name)
    documents = json.loads(model_file.read_text())
    for document in documents:
        if document.get("name") == "customer_churn_predictor":
            document["mlFeatures"] = [f for f in document["mlFeatures"] if f["name"] != "monetary"]
    ingestor = Ingestor(minter=IriMinter.from_ontology(base=ID), max_bytes=1 << 24)
    assert ingestor.ingest(
        store=reasoned, sources=[Source("m.json", json.dumps(documents).encode(), InputFormat.JSON)]
    ).ok
    after = inferred(reasoned)
    monetary = URIRef(ID + "feature/mlflow_prod.customer_churn_predictor.monetary")
    amount = URIRef(ID + "column/postgres_prod.ecommerce.public.orders.total_amount_30d")
    assert (CHURN, MLKG.upstream, monetary) in before
    assert (CHURN, MLKG.upstream, monetary) not in after
    assert not any(monetary in (s, o) for s, _, o in lineage_only(after))
    # Exactly: what remains is what OWL 2 RL entails from the new documents, and the churn model still
    # depends on the orders table through the frequency feature.
    assert lineage_only(after) == owlrl_lineage(ontology=load_ontology(), data=asserted_graph(reasoned))
    assert (CHURN, MLKG.upstream, amount) in before and (CHURN, MLKG.upstream, amount) not in after
    orders = URIRef(ID + "table/postgres_prod.ecommerce.public.orders")
    assert (CHURN, MLKG.upstream, orders) in after
    reasoned.recompute()
    assert inferred(reasoned) == after


def test_generated_catalog_equals_owlrl(program: LineageProgram) -> None:
    from bench.generate import generate_catalog

    with ReasonedStore(inner=OxigraphStore(path=None), program=program) as store:
        store.inner.replace_graphs(graphs=dict(generate_catalog(target_triples=10_000, seed=7)))
        store.recompute()
        data = asserted_graph(store)
        assert len(data) > 8_000  # distinct triples; references repeat across documents
        assert lineage_only(inferred(store)) == owlrl_lineage(ontology=load_ontology(), data=data)


def test_a_new_sub_property_in_the_ontology_takes_part() -> None:
    ontology = load_ontology()
    feeds = URIRef("https://example.org/feeds")
    ontology.add((feeds, RDF.type, OWL.ObjectProperty))
    ontology.add((feeds, RDFS.subPropertyOf, MLKG.upstream))
    with ReasonedStore(
        inner=OxigraphStore(path=None), program=LineageProgram.from_ontology(ontology)
    ) as store:
        a, b, c = (URIRef(f"https://example.org/{n}") for n in "abc")
        store.replace_graphs(graphs={a: [(a, feeds, b)], b: [(b, MLKG.readsFrom, c)]})
        assert {(a, MLKG.upstream, c), (c, MLKG.downstream, a)} <= inferred(store)


def test_unsupported_ontology_patterns_are_refused() -> None:
    ontology = load_ontology()
    chain = BNode()
    rest = BNode()
    ontology.add((MLKG.derivedFrom, OWL.propertyChainAxiom, chain))
    ontology.add((chain, RDF.first, MLKG.upstream))
    ontology.add((chain, RDF.rest, rest))
    ontology.add((rest, RDF.first, MLKG.readsFrom))
    ontology.add((rest, RDF.rest, RDF.nil))
    with pytest.raises(ReasoningError, match="chain"):
        LineageProgram.from_ontology(ontology)


def test_the_inferred_graph_cannot_be_written(reasoned: ReasonedStore) -> None:
    with pytest.raises(InputError, match="maintained by mlkg"):
        reasoned.replace_graphs(graphs={INFERRED_GRAPH: [(CHURN, MLKG.upstream, CHURN)]})


# -- random write sequences ---------------------------------------------------------------------------------

NODES = [URIRef(f"https://example.org/n{i}") for i in range(7)]
PROPERTIES = [
    MLKG.readsFrom,
    MLKG.writesTo,
    MLKG.columnOf,
    MLKG.hasColumn,
    MLKG.derivedFromColumn,
    MLKG.hasFeatureSource,
    MLKG.dataSource,
    MLKG.usesFeature,
    MLKG.versionOf,
    MLKG.servesVersion,
    MLKG.writesPredictions,
    MLKG.performanceDashboard,
    MLKG.producedVersion,
    MLKG.trainedOn,
]
CLASSES = [MLKG.FeatureTable, MLKG.Column, MLKG.Model, MLKG.Team]

triple_strategy = st.one_of(
    st.tuples(st.sampled_from(NODES), st.sampled_from(PROPERTIES), st.sampled_from(NODES)),
    st.tuples(st.sampled_from(NODES), st.just(RDF.type), st.sampled_from(CLASSES)),
)
document = st.tuples(st.sampled_from(NODES[:4]), st.lists(triple_strategy, max_size=6))
operation = st.one_of(document, st.tuples(st.sampled_from(NODES[:4]), st.none()))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operation, min_size=1, max_size=8))
def test_incremental_equals_recompute_and_owlrl(operations: list[tuple[URIRef, list[Triple] | None]]) -> None:
    program = LineageProgram.from_ontology(load_ontology())
    with ReasonedStore(inner=OxigraphStore(path=None), program=program) as store:
        store.recompute()
        apply_writes(store, operations)
        incremental = inferred(store)
        store.recompute()
        assert inferred(store) == incremental
        data = asserted_graph(store)
        assert lineage_only(incremental) == owlrl_lineage(ontology=load_ontology(), data=data)


def test_a_new_process_writes_only_the_difference(program: LineageProgram) -> None:
    with OxigraphStore(path=None) as inner:
        first = ReasonedStore(inner=inner, program=program)
        ingest_demo(first)
        expected_before = inferred(inner)
        # A second process (a new ReasonedStore on the same data) trusts the stored inferred graph: its first
        # write must leave the same graph as a recompute, without rewriting everything.
        second = ReasonedStore(inner=inner, program=program)
        second.delete_graphs(graphs=[CHURN])
        assert second.last is not None
        assert second.last.inferred_added < second.last.inferred_removed < len(expected_before)
        after = inferred(inner)
        second.recompute()
        assert inferred(inner) == after


def test_data_written_around_the_reasoner_gets_its_inferred_graph(program: LineageProgram) -> None:
    with OxigraphStore(path=None) as inner:
        ingest_demo(inner)  # no reasoner: no inferred graph
        assert not inferred(inner)
        reasoned = ReasonedStore(inner=inner, program=program)
        reasoned.delete_graphs(graphs=[URIRef(ID + "dashboard/tableau.fraud_alerts")])
        incremental = inferred(inner)
        reasoned.recompute()
        assert incremental and inferred(inner) == incremental


def test_a_chain_through_one_edge_twice_is_retracted(program: LineageProgram) -> None:
    # Regression: a column of its own table, derived from itself, makes the chain hasColumn/derivedFromColumn/
    # columnOf use one edge at two steps; deleting it counted that path twice and left stale triples behind.
    node = NODES[0]
    with ReasonedStore(inner=OxigraphStore(path=None), program=program) as store:
        store.replace_graphs(
            graphs={node: [(node, MLKG.columnOf, node), (node, MLKG.derivedFromColumn, node)]}
        )
        assert (node, MLKG.tableDerivedFrom, node) in inferred(store)
        store.delete_graphs(graphs=[node])
        assert inferred(store) == set()


def test_a_failed_inferred_write_is_repaired_by_the_next_write(
    program: LineageProgram, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlkg.errors import StoreError

    with OxigraphStore(path=None) as inner:
        store = ReasonedStore(inner=inner, program=program)
        ingest_demo(store)
        real = inner.change_graph

        def failing(**kwargs: object) -> None:
            raise StoreError("disk full")

        monkeypatch.setattr(inner, "change_graph", failing)
        with pytest.raises(StoreError):
            store.delete_graphs(graphs=[CHURN])  # the asserted delete happened, the inferred update did not
        monkeypatch.setattr(inner, "change_graph", real)
        store.delete_graphs(graphs=[URIRef(ID + "dashboard/tableau.fraud_alerts")])
        after = inferred(inner)
        store.recompute()
        assert inferred(inner) == after


class ProtocolOnly:
    """The Store protocol of an OxigraphStore without its BulkTriples fast path (like a remote backend)."""

    def __init__(self, inner: OxigraphStore) -> None:
        self.inner = inner
        self.replace_graphs = inner.replace_graphs
        self.load_graph = inner.load_graph
        self.change_graph = inner.change_graph
        self.delete_graphs = inner.delete_graphs
        self.graph_names = inner.graph_names
        self.has_graph = inner.has_graph
        self.quads = inner.quads
        self.query = inner.query
        self.update = inner.update
        self.close = inner.close

    def __enter__(self) -> ProtocolOnly:
        return self

    def __exit__(self, *args: object) -> None:
        self.close()


def with_blank_nodes_and_literals() -> dict[URIRef, list[Triple]]:
    source, literal_source = BNode(), BNode()
    feature = URIRef(ID + "feature/x.f")
    return {
        URIRef(ID + "model/x"): [
            (URIRef(ID + "model/x"), MLKG.usesFeature, feature),
            (feature, MLKG.hasFeatureSource, source),
            (source, MLKG.dataSource, URIRef(ID + "column/postgres_prod.ecommerce.public.customers.email")),
            (feature, MLKG.hasFeatureSource, literal_source),
            (literal_source, MLKG.dataSource, rdflib.Literal("not a column")),
            (feature, MLKG.derivedFrom, rdflib.Literal("x", lang="en")),
        ]
    }


def test_the_store_protocol_alone_gives_the_same_graph_as_the_bulk_path(program: LineageProgram) -> None:
    from mlkg.store.base import BulkTriples

    with OxigraphStore(path=None) as inner:
        assert isinstance(inner, BulkTriples)
        plain = ProtocolOnly(inner)
        assert not isinstance(plain, BulkTriples)
        ingest_demo(inner)
        inner.replace_graphs(graphs=with_blank_nodes_and_literals())
        bulk = ReasonedStore(inner=inner, program=program)
        bulk.recompute()
        expected = inferred(inner)
        assert (URIRef(ID + "model/x"), MLKG.upstream, URIRef(ID + "feature/x.f")) in expected
        ReasonedStore(inner=plain, program=program).recompute()  # type: ignore[arg-type]
        assert inferred(inner) == expected


def test_bulk_read_state_and_incremental_terms_name_nodes_alike(program: LineageProgram) -> None:
    # The state built from the bulk path (N-Triples text from pyoxigraph) is then changed with rdflib terms
    # read through Store.quads: blank nodes and literals must get the same keys on both paths, or a delete
    # would leave stale triples behind.
    with OxigraphStore(path=None) as inner:
        ingest_demo(inner)
        extra = with_blank_nodes_and_literals()
        inner.replace_graphs(graphs=extra)
        store = ReasonedStore(inner=inner, program=program)
        store.recompute()
        with_extra = inferred(inner)
        store.delete_graphs(graphs=list(extra))
        after = inferred(inner)
        assert after < with_extra
        store.recompute()
        assert inferred(inner) == after


def ntriple(triple: Triple) -> str:
    return " ".join(t.n3() for t in triple) + " ."


update_operation = st.one_of(
    st.tuples(st.just("INSERT"), st.sampled_from([*NODES[:3], None]), st.lists(triple_strategy, max_size=5)),
    st.tuples(st.just("DELETE"), st.sampled_from([*NODES[:3], None]), st.lists(triple_strategy, max_size=5)),
    st.tuples(st.just("DROP"), st.sampled_from(NODES[:3]), st.just([])),
    st.tuples(st.just("WHERE"), st.sampled_from(PROPERTIES), st.just([])),
)


def update_text(kind: str, target: URIRef | None, triples: list[Triple]) -> str:
    if kind == "DROP":
        return f"DROP SILENT GRAPH <{target}>"
    if kind == "WHERE":  # every graph's copies of one lineage property
        return f"DELETE WHERE {{ GRAPH ?g {{ ?s <{target}> ?o }} }}"
    body = "\n".join(ntriple(t) for t in triples)
    if target is not None:
        body = f"GRAPH <{target}> {{ {body} }}"
    return f"{kind} DATA {{ {body} }}"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operation, max_size=4), st.lists(update_operation, min_size=1, max_size=6))
def test_incremental_after_sparql_update_equals_recompute(
    documents: list[tuple[URIRef, list[Triple] | None]],
    updates: list[tuple[str, URIRef | None, list[Triple]]],
) -> None:
    program = LineageProgram.from_ontology(load_ontology())
    with ReasonedStore(inner=OxigraphStore(path=None), program=program) as store:
        apply_writes(store, documents)
        for kind, target, triples in updates:
            store.update(update=update_text(kind, target, triples))
        incremental = inferred(store)
        store.recompute()
        assert inferred(store) == incremental


def test_a_sparql_update_writes_only_the_difference(reasoned: ReasonedStore) -> None:
    ingest_demo(reasoned)
    total = len(inferred(reasoned))
    dashboard = URIRef(ID + "dashboard/tableau.fraud_alerts")
    reasoned.update(update=f"DELETE WHERE {{ GRAPH <{dashboard}> {{ <{dashboard}> ?p ?o }} }}")
    assert reasoned.last is not None
    assert 0 < reasoned.last.inferred_removed < total // 10
    assert reasoned.last.inferred_added == 0
    incremental = inferred(reasoned)
    assert not any(dashboard in (s, o) for s, p, o in incremental if p == MLKG.upstream)
    reasoned.recompute()
    assert inferred(reasoned) == incremental


def test_a_sparql_update_in_a_new_process_is_diffed_against_the_stored_state(program: LineageProgram) -> None:
    with OxigraphStore(path=None) as inner:
        ingest_demo(ReasonedStore(inner=inner, program=program))
        fresh = ReasonedStore(inner=inner, program=program)  # no state yet: built before the update runs
        fresh.update(update=f"DROP GRAPH <{CHURN}>")
        assert fresh.last is not None and fresh.last.inferred_removed > 0
        after = inferred(inner)
        fresh.recompute()
        assert inferred(inner) == after


def test_an_update_through_graph_variables_cannot_corrupt_the_inferred_graph() -> None:
    """Regression (found by hypothesis): DELETE WHERE { GRAPH ?g { ?s mlkg:columnOf ?o } } also deleted the
    inferred graph's columnOf triples, and diffing the asserted lineage did not bring them back."""
    program = LineageProgram.from_ontology(load_ontology())
    n0 = URIRef("https://example.org/n0")
    with ReasonedStore(inner=OxigraphStore(path=None), program=program) as store:
        store.update(update=update_text("INSERT", n0, [(n0, MLKG.hasColumn, n0)]))
        store.update(update=update_text("WHERE", MLKG.columnOf, []))
        incremental = inferred(store)
        assert (n0, MLKG.columnOf, n0) in incremental
        store.recompute()
        assert inferred(store) == incremental


def test_drop_all_keeps_the_ontology_graph_and_empties_the_inferred_graph(reasoned: ReasonedStore) -> None:
    ingest_demo(reasoned)
    reasoned.update(update="DROP ALL")
    assert inferred(reasoned) == set()
    assert reasoned.has_graph(graph=ONTOLOGY_GRAPH)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DELETE WHERE { GRAPH ?g { ?s ?p ?o } }", True),
        ("DELETE { GRAPH $g { ?s ?p ?o } } WHERE { GRAPH $g { ?s ?p ?o } }", True),
        ("DROP ALL", True),
        ("CLEAR SILENT NAMED", True),
        ("INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:b> 'GRAPH ?g' } }", False),
        ("DROP GRAPH <urn:g> ; CLEAR DEFAULT", False),
        ("# GRAPH ?g\nINSERT DATA { <urn:a> <urn:b> <urn:c> }", False),
        ("INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }", False),  # reads ?g, writes the default
        ("INSERT { GRAPH ?g { ?s ?p ?o } } WHERE { VALUES ?g { <urn:g> } ?s ?p ?o }", True),
    ],
)
def test_updates_that_may_write_unnamed_graphs_are_recognised(text: str, expected: bool) -> None:
    assert check_update(text).unnamed is expected


def test_the_ontology_graph_cannot_be_written(reasoned: ReasonedStore) -> None:
    install_ontology(store=reasoned.inner)
    with pytest.raises(InputError, match="maintained by mlkg"):
        reasoned.delete_graphs(graphs=[ONTOLOGY_GRAPH])
    with pytest.raises(InputError, match="maintained by mlkg"):
        reasoned.update(update=f"DROP GRAPH <{ONTOLOGY_GRAPH}>")
    assert reasoned.has_graph(graph=ONTOLOGY_GRAPH)


def test_every_write_counts_so_readers_know_when_a_graph_may_have_changed(reasoned: ReasonedStore) -> None:
    assert isinstance(reasoned, WriteCounter)
    graph = URIRef("http://localhost:8000/id/table/pg.shop.counted")
    before = reasoned.writes
    reasoned.replace_graphs(graphs={graph: [(graph, RDF.type, MLKG.Table)]})
    reasoned.update(update=f"INSERT DATA {{ GRAPH <{graph}> {{ <{graph}> <{MLKG.name}> 'counted' }} }}")
    reasoned.delete_graphs(graphs=[graph])
    assert reasoned.writes == before + 3
