"""Safe defaults of the HTTP service (issue 11, points 5 and 6): an empty token is no token, browser pages of
other sites cannot write (CSRF) or read across origins, and a loopback server answers only to its own names
(DNS rebinding). Each refusal is a JSON 4xx and leaves the store as it was."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from tests.api.conftest import AUTH, ClientFactory
from typer.testing import CliRunner

from mlkg.api.guard import default_allowed_hosts, host_allowed
from mlkg.cli import app
from mlkg.config import Settings

INSERT = "INSERT DATA { <urn:a> <urn:b> <urn:c> }"
ASK = "ASK { <urn:a> <urn:b> <urn:c> }"


def _stored(client: TestClient) -> bool:
    answer = client.get(
        "/sparql",
        params={"query": ASK},
        headers={"Accept": "application/sparql-results+json", "Host": "localhost"},
    )
    return bool(answer.json()["boolean"])


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_token_is_no_token(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLKG_WRITE_TOKEN", value)
    assert Settings().write_token is None
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--store", "memory:"])
    assert result.exit_code == 2
    assert "write token" in result.output


def test_an_empty_write_token_option_is_no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLKG_WRITE_TOKEN", raising=False)
    result = CliRunner().invoke(
        app, ["serve", "--host", "0.0.0.0", "--write-token", "", "--store", "memory:"]
    )
    assert result.exit_code == 2
    assert "write token" in result.output


def test_an_empty_bearer_value_never_writes(client: TestClient) -> None:
    for header in ("Bearer ", "Bearer", "bearer  ", ""):
        response = client.post(
            "/update",
            content=INSERT,
            headers={"Content-Type": "application/sparql-update", "Authorization": header},
        )
        assert response.status_code == 401, header
    assert not _stored(client)


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://127.0.0.1:9999"},
        {"Sec-Fetch-Site": "cross-site"},
    ],
)
def test_a_cross_site_form_post_cannot_write_to_an_open_server(
    make_client: ClientFactory, headers: dict[str, str]
) -> None:
    """What a page on another site makes a browser send: a form POST, no preflight, no credentials."""
    client = make_client(token=None)
    response = client.post("/update", data={"update": INSERT}, headers=headers)
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    assert not _stored(client)
    upload = client.post(
        "/entities",
        content=b'{"type": "table", "name": "t", "fullyQualifiedName": "pg.db.s.t"}',
        headers={**headers, "Content-Type": "text/plain"},
    )
    assert upload.status_code == 403
    put = client.put("/store?graph=urn:g", content=b"<urn:a> <urn:b> <urn:c> .", headers=headers)
    assert put.status_code == 403
    assert not _stored(client)


def test_same_origin_and_configured_origins_may_write(make_client: ClientFactory) -> None:
    client = make_client(cors_origins=["https://ui.example"])
    same = client.post("/update", data={"update": INSERT}, headers={**AUTH, "Origin": "http://testserver"})
    assert same.status_code == 204
    configured = client.post(
        "/update",
        data={"update": "DELETE DATA { <urn:a> <urn:b> <urn:c> }"},
        headers={**AUTH, "Origin": "https://ui.example"},
    )
    assert configured.status_code == 204
    assert not _stored(client)


def test_a_wildcard_origin_opens_reads_not_writes(make_client: ClientFactory) -> None:
    client = make_client(token=None, cors_origins=["*"])
    read = client.get("/sparql", params={"query": ASK}, headers={"Origin": "https://any.example"})
    assert read.headers["access-control-allow-origin"] == "*"
    write = client.post("/update", data={"update": INSERT}, headers={"Origin": "https://any.example"})
    assert write.status_code == 403


def test_clients_without_an_origin_still_write(make_client: ClientFactory) -> None:
    """curl, SPARQLWrapper, Jena: no Origin header, not a browser page."""
    client = make_client(token=None)
    assert client.post("/update", data={"update": INSERT}).status_code == 204
    assert _stored(client)


@pytest.mark.parametrize("path", ["/sparql?query=ASK%20%7B%7D", "/health", "/queries", "/update"])
def test_a_rebound_host_name_is_refused(make_client: ClientFactory, path: str) -> None:
    client = make_client(
        token=None, allowed_hosts=default_allowed_hosts(base_iri="http://localhost:8000/id/")
    )
    method = client.post if path == "/update" else client.get
    kwargs = {"data": {"update": INSERT}} if path == "/update" else {}
    refused = method(
        path, headers={"Host": "evil.example:8000", "Origin": "http://evil.example:8000"}, **kwargs
    )
    assert refused.status_code == 400
    assert refused.json()["where"] == "Host"
    assert not _stored(client)
    allowed = client.get("/health", headers={"Host": "127.0.0.1:8000"})
    assert allowed.status_code == 200


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("localhost:8000", True),
        ("LOCALHOST", True),
        ("127.0.0.1:8000", True),
        ("[::1]:8000", True),
        ("evil.example", False),
        ("127.0.0.1.evil.example:8000", False),
        ("localhost:notaport", False),
        ("", False),
        (None, False),
        ("catalog.example.org", True),
        ("a.sub.example.org", True),
    ],
)
def test_host_names_are_matched_on_the_parsed_name(host: str | None, expected: bool) -> None:
    allowed = [*default_allowed_hosts(base_iri="http://catalog.example.org/id/"), "*.sub.example.org"]
    assert host_allowed(host, allowed) is expected
