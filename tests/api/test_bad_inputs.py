"""The bad-input corpus of issue 11 (point 7 and 8): each input gets its clean refusal, a JSON 4xx over HTTP
and exit 2 with one line in the CLI, never a traceback, and the store is exactly as it was."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.api.conftest import AUTH, TOKEN

from mlkg.api import create_app
from mlkg.config import MEMORY_STORE, Settings

MODEL = {"type": "mlmodel", "name": "m", "fullyQualifiedName": "svc.m", "algorithm": "XGBoost"}


def _nested_model(depth: int) -> bytes:
    document: dict[str, object] = dict(MODEL)
    node = document
    for _ in range(depth):
        child: dict[str, object] = {}
        node["description"] = child
        node = child
    return json.dumps(document).encode()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">
 <rdf:Description rdf:about="http://example.org/s"><ex:p>&f;</ex:p></rdf:Description>
</rdf:RDF>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [ <!ENTITY secret SYSTEM "file:///etc/hostname"> ]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">
 <rdf:Description rdf:about="http://example.org/s"><ex:p>&secret;</ex:p></rdf:Description>
</rdf:RDF>
"""


def _tables(count: int) -> list[dict[str, str]]:
    return [{"type": "table", "name": f"t{i}", "fullyQualifiedName": f"pg.db.s.t{i}"} for i in range(count)]


def _turtle_tables(count: int) -> bytes:
    lines = ["@prefix mlkg: <https://w3id.org/mlkg#> ."]
    lines += [f'<urn:t{i}> a mlkg:Table ; mlkg:name "t{i}" .' for i in range(count)]
    return "\n".join(lines).encode()


JSON = {"Content-Type": "application/json", **AUTH}
TURTLE = {"Content-Type": "text/turtle", **AUTH}
RDFXML = {"Content-Type": "application/rdf+xml", **AUTH}

# (name, route, body, headers, status, the words the message must hold)
CORPUS = [
    ("json nested 1,000 deep", "/entities", b"[" * 1000 + b"]" * 1000, JSON, 400, "nested"),
    ("json nested 100,000 deep", "/entities", b"[" * 100_000 + b"]" * 100_000, JSON, 400, "nested"),
    ("model nested 500 deep", "/entities", _nested_model(500), JSON, 400, "nested"),
    ("billion laughs (entities)", "/store?graph=urn:x", BILLION_LAUGHS, RDFXML, 400, "DOCTYPE"),
    ("external entity (store)", "/store?graph=urn:x", EXTERNAL_ENTITY, RDFXML, 400, "DOCTYPE"),
    ("100k-item @graph", "/entities", json.dumps({"@graph": _tables(100_000)}).encode(), JSON, 413, "/10000"),
    ("100k-item array", "/entities", json.dumps(_tables(100_000)).encode(), JSON, 413, "MLKG_MAX_REQUEST"),
    ("20k-subject Turtle", "/entities", _turtle_tables(20_000), TURTLE, 413, "MLKG_MAX_REQUEST"),
]


def _dump(client: TestClient) -> str:
    response = client.get("/export", params={"format": "nq"})
    assert response.status_code == 200
    return "\n".join(sorted(response.text.splitlines()))


@pytest.mark.reliability
@pytest.mark.parametrize(
    ("name", "route", "body", "headers", "status", "words"), CORPUS, ids=[c[0] for c in CORPUS]
)
def test_bad_input_over_http_is_a_clean_4xx_and_changes_nothing(
    demo_writable: TestClient,
    name: str,
    route: str,
    body: bytes,
    headers: dict[str, str],
    status: int,
    words: str,
) -> None:
    before = _dump(demo_writable)
    method = demo_writable.put if route.startswith("/store") else demo_writable.post
    response = method(route, content=body, headers=headers)
    assert response.status_code == status, response.text[:300]
    document = response.json()
    text = json.dumps(document)
    assert words in text, text[:300]
    assert "Traceback" not in text
    assert _dump(demo_writable) == before


def test_a_deep_document_in_an_array_rejects_that_document_only(demo_writable: TestClient) -> None:
    good = {"type": "table", "name": "t", "fullyQualifiedName": "pg.db.s.t"}
    body = b"[" + json.dumps(good).encode() + b"," + _nested_model(200) + b"]"
    response = demo_writable.post("/entities", content=body, headers=JSON)
    report = response.json()
    assert response.status_code in (201, 207, 400, 422), report
    text = json.dumps(report)
    assert "/1/description" in text  # the JSON pointer of the deep document
    found = demo_writable.get("/sparql", params={"query": 'ASK { ?t <https://w3id.org/mlkg#name> "t" }'})
    assert "true" in found.text


