"""The named queries that pick direct lineage edges list the lineage properties in their text (the ontology
graph is not part of a query's default graph, so they cannot read ``rdfs:subPropertyOf`` there): the lists
must be exactly what the ontology declares."""

from __future__ import annotations

import re

import pytest
from rdflib import OWL, RDFS, URIRef
from rdflib.paths import OneOrMore

from mlkg.queries import QueryCatalog
from mlkg.reasoning import load_ontology
from mlkg.vocab import MLKG

CATALOG = QueryCatalog.load()
ONTOLOGY = load_ontology()
SUBS = {p for p in ONTOLOGY.subjects(RDFS.subPropertyOf * OneOrMore, MLKG.upstream) if isinstance(p, URIRef)}
INVERSES = {
    q for p in SUBS for q in [*ONTOLOGY.objects(p, OWL.inverseOf), *ONTOLOGY.subjects(OWL.inverseOf, p)]
}
CHAINS = set(ONTOLOGY.subjects(OWL.propertyChainAxiom, None))


def values_lists(text: str) -> list[set[URIRef]]:
    """The IRIs of each ``VALUES ?property { ... }`` block, in order."""
    blocks = re.findall(r"VALUES \?property \{([^}]*)\}", text)
    return [{MLKG[name] for name in re.findall(r"mlkg:(\w+)", block)} for block in blocks]


@pytest.mark.parametrize("name", ["dashboards-affected", "lineage-path-edges"])
def test_direct_lineage_properties_are_the_ontology_sub_properties_of_upstream(name: str) -> None:
    lists = values_lists(CATALOG.get(name=name).text)
    assert lists[0] == SUBS


def test_lineage_path_edges_lists_the_inverses_and_the_chained_properties() -> None:
    text = CATALOG.get(name="lineage-path-edges").text
    assert values_lists(text)[1] == INVERSES
    chained = re.search(r"\?property IN \(([^)]*)\)", text)
    assert chained is not None
    assert {MLKG[n] for n in re.findall(r"mlkg:(\w+)", chained.group(1))} == CHAINS
