"""A ReasonedStore offers the read capabilities of the store it wraps, and only those: readers (the HTTP
routes, the Python API) read through it and still get the backend's own serialisers, while no write can
bypass the reasoner."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
import rdflib
from rdflib import RDF, Literal, URIRef

from mlkg.exports import export
from mlkg.formats import RdfFormat
from mlkg.reasoning.program import LineageProgram
from mlkg.reasoning.store import ReasonedStore
from mlkg.store.base import (
    BulkAppend,
    BulkTriples,
    GraphSync,
    MergedTriples,
    NativeDump,
    SerializedQuery,
    Store,
)
from mlkg.store.oxigraph import OxigraphStore
from mlkg.vocab import INFERRED_GRAPH, MLKG

ID = "http://localhost:8000/id/"
TABLE = URIRef(ID + "table/pg.shop.public.orders")
COLUMN = URIRef(ID + "column/pg.shop.public.orders.amount")
FEATURE = URIRef(ID + "feature/shop.order_amount")


class ProtocolOnly:
    """A backend implementing the Store protocol and no optional capability."""

    def __init__(self, inner: Store) -> None:
        self._inner = inner

    def __getattr__(self, name: str):
        if name in {
            "query_serialized",
            "dump",
            "merged_triples",
            "sync_graph",
            "append_graph",
        } or name.endswith("_ntriples"):
            raise AttributeError(name)
        return getattr(self._inner, name)


def documents() -> dict[URIRef, list]:
    return {
        TABLE: [
            (TABLE, RDF.type, MLKG.Table),
            (TABLE, MLKG.hasColumn, COLUMN),
            (TABLE, MLKG.name, Literal("orders")),
        ],
        COLUMN: [(COLUMN, RDF.type, MLKG.Column), (COLUMN, MLKG.name, Literal("amount"))],
        FEATURE: [(FEATURE, RDF.type, MLKG.Feature), (FEATURE, MLKG.derivedFromColumn, COLUMN)],
    }


@pytest.fixture
def embedded(ontology: rdflib.Graph) -> Iterator[ReasonedStore]:
    with ReasonedStore(
        inner=OxigraphStore(path=None), program=LineageProgram.from_ontology(ontology)
    ) as store:
        store.replace_graphs(graphs=documents())
        yield store


def test_the_read_capabilities_of_the_embedded_store_pass_through(embedded: ReasonedStore) -> None:
    for capability in (SerializedQuery, NativeDump, MergedTriples):
        assert isinstance(embedded, capability), capability.__name__
    assert isinstance(embedded, ReasonedStore)


def test_no_write_capability_passes_through(embedded: ReasonedStore) -> None:
    """A sync, bulk append or N-Triples write through the wrapper would leave the inferred graph stale."""
    assert isinstance(embedded.inner, BulkTriples | GraphSync | BulkAppend)
    for capability in (BulkTriples, GraphSync, BulkAppend):
        assert not isinstance(embedded, capability), capability.__name__


def test_a_store_without_capabilities_gets_a_wrapper_without_them(ontology: rdflib.Graph) -> None:
    plain = ProtocolOnly(OxigraphStore(path=None))
    store = ReasonedStore(inner=plain, program=LineageProgram.from_ontology(ontology))
    assert type(store) is ReasonedStore
    for capability in (SerializedQuery, NativeDump, MergedTriples):
        assert not isinstance(store, capability), capability.__name__
    store.replace_graphs(graphs=documents())  # and it still reasons
    assert (FEATURE, MLKG.upstream, TABLE) in {(s, p, o) for s, p, o, _ in store.quads(graph=INFERRED_GRAPH)}


def test_forwarded_results_are_the_wrapped_stores(embedded: ReasonedStore) -> None:
    query = "SELECT ?up WHERE { ?f <https://w3id.org/mlkg#upstream> ?up } ORDER BY ?up"
    json = "application/sparql-results+json"
    through = embedded.query_serialized(query=query, results_format=lambda: json)
    direct = embedded.inner.query_serialized(query=query, results_format=lambda: json)
    assert through == direct
    assert str(TABLE).encode() in through  # the inferred lineage is there to read


@pytest.mark.parametrize("format", [RdfFormat.NQUADS, RdfFormat.TURTLE, RdfFormat.NTRIPLES])
def test_an_export_through_the_wrapper_is_the_engines(embedded: ReasonedStore, format: RdfFormat) -> None:
    through, direct = io.BytesIO(), io.BytesIO()
    export(store=embedded, format=format, output=through)
    export(store=embedded.inner, format=format, output=direct)
    assert through.getvalue() == direct.getvalue()
    assert str(TABLE).encode() in through.getvalue()
