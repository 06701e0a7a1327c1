"""The ontology mlkg reasons with, read from the package (without importing the owlrl reference reasoner)."""

from __future__ import annotations

import rdflib

from mlkg.resources import ontology_text

__all__ = ["load_ontology"]


def load_ontology() -> rdflib.Graph:
    """The graph of ``ontology/mlkg.ttl``, the ontology mlkg reasons with.

    ``ontology/alignment.ttl`` is deliberately left out: it relates mlkg terms to PROV-O, DCAT, ML-Schema and
    OpenMetadata for publication and is not reasoned over.

    :raises NotFoundError: if the ontology file is missing from the installed package.
    """
    graph = rdflib.Graph()
    graph.parse(data=ontology_text(), format="turtle")
    return graph
