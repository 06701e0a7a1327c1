"""The format registry (mlkg.formats) is the one source the other format tables derive from, and agrees with
the libraries that parse and write the formats."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
import rdflib.plugin
from rdflib.parser import Parser
from rdflib.query import ResultParser
from rdflib.serializer import Serializer

from mlkg.api.representations import GRAPH_TYPES, RESULT_TYPES
from mlkg.formats import JSON_INPUTS, RDF_SPECS, RESULTS_SPECS, RdfFormat, ResultsFormat
from mlkg.ingest.formats import InputFormat, extensions


@pytest.mark.parametrize("fmt", list(RdfFormat), ids=lambda f: f.value)
def test_rdf_formats_agree_with_pyoxigraph_and_rdflib(fmt: RdfFormat) -> None:
    found = ox.RdfFormat.from_media_type(fmt.media_type)
    assert found is not None
    assert found.supports_datasets == fmt.supports_datasets
    assert ox.RdfFormat.from_extension(fmt.spec.extensions[0][1:]) == found
    assert rdflib.plugin.get(fmt.spec.rdflib, Parser)
    assert rdflib.plugin.get(fmt.spec.rdflib, Serializer)


@pytest.mark.parametrize(
    "fmt", [f for f in ResultsFormat if f is not ResultsFormat.TABLE], ids=lambda f: f.value
)
def test_results_formats_agree_with_pyoxigraph_and_rdflib(fmt: ResultsFormat) -> None:
    found = ox.QueryResultsFormat.from_media_type(fmt.spec.media_type)
    assert found is not None
    assert ox.QueryResultsFormat.from_extension(fmt.spec.extensions[0][1:]) == found
    assert rdflib.plugin.get(fmt.spec.rdflib, ResultParser)


def test_every_extension_and_media_type_names_one_input_format() -> None:
    specs = [*RDF_SPECS.values(), *JSON_INPUTS.values()]
    all_extensions = [ext for spec in specs for ext in spec.extensions]
    assert len(all_extensions) == len(set(all_extensions)) == len(extensions())
    for fmt in InputFormat:
        for ext in (
            JSON_INPUTS[fmt.value] if fmt.value in JSON_INPUTS else RdfFormat(fmt.value).spec
        ).extensions:
            assert InputFormat.from_path(f"data{ext.upper()}") is fmt
        assert InputFormat.from_media_type(fmt.media_type + "; charset=utf-8") is fmt


def test_negotiation_offers_registered_types_first_in_the_servers_order() -> None:
    assert list(GRAPH_TYPES)[:6] == [
        "text/turtle",
        "application/ld+json",
        "application/n-triples",
        "application/n-quads",
        "application/trig",
        "application/rdf+xml",
    ]
    assert GRAPH_TYPES["application/json"] is RdfFormat.JSONLD
    assert GRAPH_TYPES["text/plain"] is RdfFormat.NTRIPLES
    assert list(RESULT_TYPES)[:4] == [spec.media_type for spec in list(RESULTS_SPECS.values())[:4]]
    assert RESULT_TYPES["text/xml"] is ResultsFormat.XML
    assert RdfFormat.from_media_type("application/x-turtle; charset=utf-8") is RdfFormat.TURTLE
    assert RdfFormat.from_media_type("text/html") is None
