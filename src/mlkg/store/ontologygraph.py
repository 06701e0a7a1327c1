"""The ontology graph, served by mlkg from the shipped ontology instead of being stored in the data.

A query's default graph is the union of the graphs a store holds (architecture, "Named graphs"). The ontology
(:data:`mlkg.vocab.ONTOLOGY_GRAPH`, ``ontology/mlkg.ttl``, 428 triples) is not one of them, so an empty store
answers nothing, as Oxigraph and Fuseki do. Keeping it stored and leaving it out of the default graph would
mean listing every other graph as the default graph of every query: pyoxigraph then reads each listed graph
apart for every triple pattern it evaluates (``default_graph=[...]``; 18 ms became 24.8 s for a two-pattern
SELECT at 100k triples, bench/README.md), and a remote engine would get one ``default-graph-uri`` per entity.

It stays queryable as the named graph it always was, from an in-memory copy of the shipped file: a query
whose dataset names only the ontology graph (``FROM <.../ontology>``, ``FROM NAMED``, the protocol's
``default-graph-uri`` / ``named-graph-uri``), or that writes its full IRI in a ``GRAPH`` pattern and has no
``FROM``, is answered from the ontology graph alone. It cannot be joined with the catalog in one query; the
class memberships the catalog's queries need are in the inferred graph (cax-sco, :mod:`mlkg.reasoning`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Final

import pyoxigraph as ox
from rdflib import URIRef

from mlkg.resources import ontology_text
from mlkg.store.base import Object, Quad, Subject
from mlkg.store.oxquery import QueryRunner
from mlkg.store.oxterms import to_ox, to_rdflib
from mlkg.store.sparqltext import dataset_clause
from mlkg.vocab import ONTOLOGY_GRAPH

__all__ = ["OntologyGraph", "reads_ontology"]

_IRI: Final = str(ONTOLOGY_GRAPH)
#: ``GRAPH <.../ontology>`` (SPARQL 1.1 Query, section 13.3), the full IRI written out.
_GRAPH_PATTERN: Final = re.compile(r"\bGRAPH\s*<" + re.escape(_IRI) + ">", re.IGNORECASE)


def reads_ontology(
    *, query: str, default_graphs: Sequence[URIRef] | None, named_graphs: Sequence[URIRef] | None
) -> bool:
    """True if the query is to be answered from the ontology graph: its dataset (protocol parameters, else
    ``FROM`` / ``FROM NAMED``) names the ontology graph and no other graph, or it has no dataset and a
    ``GRAPH <.../ontology>`` pattern with the full IRI (the IRI elsewhere, as in ``FILTER(?g != <...>)``,
    does not count). Costs a substring test for every other query."""
    given = [*(default_graphs or ()), *(named_graphs or ())]
    if default_graphs is None and named_graphs is None:
        if _IRI not in query:
            return False
        clause = dataset_clause(query)
        if clause is None:
            return _GRAPH_PATTERN.search(query) is not None
        given = [*clause[0], *clause[1]]
    return bool(given) and all(g == ONTOLOGY_GRAPH for g in given)


class OntologyGraph:
    """The shipped ontology, in the named graph :data:`mlkg.vocab.ONTOLOGY_GRAPH` of a small in-memory store
    whose default graph is empty (queries on it never take the union)."""

    def __init__(self) -> None:
        self.store = ox.Store()
        self.store.load(ontology_text(), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(_IRI))
        self.queries = QueryRunner(union_default_graph=False)

    def quads(
        self, *, subject: Subject | None, predicate: URIRef | None, object: Object | None
    ) -> Iterator[Quad]:
        """The ontology's triples matching the pattern (None = any), as quads of the ontology graph."""
        found = self.store.quads_for_pattern(
            None if subject is None else to_ox(subject),  # type: ignore[arg-type]
            None if predicate is None else ox.NamedNode(predicate),
            None if object is None else to_ox(object),
            ox.NamedNode(_IRI),
        )
        for quad in list(found):
            s, p, o = to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)
            yield s, p, o, ONTOLOGY_GRAPH  # type: ignore[misc]
