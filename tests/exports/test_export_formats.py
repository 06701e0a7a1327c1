"""What users rely on in exports beyond round trips: graph selection, entities, JSON-LD shape, refusals."""

from __future__ import annotations

import io
import json

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF

from mlkg.errors import ContextError, InputError, NotAcceptableError, NotFoundError, UnsupportedFormatError
from mlkg.exports import export, serialize_triples
from mlkg.exports.jsonld import refuse_remote_documents
from mlkg.resources import context_text
from mlkg.store.base import RdfFormat, Store
from mlkg.vocab import CONTEXT_IRI, INFERRED_GRAPH, MLKG, ONTOLOGY_GRAPH

pytestmark = pytest.mark.filterwarnings(
    r"ignore:(Dataset\.\w+|ConjunctiveGraph) is deprecated:DeprecationWarning"
)

ID = "http://localhost:8000/id/"
MODEL = URIRef(ID + "model/mlflow-prod.customer_churn_predictor")
FEATURE = URIRef(ID + "feature/snowflake.prod.customers.tenure")
TABLE = URIRef(ID + "table/snowflake.prod.customers")
OXIGRAPH = {"ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "rdfxml": ox.RdfFormat.RDF_XML}
RDFLIB = {"ttl": "turtle", "nt": "nt", "nq": "nquads", "trig": "trig", "rdfxml": "xml", "jsonld": "json-ld"}


class PlainStore:
    """A store offering only the Store protocol's reads (no native ``dump``)."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner

    def has_graph(self, *, graph: URIRef) -> bool:
        return self.inner.has_graph(graph=graph)

    def quads(self, **pattern):
        return self.inner.quads(**pattern)


@pytest.fixture(params=["native", "protocol-only"])
def catalog(request, store: Store):
    store.replace_graphs(
        graphs={
            MODEL: [
                (MODEL, RDF.type, MLKG.Model),
                (MODEL, MLKG.name, Literal("customer_churn_predictor")),
                (MODEL, MLKG.usesFeature, FEATURE),
            ],
            FEATURE: [(FEATURE, RDF.type, MLKG.Feature), (FEATURE, MLKG.name, Literal("tenure"))],
            INFERRED_GRAPH: [(MODEL, MLKG.upstream, TABLE)],
            ONTOLOGY_GRAPH: [(MLKG.Model, RDF.type, URIRef("http://www.w3.org/2002/07/owl#Class"))],
        }
    )
    return store if request.param == "native" else PlainStore(store)


def written(store, fmt: RdfFormat, **options) -> bytes:
    out = io.BytesIO()
    export(store=store, format=fmt, output=out, **options)
    return out.getvalue()


def as_rdf(data: bytes, fmt: RdfFormat) -> Dataset:
    dataset = Dataset()
    dataset.parse(data=data, format=RDFLIB[fmt.value])
    return dataset


def names_in(dataset: Dataset) -> set[URIRef]:
    return {g.identifier for g in dataset.graphs() if len(g)} - {dataset.default_graph.identifier}


def test_jsonld_is_compacted_with_the_mlkg_context_inline(catalog) -> None:
    document = json.loads(written(catalog, RdfFormat.JSONLD, entity=MODEL))
    assert document["@context"] == json.loads(context_text())["@context"]  # nothing to fetch
    assert document["@id"] == str(MODEL)
    [node] = document["@graph"]
    assert node["@id"] == str(MODEL)
    assert node["type"] == "Model"
    assert node["name"] == "customer_churn_predictor"
    assert str(FEATURE) in next(v for k, v in node.items() if k in ("features", "mlFeatures"))


def test_jsonld_loader_never_fetches() -> None:
    with pytest.raises(ContextError, match="never fetched"):
        refuse_remote_documents(CONTEXT_IRI, {})


@pytest.mark.parametrize("fmt", [RdfFormat.NQUADS, RdfFormat.TRIG, RdfFormat.JSONLD], ids=lambda f: f.value)
def test_dataset_formats_keep_graph_names_and_asserted_leaves_out_derived_graphs(catalog, fmt) -> None:
    assert names_in(as_rdf(written(catalog, fmt), fmt)) == {MODEL, FEATURE, INFERRED_GRAPH, ONTOLOGY_GRAPH}
    assert names_in(as_rdf(written(catalog, fmt, graphs="asserted"), fmt)) == {MODEL, FEATURE}


@pytest.mark.parametrize(
    "fmt", [RdfFormat.TURTLE, RdfFormat.NTRIPLES, RdfFormat.RDFXML], ids=lambda f: f.value
)
def test_triple_formats_merge_the_selected_graphs(catalog, fmt) -> None:
    merged = as_rdf(written(catalog, fmt, graphs="asserted"), fmt).default_graph
    assert (MODEL, MLKG.usesFeature, FEATURE) in merged
    assert (FEATURE, MLKG.name, Literal("tenure")) in merged
    assert (MODEL, MLKG.upstream, TABLE) not in merged
    assert len(merged) == 5
    assert len(as_rdf(written(catalog, fmt), fmt).default_graph) == 7


@pytest.mark.parametrize(
    "fmt", [RdfFormat.TURTLE, RdfFormat.NTRIPLES, RdfFormat.RDFXML], ids=lambda f: f.value
)
def test_triple_formats_write_a_triple_held_by_several_graphs_once(catalog, fmt) -> None:
    """Regression (issue 13): RDF/XML of the whole store wrote such a triple once per graph (Jena counted
    946 triples where Turtle and N-Triples held 920)."""
    store = catalog.inner if isinstance(catalog, PlainStore) else catalog
    store.replace_graphs(
        graphs={URIRef(ID + "copy/" + str(n)): [(MODEL, RDF.type, MLKG.Model)] for n in range(3)}
    )
    shared = f"_:b <{MLKG.name}> 'x'"  # one blank node, in two graphs
    store.update(update=f"INSERT DATA {{ GRAPH <{ID}b1> {{ {shared} }} GRAPH <{ID}b2> {{ {shared} }} }}")
    parsed = list(ox.parse(written(catalog, fmt), format=OXIGRAPH[fmt.value]))
    assert len(parsed) == len(set(parsed)) == 8


@pytest.mark.parametrize("fmt", list(RdfFormat), ids=lambda f: f.value)
def test_entity_export_is_the_entity_graph(catalog, fmt) -> None:
    back = as_rdf(written(catalog, fmt, entity=FEATURE), fmt)
    expected = Graph()
    expected.add((FEATURE, RDF.type, MLKG.Feature))
    expected.add((FEATURE, MLKG.name, Literal("tenure")))
    if fmt.supports_datasets:
        assert names_in(back) == {FEATURE}
        assert isomorphic(back.graph(FEATURE), expected)
    else:
        assert isomorphic(back.default_graph, expected)


def test_unknown_entity_is_not_found(catalog) -> None:
    with pytest.raises(NotFoundError):
        written(catalog, RdfFormat.TURTLE, entity=URIRef(ID + "model/nope"))


def test_default_graph_is_exported_without_a_name(store: Store) -> None:
    store.update(update=f'INSERT DATA {{ <{MODEL}> <{MLKG.name}> "in the default graph" }}')
    for source in (store, PlainStore(store)):
        back = as_rdf(written(source, RdfFormat.NQUADS), RdfFormat.NQUADS)
        assert names_in(back) == set()
        assert list(back.default_graph) == [(MODEL, MLKG.name, Literal("in the default graph"))]


CONTROL = Literal("bell \x07, escape \x1b, nul \x00, delete \x7f")


@pytest.mark.parametrize("fmt", [f for f in RdfFormat if f is not RdfFormat.RDFXML], ids=lambda f: f.value)
def test_control_characters_round_trip(store: Store, fmt: RdfFormat) -> None:
    store.replace_graphs(graphs={MODEL: [(MODEL, MLKG.description, CONTROL)]})
    for source in (store, PlainStore(store)):
        back = as_rdf(written(source, fmt), fmt)
        assert CONTROL in {o for _, _, o, _ in back.quads((None, None, None, None))}


def test_rdfxml_refuses_what_it_cannot_carry(store: Store) -> None:
    store.replace_graphs(graphs={MODEL: [(MODEL, MLKG.description, CONTROL)]})
    with pytest.raises(NotAcceptableError, match="U\\+0007"):
        written(store, RdfFormat.RDFXML)
    for predicate in (
        URIRef("http://example.org/p/1"),
        URIRef("http://example.org/p#"),
        URIRef(str(RDF) + "li"),
    ):
        store.replace_graphs(graphs={MODEL: [(MODEL, predicate, Literal("x"))]})
        with pytest.raises(UnsupportedFormatError, match="predicate"):
            written(store, RdfFormat.RDFXML)
        assert (MODEL, predicate, Literal("x")) in as_rdf(written(store, RdfFormat.TURTLE), RdfFormat.TURTLE)


@pytest.mark.parametrize("fmt", list(RdfFormat), ids=lambda f: f.value)
def test_serialize_triples(fmt: RdfFormat) -> None:
    triples = [(MODEL, RDF.type, MLKG.Model), (MODEL, MLKG.name, Literal('churn "v2"\r\n', lang="en"))]
    back = as_rdf(serialize_triples(triples=triples, format=fmt), fmt)
    expected = Graph()
    for triple in triples:
        expected.add(triple)
    assert isomorphic(back.default_graph, expected)
    if fmt is RdfFormat.JSONLD:
        assert json.loads(serialize_triples(triples=triples, format=fmt))["type"] == "Model"


def test_bad_format_and_selection(store: Store) -> None:
    with pytest.raises(UnsupportedFormatError):
        written(store, "n3")  # type: ignore[arg-type]
    with pytest.raises(InputError):
        written(store, RdfFormat.NQUADS, graphs="inferred")


class CountingWriter(io.BytesIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, data) -> int:  # type: ignore[override]
        self.writes += 1
        return super().write(data)


def test_line_formats_stream_without_a_native_dump(store: Store) -> None:
    store.replace_graphs(
        graphs={MODEL: [(URIRef(f"{ID}s{i}"), MLKG.name, Literal(i)) for i in range(25_000)]}
    )
    out = CountingWriter()
    export(store=PlainStore(store), format=RdfFormat.NTRIPLES, output=out)
    assert out.writes >= 3
    assert len(out.getvalue().splitlines()) == 25_000
