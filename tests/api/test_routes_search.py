"""``GET /search`` (src/mlkg/api/routers/search.py): the JSON shape programs rely on, 400 with a JSON body for
bad parameters, any text a plain search, and the index following every HTTP write on both backends."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from tests.api.conftest import AUTH, TOKEN

from mlkg.api import create_app
from mlkg.config import Settings

CHURN = "http://localhost:8000/id/model/mlflow_prod.customer_churn_predictor"
T = "http://localhost:8000/id/table/"
JSON = {"Content-Type": "application/json", **AUTH}


def _names(client: TestClient, q: str, **params: str) -> list[str]:
    response = client.get("/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return [hit["name"] for hit in response.json()["results"]]


def test_the_answer_has_the_documented_shape(demo_client: TestClient) -> None:
    response = demo_client.get("/search", params={"q": "chur", "type": "mlmodel"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    answer = response.json()
    assert set(answer) == {"query", "total", "limit", "offset", "results", "facets"}
    assert (answer["query"], answer["total"], answer["limit"], answer["offset"]) == ("chur", 1, 20, 0)
    hit = answer["results"][0]
    assert hit["iri"] == CHURN and hit["type"] == "model"
    assert hit["fullyQualifiedName"] == "mlflow_prod.customer_churn_predictor"
    assert hit["displayName"] == "Customer Churn Predictor"
    assert hit["tags"] == ["Tier.Tier1"] and hit["owners"] == ["data-science"]
    assert isinstance(hit["score"], float) and isinstance(hit["highlights"], dict)
    assert answer["facets"]["type"]["dashboard"] == 2  # the kinds of the whole match, not only models
    assert set(answer["facets"]) == {"type", "tag", "owner"}
    paged = demo_client.get("/search", params={"q": "churn", "limit": 2, "offset": 2}).json()
    assert len(paged["results"]) == 2 and paged["total"] > 4


@pytest.mark.parametrize(
    ("params", "where"),
    [
        ({"q": "x", "limit": "0"}, "limit"),
        ({"q": "x", "limit": "100000"}, "limit"),
        ({"q": "x", "offset": "-1"}, "offset"),
        ({"q": "x", "offset": str(10**40)}, "offset"),
        ({"q": "x", "limit": "ten"}, "limit"),
        ({"q": "x", "type": "nope"}, None),
        ({"q": "x" * 501}, None),
    ],
)
def test_bad_parameters_are_400_with_a_json_body(
    demo_client: TestClient, params: dict[str, str], where: str | None
) -> None:
    response = demo_client.get("/search", params=params)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "input" and body["message"]
    if where is not None:
        assert body["where"] == where


def test_any_text_is_a_plain_search(demo_client: TestClient) -> None:
    for text in ['"', 'NEAR(churn "', "churn OR", "*", "name:churn", "{}[]", "\\", "%00", "churn)"]:
        response = demo_client.get("/search", params={"q": text})
        assert response.status_code == 200, (text, response.text)
    assert "customer_churn_predictor" in _names(demo_client, "churn)")


@pytest.fixture
def served(open_settings: Callable[[], Settings], tmp_path: Path) -> Iterator[TestClient]:
    """An app on each backend, its index in a file of this test."""
    settings = open_settings().model_copy(
        update={"write_token": SecretStr(TOKEN), "search_index": str(tmp_path / "search.sqlite3")}
    )
    with TestClient(create_app(settings)) as client:
        yield client


def test_the_index_follows_every_http_write(served: TestClient) -> None:
    orders = {
        "type": "table",
        "name": "orders",
        "fullyQualifiedName": "pg.shop.orders",
        "description": "Orders of the shop.",
    }
    assert served.post("/entities", content=json.dumps(orders), headers=JSON).status_code == 201
    assert _names(served, "shop") == ["orders"]
    patch = [{"op": "replace", "path": "/description", "value": "Refunds of the shop."}]
    patched = served.patch(
        "/id/table/pg.shop.orders",
        content=json.dumps(patch),
        headers={**AUTH, "Content-Type": "application/json-patch+json"},
    )
    assert patched.status_code == 200, patched.text
    assert _names(served, "refunds") == ["orders"]
    turtle = (
        f"<{T}pg.shop.returns> a <https://w3id.org/mlkg#Table> ;"
        " <https://w3id.org/mlkg#name> 'returns' ; <https://w3id.org/mlkg#description> 'Goods sent back.' ."
    )
    put = served.put(
        "/store",
        params={"graph": f"{T}pg.shop.returns"},
        content=turtle,
        headers={**AUTH, "Content-Type": "text/turtle"},
    )
    assert put.status_code in (201, 204), put.text
    assert _names(served, "goods") == ["returns"]
    returns, display = f"<{T}pg.shop.returns>", "<https://w3id.org/mlkg#displayName>"
    update = f"INSERT DATA {{ GRAPH {returns} {{ {returns} {display} 'Returned goods' }} }}"
    assert (
        served.post(
            "/update", content=update, headers={**AUTH, "Content-Type": "application/sparql-update"}
        ).status_code
        == 204
    )
    assert _names(served, "returned goods") == ["returns"]
    assert served.delete("/id/table/pg.shop.orders", headers=AUTH).status_code == 200
    assert _names(served, "shop") == []
    assert (
        served.post(
            "/update", content="DROP ALL", headers={**AUTH, "Content-Type": "application/sparql-update"}
        ).status_code
        == 204
    )
    assert served.get("/search").json()["total"] == 0