@pytest.mark.reliability
@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("deep.json", b"[" * 5000 + b"]" * 5000),
        ("deep.jsonl", b"[" * 5000 + b"]" * 5000 + b"\n"),
        ("model.json", _nested_model(500)),
        ("lol.rdf", BILLION_LAUGHS),
    ],
)
def test_bad_input_in_the_cli_is_exit_2_with_one_line(tmp_path: Path, name: str, data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    store = tmp_path / "store"
    done = subprocess.run(
        [sys.executable, "-m", "mlkg", "load", "--store", str(store), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("mlkg: error")]
    assert len(errors) == 1, done.stderr
    assert any(word in errors[0] for word in ("nested", "DOCTYPE")), errors[0]


@pytest.fixture(scope="module")
def demo_writable() -> Iterator[TestClient]:
    app = create_app(Settings(store=MEMORY_STORE, write_token=TOKEN), demo=True)
    with TestClient(app) as client:
        yield client


def _count_tables(client: TestClient) -> int:
    query = "SELECT (COUNT(DISTINCT ?t) AS ?n) WHERE { ?t a <https://w3id.org/mlkg#Table> }"
    answer = client.get(
        "/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"}
    )
    return int(answer.json()["results"]["bindings"][0]["n"]["value"])


def test_the_documents_per_request_limit_is_configurable_and_counts_before_reading() -> None:
    settings = Settings(store=MEMORY_STORE, write_token=TOKEN, max_request_documents=3)
    with TestClient(create_app(settings)) as client:
        over = client.post("/entities", content=json.dumps(_tables(4)).encode(), headers=JSON)
        assert over.status_code == 413, over.text
        assert over.json()["where"] == "request body#/3"
        assert _count_tables(client) == 0
        at = client.post("/entities", content=json.dumps(_tables(3)).encode(), headers=JSON)
        assert at.status_code == 201, at.text
        assert _count_tables(client) == 3
        # a stream is written in batches and has no such limit
        lines = "\n".join(json.dumps(t) for t in _tables(7)).encode()
        stream = client.post(
            "/entities", content=lines, headers={**JSON, "Content-Type": "application/x-ndjson"}
        )
        assert stream.status_code == 201, stream.text
        assert _count_tables(client) == 7


def test_a_body_larger_than_a_batch_is_written_whole_and_its_inferred_graph_follows() -> None:
    """1,200 documents are validated together (a model may name a table given 1,100 documents later) and
    written in parts of 500; every one is stored and the lineage is inferred across the parts."""
    tables = _tables(1_199)
    model = {
        "type": "mlmodel",
        "name": "m",
        "fullyQualifiedName": "svc.m",
        "algorithm": "XGBoost",
        "mlFeatures": [
            {
                "name": "f",
                "dataType": "numerical",
                "featureSources": [
                    {"name": "c", "dataSource": "http://localhost:8000/id/table/pg.db.s.t1198"}
                ],
            }
        ],
    }
    with TestClient(create_app(Settings(store=MEMORY_STORE, write_token=TOKEN))) as client:
        response = client.post("/entities", content=json.dumps([model, *tables]).encode(), headers=JSON)
        assert response.status_code == 201, response.text[:500]
        assert len(response.json()["documents"]) == 1_200
        assert _count_tables(client) == 1_199
        downstream = client.get("/lineage", params={"entity": "pg.db.s.t1198", "direction": "downstream"})
        assert downstream.status_code == 200, downstream.text
        assert any("svc.m" in node["id"] for node in downstream.json()["nodes"]), downstream.text[:500]


def test_a_write_that_waits_past_the_write_timeout_is_503_and_writes_nothing() -> None:
    settings = Settings(store=MEMORY_STORE, write_token=TOKEN, write_timeout=0.2)
    app = create_app(settings)
    with TestClient(app) as client:
        lock = app.state.mlkg.write_lock
        with lock:  # a long write in progress
            response = client.post("/entities", content=json.dumps(_tables(1)).encode(), headers=JSON)
            update = client.post(
                "/update",
                content=b"INSERT DATA { GRAPH <urn:g> { <urn:s> <urn:p> <urn:o> } }",
                headers={"Content-Type": "application/sparql-update", **AUTH},
            )
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"].isdigit()
        assert "MLKG_WRITE_TIMEOUT" in response.json()["message"]
        assert update.status_code == 503, update.text
        assert _count_tables(client) == 0
        again = client.post("/entities", content=json.dumps(_tables(1)).encode(), headers=JSON)
        assert again.status_code == 201, again.text
