"""``POST /entities``: JSON-LD and plain JSON upload through the ingest path, with the report."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from tests.api.conftest import AUTH, ClientFactory

from mlkg.vocab import CONTEXT_IRI, INFERRED_GRAPH, MLKG

JSON = {"Content-Type": "application/json", **AUTH}
MODEL = {
    "type": "mlmodel",
    "name": "tiny",
    "fullyQualifiedName": "mlflow_prod.tiny",
    "algorithm": "XGBoost",
    "mlFeatures": [
        {
            "name": "age",
            "dataType": "numerical",
            "featureSources": [
                {
                    "name": "age",
                    "dataSource": {"type": "column", "fullyQualifiedName": "pg.db.public.people.age"},
                }
            ],
        }
    ],
    "service": {"type": "mlmodelService", "name": "mlflow_prod"},
}
MODEL_IRI = "http://localhost:8000/id/model/mlflow_prod.tiny"
COLUMN_IRI = "http://localhost:8000/id/column/pg.db.public.people.age"


def _has(client: TestClient, iri: str) -> bool:
    response = client.get("/sparql", params={"query": f"ASK {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}"})
    return bool(response.json()["boolean"])


def test_plain_json_upload_is_201_with_the_entity_iris(client: TestClient) -> None:
    response = client.post("/entities", content=json.dumps(MODEL), headers=JSON)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["entities"] == [MODEL_IRI]
    assert response.headers["location"] == MODEL_IRI
    assert body["ok"] is True
    assert _has(client, MODEL_IRI)
    lineage = f"ASK {{ GRAPH <{INFERRED_GRAPH}> {{ <{MODEL_IRI}> <{MLKG.upstream}> <{COLUMN_IRI}> }} }}"
    assert client.get("/sparql", params={"query": lineage}).json()["boolean"] is True


def test_json_ld_array_and_graph_upload(client: TestClient) -> None:
    documents = [
        {"@context": CONTEXT_IRI, "type": "team", "name": "ml-platform"},
        {
            "@context": CONTEXT_IRI,
            "type": "user",
            "name": "ada",
            "teams": [{"type": "team", "name": "ml-platform"}],
        },
    ]
    response = client.post(
        "/entities", content=json.dumps(documents), headers={"Content-Type": "application/ld+json", **AUTH}
    )
    assert response.status_code == 201, response.text
    assert len(response.json()["entities"]) == 2
    graph = {"@context": CONTEXT_IRI, "@graph": [MODEL]}
    response = client.post(
        "/entities", content=json.dumps(graph), headers={"Content-Type": "application/ld+json", **AUTH}
    )
    assert response.status_code == 201, response.text
    assert response.json()["entities"] == [MODEL_IRI]


def test_shacl_violation_is_422_with_the_report_and_writes_nothing(client: TestClient) -> None:
    bad = {key: value for key, value in MODEL.items() if key != "algorithm"}
    response = client.post("/entities", content=json.dumps(bad), headers=JSON)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation"
    assert body["results"], "the SHACL results are in the body"
    assert body["report"]["rejected"][0]["entity"] == MODEL_IRI
    assert not _has(client, MODEL_IRI)


def test_mixed_batch_writes_the_good_documents_and_reports_the_bad(client: TestClient) -> None:
    bad = {**MODEL, "name": "broken", "fullyQualifiedName": "mlflow_prod.broken"}
    del bad["algorithm"]
    response = client.post("/entities", content=json.dumps([MODEL, bad]), headers=JSON)
    assert response.status_code == 422
    report = response.json()["report"]
    assert [a["entity"] for a in report["accepted"]] == [MODEL_IRI]
    assert _has(client, MODEL_IRI)
    assert not _has(client, "http://localhost:8000/id/model/mlflow_prod.broken")


def test_malformed_json_is_400_with_line_and_column(client: TestClient) -> None:
    response = client.post("/entities", content='{"type": "mlmodel",\n "name": }', headers=JSON)
    assert response.status_code == 400
    assert "line 2" in response.json()["message"]


def test_unknown_remote_context_is_refused_not_fetched(client: TestClient) -> None:
    document = {"@context": "https://example.org/context.jsonld", "name": "x"}
    response = client.post(
        "/entities", content=json.dumps(document), headers={"Content-Type": "application/ld+json", **AUTH}
    )
    assert response.status_code == 400
    assert "example.org" in response.json()["message"]


def test_wrong_type_missing_token_and_size_limit(make_client: ClientFactory) -> None:
    client = make_client(max_document_bytes=200)
    wrong = client.post("/entities", content="name: x", headers={"Content-Type": "text/yaml", **AUTH})
    assert wrong.status_code == 415
    missing = client.post(
        "/entities", content=json.dumps(MODEL), headers={"Content-Type": "application/json"}
    )
    assert missing.status_code == 401
    large = client.post("/entities", content=json.dumps(MODEL), headers=JSON)
    assert large.status_code == 413
    assert not _has(client, MODEL_IRI)


def test_empty_body_is_400(client: TestClient) -> None:
    response = client.post("/entities", content=b"", headers=JSON)
    assert response.status_code == 400
