"""Linked data and impact over HTTP: ``/id``, ``/export``, ``/queries``, ``/lineage``, ``/health``."""

from __future__ import annotations

import rdflib
from fastapi.testclient import TestClient
from rdflib.compare import isomorphic

from mlkg.vocab import INFERRED_GRAPH, MLKG

ID = "http://localhost:8000/id/"
CHURN = f"{ID}model/mlflow_prod.customer_churn_predictor"
CUSTOMERS = f"{ID}table/postgres_prod.ecommerce.public.customers"
CHURN_SCORES = f"{ID}table/snowflake.prod.churn_scores"
RECENCY_SOURCE = f"{ID}column/postgres_prod.ecommerce.public.customers.last_purchase_date"


def test_entity_iri_dereferences_to_turtle_by_default(demo_client: TestClient) -> None:
    response = demo_client.get("/id/model/mlflow_prod.customer_churn_predictor")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/turtle")
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    assert (rdflib.URIRef(CHURN), MLKG.name, rdflib.Literal("customer_churn_predictor")) in graph
    features = set(graph.objects(rdflib.URIRef(CHURN), MLKG.usesFeature))
    assert len(features) == 3, "the model's document, its features included, comes with it"


def test_entity_in_every_rdf_format(demo_client: TestClient) -> None:
    formats = {
        "application/ld+json": "json-ld",
        "application/n-triples": "nt",
        "application/rdf+xml": "xml",
    }
    turtle = rdflib.Graph().parse(
        data=demo_client.get("/id/model/mlflow_prod.customer_churn_predictor").text, format="turtle"
    )
    for media_type, parser in formats.items():
        response = demo_client.get(
            "/id/model/mlflow_prod.customer_churn_predictor", headers={"Accept": media_type}
        )
        assert response.status_code == 200
        assert response.headers["content-type"].split(";")[0] == media_type
        assert isomorphic(rdflib.Graph().parse(data=response.text, format=parser), turtle)
    forced = demo_client.get("/id/model/mlflow_prod.customer_churn_predictor?format=nt")
    assert forced.headers["content-type"].startswith("application/n-triples")


def test_a_column_described_in_its_table_document_dereferences(demo_client: TestClient) -> None:
    response = demo_client.get(
        "/id/column/postgres_prod.ecommerce.public.customers.last_purchase_date",
        headers={"Accept": "text/turtle"},
    )
    assert response.status_code == 200
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    assert (rdflib.URIRef(RECENCY_SOURCE), MLKG.dataType, rdflib.Literal("DATE")) in graph
    assert (rdflib.URIRef(RECENCY_SOURCE), MLKG.name, rdflib.Literal("last_purchase_date")) in graph


