"""RDF inputs: how Turtle, N-Triples, RDF/XML, N-Quads and TriG split into entity documents."""

from __future__ import annotations

from typing import Any

from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

from mlkg.config import DEFAULT_BASE_IRI as BASE
from mlkg.ingest import EntityDocument, Ingestor, RejectionKind
from mlkg.store import Store
from mlkg.vocab import INFERRED_GRAPH, ONTOLOGY_GRAPH, PENDING_GRAPH

PREFIXES = f"@prefix mlkg: <https://w3id.org/mlkg#> . @prefix id: <{BASE}> .\n"
TABLE = URIRef(f"{BASE}table/db.s.orders")
PIPELINE = URIRef(f"{BASE}pipeline/etl")


def graph_of(document: EntityDocument) -> Graph:
    g = Graph()
    for triple in document.triples:
        g.add(triple)
    return g


def test_turtle_gives_one_document_per_iri_subject_with_blank_nodes_folded_in(
    ingestor: Ingestor, make_source: Any
) -> None:
    turtle = (
        PREFIXES
        + """
        <table/db.s.orders> a mlkg:Table ; mlkg:name "orders" .
        id:pipeline\\/etl a mlkg:Pipeline ; mlkg:name "etl" ; mlkg:writesTo <table/db.s.orders> ;
            mlkg:metric [ a mlkg:Metric ; mlkg:name "rows" ; mlkg:metricValue 42 ;
                          mlkg:measuredOn [ mlkg:name "x" ] ] .
    """
    )
    outcome = ingestor.parse(source=make_source(turtle, name="catalog.ttl"))
    assert not outcome.rejected
    documents = {d.entity: d for d in outcome.documents}
    assert set(documents) == {TABLE, PIPELINE}  # relative IRIs resolve against the base of entity IRIs
    expected = Graph().parse(
        format="turtle",
        data=PREFIXES
        + f"""<{PIPELINE}> a mlkg:Pipeline ; mlkg:name "etl" ; mlkg:writesTo <{TABLE}> ;
            mlkg:metric [ a mlkg:Metric ; mlkg:name "rows" ; mlkg:metricValue 42 ;
                          mlkg:measuredOn [ mlkg:name "x" ] ] .
        """,
    )
    assert isomorphic(graph_of(documents[PIPELINE]), expected)
    assert documents[PIPELINE].where == str(PIPELINE)


def test_trig_graphs_are_documents_and_mlkg_graphs_are_skipped(
    ingestor: Ingestor, make_source: Any, store: Store
) -> None:
    model = f"{BASE}model/churn"
    trig = (
        PREFIXES
        + f"""
        <{model}> {{
            <{model}> a mlkg:Model ; mlkg:name "churn" ; mlkg:algorithm "XGBoost" ;
                mlkg:trainedOn <{TABLE}> .
            <{TABLE}> a mlkg:Table ; mlkg:fullyQualifiedName "db.s.orders" .
        }}
        <{INFERRED_GRAPH}> {{ <{model}> mlkg:upstream <{TABLE}> . }}
        <{ONTOLOGY_GRAPH}> {{ mlkg:Model a <http://www.w3.org/2002/07/owl#Class> . }}
        <{PENDING_GRAPH}> {{ <urn:uuid:1> <http://www.w3.org/ns/prov#startedAtTime> "2026-12-05" . }}
        <{PIPELINE}> a mlkg:Pipeline ; mlkg:name "etl" .
    """
    )
    report = ingestor.ingest(store=store, sources=[make_source(trig, name="export.trig")])
    assert report.ok, report.rejected
    assert sorted(report.entities) == sorted([URIRef(model), PIPELINE])
    skipped = sorted(n.where for n in report.notices)
    assert skipped == sorted([str(INFERRED_GRAPH), str(ONTOLOGY_GRAPH), str(PENDING_GRAPH)])
    assert sorted(store.graph_names()) == sorted([URIRef(model), PIPELINE])
    # The ontology graph is mlkg's own (served, not stored): the one in the file did not replace it.
    assert len(list(store.quads(graph=ONTOLOGY_GRAPH))) > 1
    # The table appears in the model's graph as a reference only: it is not asked for a name.
    assert len(list(store.quads(graph=URIRef(model)))) == 6


def test_nquads_ntriples_and_rdfxml_load(ingestor: Ingestor, make_source: Any) -> None:
    nt = f'<{TABLE}> <https://w3id.org/mlkg#name> "orders" .\n<{TABLE}> a <https://w3id.org/mlkg#Table> .\n'
    nt = nt.replace(" a ", " <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> ")
    nq = nt.replace(" .\n", f" <{TABLE}> .\n")
    rdfxml = f"""<?xml version="1.0"?>
    <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:mlkg="https://w3id.org/mlkg#">
      <mlkg:Table rdf:about="{TABLE}"><mlkg:name>orders</mlkg:name></mlkg:Table>
    </rdf:RDF>"""
    graphs = []
    for data, name in ((nt, "a.nt"), (nq, "a.nq"), (rdfxml, "a.rdf")):
        outcome = ingestor.parse(source=make_source(data, name=name))
        assert not outcome.rejected, (name, outcome.rejected)
        [document] = outcome.documents
        assert document.entity == TABLE
        graphs.append(graph_of(document))
    assert isomorphic(graphs[0], graphs[1]) and isomorphic(graphs[0], graphs[2])


def test_syntax_errors_give_the_line(ingestor: Ingestor, make_source: Any) -> None:
    turtle = PREFIXES + '<table/a> mlkg:name "a" .\n<table/b> mlkg:name "b" ;\n  mlkg:name .\n'
    [rejected] = ingestor.parse(source=make_source(turtle, name="bad.ttl")).rejected
    assert rejected.kind is RejectionKind.PARSE and rejected.where == "bad.ttl"
    assert rejected.message.startswith("malformed Turtle:") and "line 4" in rejected.message
    [rejected] = ingestor.parse(source=make_source("<rdf:RDF>\n<a>\n</rdf:RDF>", name="bad.rdf")).rejected
    assert "malformed RDF/XML" in rejected.message and "line 1" in rejected.message
    nt = '<http://e/a> <http://e/b> "x" .\n<http://e/a> <http://e/b> c .\n'
    [rejected] = ingestor.parse(source=make_source(nt, name="bad.nt")).rejected
    assert rejected.message.startswith("malformed N-Triples:") and rejected.message.endswith("at line 2")


def test_unreachable_blank_nodes_and_asserted_upstream_are_rejected(
    ingestor: Ingestor, make_source: Any
) -> None:
    turtle = (
        PREFIXES
        + f"""
        [] a mlkg:Table ; mlkg:name "anonymous" .
        <{TABLE}> a mlkg:Table ; mlkg:name "orders" ; mlkg:upstream <{PIPELINE}> .
        <{PIPELINE}> a mlkg:Pipeline ; mlkg:name "etl" .
        mlkg:Table mlkg:name "not mine" .
    """
    )
    outcome = ingestor.parse(source=make_source(turtle, name="mixed.ttl"))
    assert [d.entity for d in outcome.documents] == [PIPELINE]
    messages = sorted(r.message for r in outcome.rejected)
    assert "blank node subject(s) are not referenced by any IRI subject" in messages[0]
    assert messages[1].startswith("mlkg:upstream is inferred by mlkg")
    assert any("owned by mlkg's ontology" in n.message for n in outcome.notices)
