"""DataHub's ingestion routes: the requests DataHub's own ``DatahubRestEmitter`` made against ``mlkg serve``
(captured once in tests/fixtures/datahub/rest-requests.json by generate.py there) replayed, and bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from tests.api.conftest import AUTH, ClientFactory

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "datahub"
ID = "http://localhost:8000/id/"
MODEL = "urn:li:mlModel:(urn:li:dataPlatform:mlflow,churn_v3,PROD)"


def captured() -> list[dict[str, Any]]:
    requests: list[dict[str, Any]] = json.loads((FIXTURES / "rest-requests.json").read_text(encoding="utf-8"))
    return requests


def replay(client: TestClient, request: dict[str, Any]) -> Any:
    if request["method"] == "GET":
        return client.get(request["path"], headers=AUTH)
    return client.post(
        request["path"],
        content=json.dumps(request["body"]),
        headers={**AUTH, "Content-Type": "application/json", "X-RestLi-Protocol-Version": "2.0.0"},
    )


def ask(client: TestClient, query: str) -> bool:
    answer = client.get(
        "/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"}
    )
    result: bool = answer.json()["boolean"]
    return result


def test_what_datahubs_rest_emitter_sends_is_stored(make_client: ClientFactory) -> None:
    client = make_client(datahub_platforms={"snowflake": "snowflake_prod"})
    requests = captured()
    paths = [r["path"].split("?")[0] for r in requests]
    assert paths == ["/config", *["/aspects"] * 14, "/entities", "/aspects", "/aspects"]
    config = replay(client, requests[0])
    assert config.status_code == 200 and config.json()["noCode"] == "true"
    for request in requests[1:]:
        answer = replay(client, request)
        assert answer.status_code == 201, answer.json()
        assert answer.json()["proposals"][0]["status"] == "accepted"
    last = replay(client, requests[15]).json()
    assert last["value"] == "urn:li:mlModelDeployment:(urn:li:dataPlatform:sagemaker,churn-endpoint,PROD)"
    assert ask(
        client,
        f"ASK {{ <{ID}column/snowflake_prod.shop.public.customer_spend.spend_30d> "
        f"<https://w3id.org/mlkg#derivedFromColumn> <{ID}column/snowflake_prod.shop.public.orders.amount> }}",
    )
    lineage = client.get(
        "/lineage",
        params={"entity": f"{ID}table/snowflake_prod.shop.public.orders", "direction": "downstream"},
    ).json()
    nodes = {node["id"] for node in lineage["nodes"]}
    assert {f"{ID}model/mlflow.churn_v3", f"{ID}deployment/sagemaker.churn-endpoint"} <= nodes


def test_a_batch_is_taken_and_a_bad_proposal_in_it_is_refused_with_its_pointer(client: TestClient) -> None:
    proposals = [r["body"]["proposal"] for r in captured()[1:15]]
    bad = json.loads(json.dumps(proposals[12]))  # the model's properties, with a group that is no URN
    bad["aspect"]["value"] = json.dumps({**json.loads(bad["aspect"]["value"]), "groups": ["churn"]})
    answer = client.post(
        "/aspects?action=ingestProposalBatch", json={"mcps": [*proposals[:12], bad]}, headers=AUTH
    )
    assert answer.status_code == 400
    body = answer.json()
    assert body["error"] == "parse"
    assert body["where"] == "request body#/mcps/12/aspect/value/groups/0"
    statuses = [p["status"] for p in body["report"]["proposals"]]
    assert statuses == ["accepted"] * 12 + ["rejected"]
    assert not ask(client, f"ASK {{ GRAPH ?g {{ <{ID}model/mlflow.churn_v3> ?p ?o }} }}")
    assert ask(client, f"ASK {{ GRAPH ?g {{ <{ID}feature/customer_features.spend_30d> ?p ?o }} }}")


def test_a_proposal_the_shapes_refuse_is_422_and_nothing_is_written(client: TestClient) -> None:
    properties = {"description": "no algorithm"}
    proposal = {
        "entityType": "mlModel",
        "entityUrn": MODEL,
        "changeType": "UPSERT",
        "aspectName": "mlModelProperties",
        "aspect": {"value": json.dumps(properties), "contentType": "application/json"},
    }
    answer = client.post("/aspects?action=ingestProposal", json={"proposal": proposal}, headers=AUTH)
    assert answer.status_code == 422
    assert set(answer.json()) >= {"error", "message", "where"}
    assert not ask(client, "ASK { GRAPH ?g { ?s ?p ?o } }")


def test_bad_requests_are_refused_with_where(client: TestClient) -> None:
    answer = client.post("/aspects?action=delete", json={}, headers=AUTH)
    assert answer.status_code == 400 and answer.json()["where"] == "action"
    answer = client.post("/aspects?action=ingestProposal", json={"mcps": []}, headers=AUTH)
    assert answer.status_code == 400 and answer.json()["where"] == "request body"
    answer = client.post("/aspects?action=ingestProposal", content=b"{", headers=AUTH)
    assert answer.status_code == 400 and answer.json()["error"] == "parse"
    # a write needs the token, as every write does
    answer = client.post("/aspects?action=ingestProposal", json={"proposal": {}})
    assert answer.status_code == 401


def test_json_nested_too_deep_is_refused(client: TestClient) -> None:
    deep: Any = "x"
    for _ in range(100):
        deep = {"a": deep}
    answer = client.post("/aspects?action=ingestProposal", json={"proposal": deep}, headers=AUTH)
    assert answer.status_code == 400 and answer.json()["where"].startswith("request body#/proposal/a")
    proposal = {
        "entityUrn": MODEL,
        "changeType": "UPSERT",
        "aspectName": "mlModelProperties",
        "aspect": {"value": "[" * 5000 + "]" * 5000, "contentType": "application/json"},
    }
    answer = client.post("/aspects?action=ingestProposal", json={"proposal": proposal}, headers=AUTH)
    assert answer.status_code == 400 and answer.json()["where"] == "request body#/proposal/aspect/value"
