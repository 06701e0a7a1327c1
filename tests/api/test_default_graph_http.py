"""Over HTTP, the default graph of a query is the union of the stored graphs: an empty store answers nothing,
the ontology graph answers when named, and the service description says so (issue 13, point 3)."""

from __future__ import annotations

import rdflib
from fastapi.testclient import TestClient

from mlkg.resources import ontology_text
from mlkg.vocab import ONTOLOGY_GRAPH, SD

COUNT = "SELECT (COUNT(*) AS ?c) WHERE { ?s ?p ?o }"
SHIPPED = len(rdflib.Graph().parse(data=ontology_text(), format="turtle"))


def count(client: TestClient, **params: str) -> int:
    response = client.get("/sparql", params={"query": COUNT, **params})
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["c"]["value"])


def test_an_empty_store_answers_nothing_and_names_the_ontology_on_request(client: TestClient) -> None:
    assert count(client) == 0
    assert count(client, **{"default-graph-uri": str(ONTOLOGY_GRAPH)}) == SHIPPED


def test_the_demo_catalog_default_graph_has_no_ontology_triple(demo_client: TestClient) -> None:
    owl = "http://www.w3.org/2002/07/owl#"
    for query in (f"ASK {{ ?class a <{owl}Class> }}", f"ASK {{ ?p a <{owl}TransitiveProperty> }}"):
        assert demo_client.get("/sparql", params={"query": query}).json()["boolean"] is False
    # A query naming the ontology graph is answered from it alone: its default graph is then empty.
    mixed = f"ASK {{ ?s ?p ?o . GRAPH <{ONTOLOGY_GRAPH}> {{ ?s ?p ?o }} }}"
    assert demo_client.get("/sparql", params={"query": mixed}).json()["boolean"] is False


def test_the_service_description_lists_the_ontology_graph_apart(client: TestClient) -> None:
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    endpoint = rdflib.URIRef("http://testserver/sparql")
    available = graph.value(endpoint, SD.availableGraphs)
    named = graph.value(available, SD.namedGraph)
    assert graph.value(named, SD.name) == ONTOLOGY_GRAPH
    (dataset,) = graph.objects(endpoint, SD.defaultDataset)
    note = graph.value(graph.value(dataset, SD.defaultGraph), rdflib.RDFS.comment)
    assert note is not None and str(ONTOLOGY_GRAPH) in note


def test_the_graph_store_reads_the_ontology_graph(client: TestClient) -> None:
    response = client.get("/store", params={"graph": str(ONTOLOGY_GRAPH)}, headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert len(rdflib.Graph().parse(data=response.text, format="turtle")) == SHIPPED
