"""``POST /entities`` with an ``application/x-ndjson`` stream: read as it arrives, validated and written in
batches, a per-document report, the size limit per document; good documents land whole, bad ones write
nothing, and the inferred graph equals a recompute after the stream."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from bench.generate import CatalogDocument, generate_documents
from fastapi.testclient import TestClient
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from tests.api.conftest import AUTH, ClientFactory

from mlkg.api.deps import state_of
from mlkg.ingest import InputFormat, Source
from mlkg.vocab import INFERRED_GRAPH

NDJSON = {**AUTH, "Content-Type": "application/x-ndjson"}


@pytest.fixture(scope="module")
def catalog() -> list[CatalogDocument]:
    return list(generate_documents(target_triples=6000, seed=5))


def mixed_lines(catalog: list[CatalogDocument]) -> tuple[list[bytes], dict[int, str]]:
    """The catalog as NDJSON lines with bad lines put in, and what is wrong at each bad index."""
    lines = [json.dumps(d.json).encode() for d in catalog]
    bad: dict[int, str] = {}
    model = next(i for i, d in enumerate(catalog) if d.json.get("type") == "mlmodel")
    broken = dict(catalog[model].json)
    del broken["algorithm"]
    lines[model] = json.dumps(broken).encode()
    bad[model] = "validation"
    lines.insert(3, b'{"type": "table", "name": ')
    bad = {(i + 1 if i >= 3 else i): kind for i, kind in bad.items()}
    bad[3] = "parse"
    lines.insert(10, b"   ")  # blank lines are skipped (and keep their number)
    bad = {(i + 1 if i >= 10 else i): kind for i, kind in bad.items()}
    lines.insert(11, json.dumps({"type": "table", "name": "t", "description": "x" * 20000}).encode())
    bad = {(i + 1 if i >= 11 else i): kind for i, kind in bad.items()}
    bad[11] = "too_large"
    return lines, bad


def chunks(lines: list[bytes], size: int = 700) -> Iterator[bytes]:
    data = b"\n".join(lines) + b"\n"
    for start in range(0, len(data), size):
        yield data[start : start + size]


def store_graph(client: TestClient, name: URIRef) -> Graph:
    return _graph((s, p, o) for s, p, o, _ in state_of(client).store.quads(graph=name))


def test_ndjson_stream_with_good_and_bad_documents(
    make_client: ClientFactory, catalog: list[CatalogDocument], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mlkg.api.routers.entities.DEFAULT_BATCH_SIZE", 40)  # several batches
    client = make_client(max_document_bytes=12000)
    lines, bad = mixed_lines(catalog)
    assert sum(len(line) for line in lines) > 10 * 12000  # the limit is per document, not per stream

    response = client.post("/entities", content=chunks(lines), headers=NDJSON)

    body = response.json()
    assert response.status_code == 400, body  # the first rejection (line 4) is malformed JSON
    documents = body["report"]["documents"]
    assert len(documents) == len(lines) - 1  # the blank line is no document
    by_index = {int(d["where"].split("#/")[1].split("/")[0]): d for d in documents}
    for index, kind in bad.items():
        entry = by_index[index]
        assert (entry["status"], entry["kind"]) == ("rejected", kind)
        assert entry["errors"][0]["pointer"].startswith(f"/{index}")
    assert "Expecting value at line 4 column 27" in by_index[3]["errors"][0]["message"]
    accepted = [d for d in documents if d["status"] == "accepted"]
    assert len(accepted) == len(catalog) - 1
    assert [d["where"] for d in documents] == sorted((d["where"] for d in documents), key=_index)

    store = state_of(client).store
    expected = {d.entity: d for d in catalog}
    model = catalog[next(i for i, d in enumerate(catalog) if d.json.get("type") == "mlmodel")].entity
    assert not store.has_graph(graph=model)  # the rejected document wrote nothing
    written = {URIRef(d["entity"]) for d in accepted}
    assert written == set(expected) - {model}
    ingestor = state_of(client).ingestor
    for entity in list(written)[:: max(1, len(written) // 25)]:
        source = Source(
            name="x.json", data=json.dumps(expected[entity].json).encode(), format=InputFormat.JSON
        )
        [document] = ingestor.parse(source=source).documents
        assert isomorphic(store_graph(client, entity), _graph(document.triples))

    inferred = store_graph(client, INFERRED_GRAPH)
    assert len(inferred) > 0
    stats = store.recompute()
    assert (stats.inferred_added, stats.inferred_removed) == (0, 0)


def test_ndjson_all_good_is_created_with_every_entity(make_client: ClientFactory, catalog: Any) -> None:
    client = make_client()
    lines = [json.dumps(d.json).encode() for d in catalog[:30]]
    response = client.post("/entities", content=chunks(lines, size=97), headers=NDJSON)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["entities"] == [str(d.entity) for d in catalog[:30]]
    assert [d["status"] for d in body["documents"]] == ["accepted"] * 30


def test_an_empty_ndjson_body_is_a_bad_request(client: TestClient) -> None:
    response = client.post("/entities", content=b"", headers=NDJSON)
    assert response.status_code == 400
    assert "empty" in response.json()["message"]


def _graph(triples: Any) -> Graph:
    """The triples as a graph, each typed literal by its value (rdflib writes an xsd:dateTime's lexical form
    ending in Z or +00:00 depending on process-wide settings pyshacl changes)."""
    graph = Graph()
    for s, p, o in triples:
        if isinstance(o, Literal) and o.datatype is not None and o.value is not None:
            o = Literal(o.value, datatype=o.datatype)
        graph.add((s, p, o))
    return graph


def _index(where: str) -> int:
    return int(where.split("#/")[1].split("/")[0])
