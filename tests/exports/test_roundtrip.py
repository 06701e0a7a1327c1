"""Every export format reads back, with rdflib and with pyoxigraph, as the data that was written (compared
by isomorphism)."""

from __future__ import annotations

import io
import json
import string
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, RDFS, XSD

from mlkg.errors import UnsupportedFormatError
from mlkg.exports import export
from mlkg.resources import context_text
from mlkg.store.base import Quad, RdfFormat
from mlkg.store.oxigraph import OxigraphStore
from mlkg.store.oxterms import to_rdflib
from mlkg.vocab import MLKG

# rdflib 7.6's own parsers call its deprecated Dataset API when reading N-Quads, TriG and JSON-LD
pytestmark = pytest.mark.filterwarnings(
    r"ignore:(Dataset\.\w+|ConjunctiveGraph) is deprecated:DeprecationWarning"
)

EX = "http://example.org/"
RDFLIB_FORMATS = {
    RdfFormat.TURTLE: "turtle",
    RdfFormat.NTRIPLES: "nt",
    RdfFormat.NQUADS: "nquads",
    RdfFormat.TRIG: "trig",
    RdfFormat.RDFXML: "xml",
    RdfFormat.JSONLD: "json-ld",
}

names = st.text(alphabet=string.ascii_letters + string.digits + "_-", min_size=1, max_size=5)
iris = st.one_of(
    names.map(lambda n: URIRef(f"{EX}r/{n}")),
    st.sampled_from([MLKG.Model, URIRef("http://localhost:8000/id/model/svc.churn%2Epredictor"), URIRef(EX)]),
)
# RDF/XML needs predicates whose IRI ends with an XML name
predicates = st.one_of(
    names.map(lambda n: URIRef(f"{EX}p/p{n}")),
    st.sampled_from([MLKG.name, MLKG.usesFeature, MLKG.metricValue, RDF.type, RDFS.label]),
)
blank_nodes = st.sampled_from([BNode("b0"), BNode("b1"), BNode("b2")])
# control characters other than tab, LF and CR: see test_export_formats.py (RDF/XML cannot carry them)
texts = st.text(
    alphabet=st.one_of(
        st.characters(blacklist_categories=("Cs", "Cc")),
        st.sampled_from(['"', "'", "\\", "\n", "\r", "\t", "<", ">", "&", "{", "}", "]", "é", "𝄞"]),
    ),
    max_size=12,
)
literals = st.one_of(
    texts.map(Literal),
    st.tuples(texts, st.sampled_from(["en", "fr", "en-gb", "zh-hant", "de-ch-1996"])).map(
        lambda t: Literal(t[0], lang=t[1])
    ),
    st.integers(-(10**20), 10**20).map(lambda i: Literal(str(i), datatype=XSD.integer)),
    st.booleans().map(lambda b: Literal("true" if b else "false", datatype=XSD.boolean)),
    st.tuples(texts, names).map(lambda t: Literal(t[0], datatype=URIRef(f"{EX}dt/{t[1]}"))),
)
triples = st.tuples(st.one_of(iris, blank_nodes), predicates, st.one_of(iris, blank_nodes, literals))
datasets = st.dictionaries(
    names.map(lambda n: URIRef(f"{EX}graph/{n}")), st.lists(triples, min_size=1, max_size=6), max_size=4
)


class PlainStore:
    """The embedded store seen only through the Store protocol, without its native ``dump``."""

    def __init__(self, inner: OxigraphStore) -> None:
        self.inner = inner

    def has_graph(self, *, graph: URIRef) -> bool:
        return self.inner.has_graph(graph=graph)

    def quads(self, **pattern: object) -> Iterator[Quad]:
        return self.inner.quads(**pattern)  # type: ignore[arg-type]


def distinct_blank_nodes(data: dict) -> dict[URIRef, Graph]:
    """Expected graphs: blank nodes are scoped to their document, so rename them per graph."""
    expected = {}
    for index, (name, triples_) in enumerate(data.items()):
        graph = Graph()
        for triple in triples_:
            graph.add(tuple(BNode(f"g{index}{t}") if isinstance(t, BNode) else t for t in triple))
        expected[name] = graph
    return expected


def read_back_by_oxigraph(data: bytes, fmt: RdfFormat) -> tuple[Dataset, int]:
    """The second parser: pyoxigraph; also how many statements it read (duplicates counted)."""
    dataset = Dataset()
    quads = list(ox.parse(data, format=ox.RdfFormat.from_media_type(fmt.media_type)))
    for quad in quads:
        name = quad.graph_name
        graph = dataset.default_graph if isinstance(name, ox.DefaultGraph) else dataset.graph(to_rdflib(name))
        graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
    return dataset, len(quads)


def read_back(data: bytes, fmt: RdfFormat) -> tuple[Dataset, None]:
    if fmt is RdfFormat.JSONLD:
        assert json.loads(data)["@context"] == json.loads(context_text())["@context"]  # never fetched
    dataset = Dataset()
    dataset.parse(data=data, format=RDFLIB_FORMATS[fmt])
    return dataset, None


def not_xml(data: dict) -> bool:
    """True if a literal holds a character XML 1.0 cannot carry (U+FFFE, U+FFFF)."""
    return any(
        "\ufffe" in str(term) or "\uffff" in str(term)
        for triples_ in data.values()
        for triple in triples_
        for term in triple
    )


@pytest.mark.parametrize("native", [True, False], ids=["native", "protocol-only"])
@pytest.mark.parametrize("fmt", list(RdfFormat), ids=[f.value for f in RdfFormat])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=datasets)
def test_export_reads_back_as_written(fmt: RdfFormat, native: bool, data: dict) -> None:
    with OxigraphStore(path=None) as store:
        store.replace_graphs(graphs=data)
        out = io.BytesIO()
        if fmt is RdfFormat.RDFXML and not_xml(data):
            with pytest.raises(UnsupportedFormatError):
                export(store=store if native else PlainStore(store), format=fmt, output=out)
            return
        export(store=store if native else PlainStore(store), format=fmt, output=out)
    expected = distinct_blank_nodes(data)
    merged = Graph()
    for graph in expected.values():
        merged += graph
    for back, statements in (read_back(out.getvalue(), fmt), read_back_by_oxigraph(out.getvalue(), fmt)):
        if fmt.supports_datasets:
            names_back = {g.identifier for g in back.graphs() if len(g) and isinstance(g.identifier, URIRef)}
            assert names_back - {back.default_graph.identifier} == set(expected)
            assert len(back.default_graph) == 0
            for name, graph in expected.items():
                assert isomorphic(back.graph(name), graph), name
        else:
            assert isomorphic(back.default_graph, merged)
            assert statements in (None, len(merged))  # each triple once
