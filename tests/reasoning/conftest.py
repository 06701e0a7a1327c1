"""Fixtures of the reasoning tests: the ontology, the demo catalog as RDF through the real ingest path, and
the helper that replays a generated sequence of entity writes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
import rdflib

from mlkg.config import DEFAULT_BASE_IRI
from mlkg.ids import IriMinter
from mlkg.ingest import Ingestor, InputFormat, Source
from mlkg.reasoning import LineageTriple, load_ontology, owlrl_lineage
from mlkg.reasoning.store import ReasonedStore
from mlkg.store.base import Triple

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


def apply_writes(
    store: ReasonedStore, operations: Sequence[tuple[rdflib.URIRef, list[Triple] | None]]
) -> None:
    """Replay entity writes through ``store``: ``(graph, triples)`` replaces the graph, ``(graph, None)``
    deletes it."""
    for graph, triples in operations:
        if triples is None:
            store.delete_graphs(graphs=[graph])
        else:
            store.replace_graphs(graphs={graph: triples})
