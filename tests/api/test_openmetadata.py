"""OpenMetadata's shapes in and out over HTTP, on both backends (issue 16, point 3).

In: OpenMetadata entity documents, create requests (names and ids instead of references) and addLineage
edges through ``POST /entities``. Out: ``GET /api/v1/{collection}/name/{fqn}`` and
``GET /api/v1/lineage/{entity}/name/{fqn}``. Round trips use OpenMetadata's published ML model sample
(``/work/shared/interop/openmetadata``, copied to ``tests/fixtures/openmetadata``) and table, pipeline and
dashboard documents written to OpenMetadata's schemas: what a document gave, it reads back (fields the
load reported as ignored aside).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.api.conftest import AUTH, TOKEN
from tests.remote_server import OxigraphServer

from mlkg.api import create_app
from mlkg.config import MEMORY_STORE, Settings

FIXTURES = Path(__file__).parent.parent / "fixtures" / "openmetadata"
MODEL = "mlflow_prod.customer_churn_predictor"
CUSTOMERS = "postgres_prod.ecommerce.public.customers"
FEATURES = "snowflake.prod.features.churn_features"
ROUTES = {
    "mlmodel-customer-churn.json": ("mlmodels", MODEL),
    "table-customers.json": ("tables", CUSTOMERS),
    "pipeline-churn-features.json": ("pipelines", "airflow.churn_features"),
    "dashboard-churn.json": ("dashboards", "tableau.churn_model_performance"),
}


def fixture(name: str) -> dict[str, Any]:
    return dict(json.loads((FIXTURES / name).read_text(encoding="utf-8")))


@pytest.fixture
def client(backend: str, request: pytest.FixtureRequest) -> Iterator[TestClient]:
    """An empty app with a write token, on the embedded store or on an emptied Oxigraph server."""
    if backend == "embedded":
        settings = Settings(store=MEMORY_STORE, write_token=TOKEN)
    else:
        server: OxigraphServer = request.getfixturevalue("oxigraph_server")
        server.clear()
        settings = server.settings(write_token=TOKEN)
    with TestClient(create_app(settings)) as opened:
        yield opened


def post(client: TestClient, document: Any) -> Any:
    return client.post("/entities", json=document, headers=AUTH)


def load_samples(client: TestClient) -> dict[str, list[str]]:
    """Load every sample; the JSON pointers each load reported as ignored, by file."""
    ignored: dict[str, list[str]] = {}
    for name in ROUTES:
        answer = post(client, fixture(name))
        assert answer.status_code == 201, answer.json()
        ignored[name] = [n["where"].partition("#")[2] for n in answer.json()["notices"]]
    return ignored


def without(document: Any, pointers: list[str]) -> Any:
    """``document`` without the values at ``pointers`` (RFC 6901, as the load reported them)."""
    document = copy.deepcopy(document)
    for pointer in sorted(pointers, key=lambda p: -len(p)):
        *path, last = [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]
        node = document
        for token in path:
            node = node[int(token)] if isinstance(node, list) else node[token]
        if isinstance(node, list):
            del node[int(last)]
        else:
            del node[last]
    return document


def given(sent: Any, read: Any, *, at: str = "") -> None:
    """Every field ``sent`` gives is in ``read`` with the same value (lists: each item in some item; RDF
    keeps no order). A string sent for a reference (a create request's name) is the reference's FQN."""
    if isinstance(sent, dict):
        assert isinstance(read, dict), f"{at}: {read!r} is not an object"
        for key, value in sent.items():
            if key == "type" and not at:
                continue  # OpenMetadata's entities carry no type; references do
            assert key in read, f"{at}/{key} was not read back: {sorted(read)}"
            given(value, read[key], at=f"{at}/{key}")
    elif isinstance(sent, list):
        assert isinstance(read, list), f"{at}: {read!r} is not a list"
        assert len(read) == len(sent), f"{at}: {len(sent)} sent, {len(read)} read"
        for index, item in enumerate(sent):
            errors = []
            for candidate in read:
                try:
                    given(item, candidate, at=f"{at}/{index}")
                    break
                except AssertionError as error:
                    errors.append(str(error))
            else:
                raise AssertionError(f"{at}/{index}: {item!r} not read back ({errors[:2]})")
    elif isinstance(sent, str) and isinstance(read, dict):
        assert sent in (read.get("fullyQualifiedName"), read.get("name")), f"{at}: {sent!r} vs {read!r}"
    else:
        assert sent == read, f"{at}: sent {sent!r}, read {read!r}"


# --- round trips ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(ROUTES))
def test_a_loaded_document_reads_back_with_the_fields_it_went_in_with(client: TestClient, name: str) -> None:
    ignored = load_samples(client)
    collection, fqn = ROUTES[name]
    answer = client.get(f"/api/v1/{collection}/name/{fqn}", params={"fields": "*"})
    assert answer.status_code == 200, answer.json()
    read = answer.json()
    given(without(fixture(name), ignored[name]), read)
    assert read["href"].endswith(fqn)


def test_the_ml_model_sample_keeps_all_but_what_mlkg_has_no_term_for(client: TestClient) -> None:
    ignored = load_samples(client)
    assert sorted(ignored["mlmodel-customer-churn.json"]) == ["/certification", "/lifeCycle", "/votes"]


def test_optional_fields_only_when_asked_as_openmetadata_does(client: TestClient) -> None:
    load_samples(client)
    base = client.get(f"/api/v1/mlmodels/name/{MODEL}").json()
    assert {"id", "name", "fullyQualifiedName", "algorithm", "mlFeatures", "service", "href"} <= set(base)
    assert not {"owners", "tags", "followers", "domains", "dataProducts", "dashboard"} & set(base)
    some = client.get(f"/api/v1/mlmodels/name/{MODEL}", params={"fields": "owners,tags"}).json()
    assert {"owners", "tags"} <= set(some) and "followers" not in some
    assert some["owners"][0] == {
        "id": "owner-uuid",
        "type": "team",
        "name": "data-science",
        "displayName": "Data Science Team",
        "fullyQualifiedName": "data-science",
        "href": "http://localhost:8000/id/team/data-science",
    }
    table = client.get(f"/api/v1/tables/name/{CUSTOMERS}").json()
    assert "columns" not in table
    columns = client.get(f"/api/v1/tables/name/{CUSTOMERS}", params={"fields": "columns"}).json()["columns"]
    assert [c["name"] for c in columns] == ["customer_id", "email", "last_purchase_date"]
    assert columns[1]["tags"] == [
        {"tagFQN": "PII.Sensitive", "source": "Classification", "labelType": "Manual", "state": "Confirmed"}
    ]


def test_unknown_entities_and_fields_answer_json_errors(client: TestClient) -> None:
    load_samples(client)
    missing = client.get("/api/v1/mlmodels/name/mlflow_prod.no_such_model")
    assert missing.status_code == 404
    assert missing.json()["message"] == "mlmodel instance for mlflow_prod.no_such_model not found"
    # a table's FQN under the ML model route is not an ML model
    assert client.get(f"/api/v1/mlmodels/name/{CUSTOMERS}").status_code == 404
    bad = client.get(f"/api/v1/mlmodels/name/{MODEL}", params={"fields": "owners,columns"})
    assert bad.status_code == 400
    assert bad.json()["where"] == "fields" and "columns" in bad.json()["message"]
    depth = client.get(f"/api/v1/lineage/mlmodel/name/{MODEL}", params={"upstreamDepth": -1})
    assert depth.status_code == 400 and depth.json()["where"] == "upstreamDepth"
    assert client.get("/api/v1/lineage/table/name/no.such.table").status_code == 404


# --- create requests --------------------------------------------------------------------------------------


def test_a_create_request_names_its_service_domains_and_products_and_refers_by_id(client: TestClient) -> None:
    load_samples(client)
    request = fixture("create-mlmodel-request.json")
    answer = post(client, request)
    assert answer.status_code == 201, answer.json()
    read = client.get("/api/v1/mlmodels/name/mlflow_prod.churn_challenger", params={"fields": "*"}).json()
    # the model's FQN is its service's name and its own, as OpenMetadata makes it
    assert read["fullyQualifiedName"] == "mlflow_prod.churn_challenger"
    assert read["service"]["id"] == "7a8b9c0d-1e2f-3a4b-5c6d-7e8f9a0b1c2d"  # the service the sample loaded
    assert read["domains"][0]["id"] == "domain-uuid"
    assert read["dashboard"]["id"] == "dashboard-uuid"
    assert read["owners"][0]["name"] == "data-science"  # given by id only
    source = read["mlFeatures"][0]["featureSources"][0]["dataSource"]
    assert source["fullyQualifiedName"] == f"{CUSTOMERS}.last_purchase_date"  # given by id only
    given(without(request, ["/owners", "/mlFeatures"]), read)


def test_a_create_request_names_the_service_of_its_own_kind(client: TestClient) -> None:
    request = {
        "type": "pipeline",
        "name": "orders_daily",
        "service": "airflow",
        "description": "Daily orders.",
    }
    assert post(client, request).status_code == 201
    read = client.get("/api/v1/pipelines/name/airflow.orders_daily").json()
    assert read["service"]["type"] == "pipelineService"
    assert read["service"]["fullyQualifiedName"] == "airflow"
    assert read["description"] == "Daily orders."


def test_owners_by_name_resolve_to_the_one_user_or_team_of_that_name(client: TestClient) -> None:
    load_samples(client)
    request = {**fixture("create-mlmodel-request.json"), "owners": ["data-science", "jane.smith"]}
    assert post(client, request).status_code == 201
    read = client.get(
        "/api/v1/mlmodels/name/mlflow_prod.churn_challenger", params={"fields": "owners"}
    ).json()
    assert sorted((o["type"], o["name"]) for o in read["owners"]) == [
        ("team", "data-science"),
        ("user", "jane.smith"),
    ]


@pytest.mark.parametrize(
    ("change", "where", "words"),
    [
        (
            {
                "mlFeatures": [
                    {
                        "name": "f",
                        "featureSources": [{"name": "s", "dataSource": {"id": "nope", "type": "column"}}],
                    }
                ]
            },
            "/mlFeatures/0/featureSources/0/dataSource/id",
            "no column with the id 'nope'",
        ),
        ({"owners": [{"id": "nobody-uuid", "type": "user"}]}, "/owners/0/id", "no user with the id"),
        ({"owners": ["nobody"]}, "/owners/0", "no user or team is named 'nobody'"),
        # an id the store knows, but of another type
        (
            {"dashboard": {"id": "owner-uuid", "type": "dashboard"}},
            "/dashboard/id",
            "no dashboard with the id",
        ),
    ],
)
def test_an_unknown_reference_is_rejected_with_its_pointer_and_writes_nothing(
    client: TestClient, change: dict[str, Any], where: str, words: str
) -> None:
    load_samples(client)
    before = client.get("/export", params={"format": "nq", "graphs": "asserted"}).text
    answer = post(client, {**fixture("create-mlmodel-request.json"), **change})
    assert answer.status_code == 422
    body = answer.json()
    assert body["where"].endswith(where) and words in body["message"], body
    assert client.get("/api/v1/mlmodels/name/mlflow_prod.churn_challenger").status_code == 404
    assert client.get("/export", params={"format": "nq", "graphs": "asserted"}).text == before


# --- lineage ----------------------------------------------------------------------------------------------


def test_an_add_lineage_edge_reads_back_in_openmetadatas_lineage(client: TestClient) -> None:
    load_samples(client)
    answer = post(client, fixture("add-lineage-customers-to-features.json"))
    assert answer.status_code == 201, answer.json()
    ignored = sorted(n["where"].partition("#")[2] for n in answer.json()["notices"])
    assert ignored == [
        "/edge/lineageDetails/columnsLineage/0/function",
        "/edge/lineageDetails/source",
        "/edge/lineageDetails/sqlQuery",
    ]
    lineage = client.get(
        f"/api/v1/lineage/table/name/{FEATURES}", params={"upstreamDepth": 1, "downstreamDepth": 0}
    ).json()
    customers = "5c1f1e0a-3b7d-4a52-9d61-2f0c4b8e7a10"
    assert lineage["entity"]["fullyQualifiedName"] == FEATURES
    assert lineage["downstreamEdges"] == []
    edge = next(e for e in lineage["upstreamEdges"] if e["fromEntity"] == customers)
    assert edge["toEntity"] == lineage["entity"]["id"]
    assert edge["description"] == "The nightly feature build."
    assert edge["lineageDetails"]["columnsLineage"] == [
        {"fromColumns": [f"{CUSTOMERS}.last_purchase_date"], "toColumn": f"{FEATURES}.recency"}
    ]
    assert edge["lineageDetails"]["pipeline"]["fullyQualifiedName"] == "airflow.churn_features"
    ids = {n["id"] for n in lineage["nodes"]}
    assert customers in ids
    # every edge's ends are the entity or one of the nodes, by id
    for e in lineage["upstreamEdges"]:
        assert {e["fromEntity"], e["toEntity"]} <= ids | {lineage["entity"]["id"]}


def test_the_models_lineage_reaches_its_dashboard_downstream_and_columns_upstream(client: TestClient) -> None:
    load_samples(client)
    lineage = client.get(
        f"/api/v1/lineage/mlmodel/name/{MODEL}", params={"upstreamDepth": 3, "downstreamDepth": 1}
    ).json()
    model = "1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d"
    assert lineage["entity"]["id"] == model
    assert {"fromEntity": model, "toEntity": "dashboard-uuid"} in lineage["downstreamEdges"]
    assert any(e["fromEntity"] == "col-uuid-1" for e in lineage["upstreamEdges"])
    column = next(n for n in lineage["nodes"] if n["id"] == "col-uuid-1")
    assert column == {
        "id": "col-uuid-1",
        "type": "column",
        "name": "last_purchase_date",
        "fullyQualifiedName": f"{CUSTOMERS}.last_purchase_date",
        "href": f"http://localhost:8000/id/column/{CUSTOMERS}.last_purchase_date",
    }


def test_openmetadata_type_names_on_the_demo_catalog(demo_client: TestClient) -> None:
    lineage = demo_client.get(
        "/api/v1/lineage/table/name/snowflake.prod.churn_scores", params={"upstreamDepth": 1}
    ).json()
    assert lineage["entity"]["type"] == "table"  # a prediction table is a table to OpenMetadata
    assert {n["type"] for n in lineage["nodes"]} <= {"deployment", "table", "mlmodel", "column", "dashboard"}
    model = demo_client.get("/api/v1/mlmodels/name/mlflow_prod.customer_churn_predictor").json()
    assert model["service"]["type"] == "mlmodelService"


def test_openmetadata_clients_put_add_lineage_where_openmetadata_takes_it(client: TestClient) -> None:
    load_samples(client)
    edge = fixture("add-lineage-customers-to-features.json")
    assert client.put("/api/v1/lineage", json=edge).status_code == 401  # a write needs the token
    answer = client.put("/api/v1/lineage", json=edge, headers=AUTH)
    assert answer.status_code == 200, answer.json()
    assert answer.json()["entities"][0].startswith("http://localhost:8000/id/lineage/table.")
    lineage = client.get(f"/api/v1/lineage/table/name/{FEATURES}").json()
    assert any(e.get("lineageDetails") for e in lineage["upstreamEdges"])
    bad = client.put(
        "/api/v1/lineage", json={"edge": {"fromEntity": {"id": "nope", "type": "table"}}}, headers=AUTH
    )
    assert bad.status_code == 422 and bad.json()["where"].endswith("/edge/fromEntity/id")
    not_edge = client.put("/api/v1/lineage", json={"name": "x"}, headers=AUTH)
    assert not_edge.status_code == 400 and not_edge.json()["where"] == "request body"
