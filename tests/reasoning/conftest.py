"""Fixtures of the reasoning tests: the ontology, and the demo catalog as RDF through the real ingest path."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib

from mlkg.config import DEFAULT_BASE_IRI
from mlkg.ids import IriMinter
from mlkg.ingest import Ingestor, InputFormat, Source
from mlkg.reasoning import LineageTriple, load_ontology, owlrl_lineage

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo"


@pytest.fixture(scope="session")
def ontology() -> rdflib.Graph:
    return load_ontology()


@pytest.fixture(scope="session")
def demo_graph() -> rdflib.Graph:
    """Every triple of every demo document, as ``mlkg load examples/demo/*.json`` would store them."""
    ingestor = Ingestor(minter=IriMinter.from_ontology(base=DEFAULT_BASE_IRI), max_bytes=1 << 20)
    graph = rdflib.Graph()
    for path in sorted(DEMO.glob("*.json")):
        outcome = ingestor.parse(source=Source(path.name, path.read_bytes(), InputFormat.JSON))
        assert not outcome.rejected, outcome.rejected
        for document in outcome.documents:
            for triple in document.triples:
                graph.add(triple)
    return graph


@pytest.fixture(scope="session")
def demo_lineage(ontology: rdflib.Graph, demo_graph: rdflib.Graph) -> set[LineageTriple]:
    return owlrl_lineage(ontology=ontology, data=demo_graph)