def test_browsers_get_a_page_with_links_and_lineage(demo_client: TestClient) -> None:
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = demo_client.get(
        "/id/table/postgres_prod.ecommerce.public.customers", headers={"Accept": accept}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert 'href="/id/column/postgres_prod.ecommerce.public.customers.last_purchase_date"' in page
    assert "Affects (downstream)" in page
    assert 'href="/id/model/mlflow_prod.customer_churn_predictor"' in page
    assert "/lineage?entity=" in page


def test_html_page_escapes_text(make_client) -> None:
    client = make_client()
    body = '<http://localhost:8000/id/team/x> <https://w3id.org/mlkg#name> "<script>alert(1)</script>" .'
    headers = {"Content-Type": "text/turtle", "Authorization": "Bearer s3cret-token"}
    assert (
        client.put("/store", params={"graph": f"{ID}team/x"}, content=body, headers=headers).status_code
        == 201
    )
    page = client.get("/id/team/x", headers={"Accept": "text/html"}).text
    assert "<script>" not in page
    assert "&lt;script&gt;" in page


def test_unknown_entity_is_404_and_unknown_type_406(demo_client: TestClient) -> None:
    missing = demo_client.get("/id/model/nope.nothing")
    assert missing.status_code == 404
    assert missing.json()["error"] == "notfound"
    refused = demo_client.get(
        "/id/model/mlflow_prod.customer_churn_predictor", headers={"Accept": "image/png"}
    )
    assert refused.status_code == 406


def test_export_streams_the_whole_store(demo_client: TestClient) -> None:
    response = demo_client.get("/export", params={"format": "trig"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/trig")
    dataset = rdflib.Dataset()
    dataset.parse(data=response.text, format="trig")
    names = {str(g.identifier) for g in dataset.graphs()}
    assert {CHURN, str(INFERRED_GRAPH)} <= names
    asserted = demo_client.get("/export", params={"format": "nq", "graphs": "asserted"})
    assert str(INFERRED_GRAPH) not in asserted.text
    negotiated = demo_client.get("/export", headers={"Accept": "application/n-quads"})
    assert negotiated.headers["content-type"].startswith("application/n-quads")
    jsonld = demo_client.get("/export", params={"format": "jsonld"})
    assert len(rdflib.Dataset().parse(data=jsonld.text, format="json-ld")) > 0
    assert demo_client.get("/export", params={"format": "xlsx"}).status_code == 400


def test_named_queries_are_listed_with_their_parameters(demo_client: TestClient) -> None:
    listing = demo_client.get("/queries").json()["queries"]
    by_name = {q["name"]: q for q in listing}
    assert {"downstream", "upstream", "raw-sources", "models-using-sensitive-data"} <= set(by_name)
    assert by_name["downstream"]["parameters"] == [
        {"name": "entity", "type": "iri", "required": True, "default": None}
    ]


def test_named_query_runs_with_typed_parameters(demo_client: TestClient) -> None:
    response = demo_client.get("/queries/raw-sources", params={"entity": CHURN_SCORES})
    assert response.status_code == 200
    rows = response.json()["results"]["bindings"]
    tables = sorted(r["source"]["value"] for r in rows if r["kind"]["value"] == "table")
    assert tables == [CUSTOMERS, f"{ID}table/postgres_prod.ecommerce.public.orders"]
    csv = demo_client.get("/queries/downstream", params={"entity": CUSTOMERS}, headers={"Accept": "text/csv"})
    assert CHURN_SCORES in csv.text


def test_named_query_parameter_errors_are_400_and_unknown_query_404(demo_client: TestClient) -> None:
    assert demo_client.get("/queries/raw-sources").status_code == 400
    # an entity parameter takes an IRI, FQN or name, as /lineage does: naming nothing is a 404
    missing = demo_client.get("/queries/raw-sources", params={"entity": "not an entity"})
    assert missing.status_code == 404 and "no entity named 'not an entity'" in missing.json()["message"]
    assert demo_client.get("/queries/raw-sources", params={"entity": CHURN, "bogus": "1"}).status_code == 400
    assert demo_client.get(f"/queries/raw-sources?entity={CHURN}&entity={CHURN}").status_code == 400
    assert demo_client.get("/queries/no-such-query").status_code == 404


def test_lineage_downstream_of_a_raw_table_reaches_predictions_and_dashboards(
    demo_client: TestClient,
) -> None:
    response = demo_client.get("/lineage", params={"entity": CUSTOMERS, "direction": "downstream"})
    assert response.status_code == 200
    body = response.json()
    nodes = {n["id"]: n for n in body["nodes"]}
    assert nodes[CUSTOMERS]["distance"] == 0
    assert nodes[CHURN]["kind"] == "model"
    assert nodes[CHURN_SCORES]["kind"] == "prediction_table"
    assert any(n["kind"] == "dashboard" for n in body["nodes"])
    for edge in body["edges"]:
        assert edge["source"] in nodes and edge["target"] in nodes
    # Every node is downstream of the table in the inferred graph.
    query = f"SELECT ?x WHERE {{ GRAPH <{INFERRED_GRAPH}> {{ <{CUSTOMERS}> <{MLKG.downstream}> ?x }} }}"
    downstream = {
        r["x"]["value"]
        for r in demo_client.get("/sparql", params={"query": query}).json()["results"]["bindings"]
    }
    assert set(nodes) - {CUSTOMERS} <= downstream


def test_lineage_depth_and_names(demo_client: TestClient) -> None:
    one = demo_client.get(
        "/lineage", params={"entity": "snowflake.prod.churn_scores", "direction": "upstream", "depth": 1}
    ).json()
    assert {n["distance"] for n in one["nodes"]} == {0, 1}
    assert [n["kind"] for n in one["nodes"] if n["distance"] == 1] == ["deployment"]
    assert demo_client.get("/lineage", params={"entity": CHURN, "depth": 0}).status_code == 400
    assert demo_client.get("/lineage", params={"entity": CHURN, "direction": "sideways"}).status_code == 400
    assert demo_client.get("/lineage", params={"entity": "nothing.named.so"}).status_code == 404
    assert demo_client.get("/lineage", params={"entity": "customers"}).status_code == 400  # two tables


def test_health(demo_client: TestClient) -> None:
    assert demo_client.get("/health").json()["status"] == "ok"


def test_openapi_lists_the_routes(demo_client: TestClient) -> None:
    paths = demo_client.get("/openapi.json").json()["paths"]
    assert {"/sparql", "/update", "/store", "/entities", "/export", "/queries", "/lineage", "/health"} <= set(
        paths
    )


def test_lineage_of_a_column_reaches_features_through_their_feature_sources(demo_client: TestClient) -> None:
    """Regression: feature sources are lineage only as steps of the derivedFrom chain, so the walk must
    follow the chain's conclusion; the nodes are then exactly the inferred downstream set."""
    response = demo_client.get("/lineage", params={"entity": RECENCY_SOURCE, "direction": "downstream"})
    nodes = {n["id"] for n in response.json()["nodes"]}
    query = f"SELECT ?x WHERE {{ GRAPH <{INFERRED_GRAPH}> {{ <{RECENCY_SOURCE}> <{MLKG.downstream}> ?x }} }}"
    rows = demo_client.get("/sparql", params={"query": query}).json()["results"]["bindings"]
    assert nodes - {RECENCY_SOURCE} == {r["x"]["value"] for r in rows}
    assert f"{ID}feature/mlflow_prod.customer_churn_predictor.recency" in nodes
