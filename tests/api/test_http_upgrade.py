"""Java's HTTP client against a live ``mlkg serve``: every POST body arrives whatever its ``Upgrade`` headers.

``java.net.http.HttpClient`` (what Apache Jena's ``rsparql --post`` and ``rupdate`` use) opens each connection
with ``Connection: Upgrade, HTTP2-Settings`` and ``Upgrade: h2c`` on its first request, body included. The
server must ignore the upgrade (RFC 9110, section 7.8) and answer the request as HTTP/1.1, body and all, with
nothing in its log (issue 13, point 1; :mod:`mlkg.api.httpserver`).

The requests are the bytes OpenJDK 17.0.19's client sent (captured on a socket, ``HTTP2-Settings`` value
included), sent here on a raw socket to every POST route; with a JDK installed, the same client is run live.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.serving import Launched, LiveServer, launch

TOKEN = "upgrade-token"

#: The head OpenJDK 17.0.19's HttpClient sent for ``POST`` with a body (Content-Type set by the caller).
JAVA_HEAD = (
    "POST {target} HTTP/1.1\r\n"
    "Connection: Upgrade, HTTP2-Settings\r\n"
    "Content-Length: {length}\r\n"
    "Host: {host}\r\n"
    "HTTP2-Settings: AAEAAEAAAAIAAAAAAAMAAAAAAAQBAAAAAAUAAEAAAAYABgAA\r\n"
    "Upgrade: h2c\r\n"
    "User-Agent: Java-http-client/17.0.19\r\n"
    "Authorization: Bearer {token}\r\n"
    "Accept: {accept}\r\n"
    "Content-Type: {content_type}\r\n"
    "\r\n"
)

MODEL = {
    "type": "mlmodel",
    "name": "upgraded",
    "fullyQualifiedName": "mlflow_prod.upgraded",
    "algorithm": "XGBoost",
    "service": {"type": "mlmodelService", "name": "mlflow_prod"},
}
MODEL_IRI = "http://localhost:8000/id/model/mlflow_prod.upgraded"


@pytest.fixture(scope="module")
def started(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Launched]:
    launched = launch(log=tmp_path_factory.mktemp("upgrade") / "serve.log", demo=False, token=TOKEN)
    try:
        yield launched
    finally:
        launched.stop()


@pytest.fixture(scope="module")
def server(started: Launched) -> LiveServer:
    return started.ready()


def java_request(
    server: LiveServer, target: str, body: bytes, *, content_type: str, accept: str = "*/*"
) -> bytes:
    host = urllib.parse.urlsplit(server.url).netloc
    head = JAVA_HEAD.format(
        target=target,
        length=len(body),
        host=host,
        token=TOKEN,
        accept=accept,
        content_type=content_type,
    )
    return head.encode("ascii") + body


def exchange(server: LiveServer, *requests: bytes, split: bool = False) -> list[tuple[int, bytes]]:
    """Send the requests one after the other on one connection; ``(status, body)`` of each response.
    ``split``: the head and the body of the first request go in separate TCP segments."""
    parts = urllib.parse.urlsplit(server.url)
    answers = []
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        reader = sock.makefile("rb")
        for index, request in enumerate(requests):
            if split and index == 0:
                head, _, body = request.partition(b"\r\n\r\n")
                sock.sendall(head + b"\r\n\r\n")
                sock.sendall(body)
            else:
                sock.sendall(request)
            status = int(reader.readline().split()[1])
            length = 0
            while (line := reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            answers.append((status, reader.read(length)))
    return answers


def ask(server: LiveServer, query: str) -> bool:
    url = f"{server.sparql}?{urllib.parse.urlencode({'query': query})}"
    request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return bool(json.load(response)["boolean"])


def test_update_with_java_upgrade_headers_runs_both_body_forms(server: LiveServer) -> None:
    direct = (
        b"INSERT DATA { GRAPH <http://example.org/java> { <http://example.org/a> <http://example.org/p> 1 } }"
    )
    insert = "INSERT DATA { GRAPH <http://example.org/java> { <http://example.org/b> ?p 2 } }".replace(
        "?p", "<http://example.org/p>"
    )
    form = urllib.parse.urlencode({"update": insert}).encode()
    answers = exchange(
        server,
        java_request(server, "/update", direct, content_type="application/sparql-update"),
        java_request(server, "/update", form, content_type="application/x-www-form-urlencoded"),
    )
    assert [status for status, _ in answers] == [204, 204]
    assert ask(server, "ASK { GRAPH <http://example.org/java> { <http://example.org/a> ?p 1 } }")
    assert ask(server, "ASK { GRAPH <http://example.org/java> { <http://example.org/b> ?p 2 } }")


@pytest.mark.parametrize("split", [False, True], ids=["one-segment", "body-in-second-segment"])
def test_query_with_java_upgrade_headers_reads_the_body(server: LiveServer, split: bool) -> None:
    query = b"ASK { FILTER(1 + 1 = 2) }"
    form = urllib.parse.urlencode({"query": "SELECT (40 + 2 AS ?x) {}"}).encode()
    json_results = "application/sparql-results+json"
    answers = exchange(
        server,
        java_request(server, "/sparql", query, content_type="application/sparql-query", accept=json_results),
        java_request(
            server, "/sparql", form, content_type="application/x-www-form-urlencoded", accept=json_results
        ),
        split=split,
    )
    assert answers[0][0] == 200 and json.loads(answers[0][1])["boolean"] is True
    assert answers[1][0] == 200
    assert json.loads(answers[1][1])["results"]["bindings"][0]["x"]["value"] == "42"


def test_graph_store_and_entities_with_java_upgrade_headers_write_the_body(server: LiveServer) -> None:
    turtle = b"<http://example.org/gs> <http://example.org/p> <http://example.org/o> ."
    graph = urllib.parse.quote("http://example.org/java-gsp", safe="")
    answers = exchange(
        server,
        java_request(server, f"/store?graph={graph}", turtle, content_type="text/turtle"),
        java_request(server, "/entities", json.dumps(MODEL).encode(), content_type="application/json"),
    )
    assert [status for status, _ in answers] == [201, 201]
    assert MODEL_IRI in answers[1][1].decode()
    assert ask(server, "ASK { GRAPH <http://example.org/java-gsp> { <http://example.org/gs> ?p ?o } }")
    assert ask(server, f"ASK {{ GRAPH <{MODEL_IRI}> {{ ?s ?p ?o }} }}")


def test_upgrade_requests_leave_nothing_in_the_server_log(server: LiveServer, started: Launched) -> None:
    exchange(server, java_request(server, "/sparql", b"ASK {}", content_type="application/sparql-query"))
    log = started.log.read_text(errors="replace")
    assert "upgrade" not in log.lower()
    assert "websocket" not in log.lower()
    assert "Traceback" not in log


JAVA_CLIENT = """
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

public class Post {
    // args: token, then (url, content type, body) triples; prints each status. A new client per request,
    // so each one opens a connection with Java's h2c upgrade attempt.
    public static void main(String[] args) throws Exception {
        for (int i = 1; i + 2 < args.length; i += 3) {
            HttpRequest request = HttpRequest.newBuilder(URI.create(args[i]))
                .header("Content-Type", args[i + 1])
                .header("Authorization", "Bearer " + args[0])
                .POST(HttpRequest.BodyPublishers.ofString(args[i + 2]))
                .build();
            HttpResponse<String> response =
                HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
            System.out.println(response.statusCode());
        }
    }
}
"""


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("javac") is None, reason="needs a JDK (Debian: openjdk-17-jdk-headless)")
def test_java_http_client_live_posts_to_every_route(server: LiveServer, tmp_path: Path) -> None:
    source = tmp_path / "Post.java"
    source.write_text(JAVA_CLIENT)
    graph = urllib.parse.quote("http://example.org/java-live", safe="")
    model = dict(MODEL, name="live", fullyQualifiedName="mlflow_prod.live")
    calls = [
        (
            server.update,
            "application/sparql-update",
            "INSERT DATA { <http://example.org/live> <http://example.org/p> 1 }",
        ),
        (
            server.update,
            "application/x-www-form-urlencoded",
            "update=CLEAR%20SILENT%20GRAPH%20%3Chttp%3A%2F%2Fx%3E",
        ),
        (server.sparql, "application/sparql-query", "ASK { <http://example.org/live> ?p 1 }"),
        (server.sparql, "application/x-www-form-urlencoded", "query=ASK%20%7B%7D"),
        (
            f"{server.url}store?graph={graph}",
            "text/turtle",
            "<http://example.org/s> <http://example.org/p> 1 .",
        ),
        (f"{server.url}entities", "application/json", json.dumps(model)),
    ]
    args = ["java", str(source), TOKEN, *[part for call in calls for part in call]]
    result = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["204", "204", "200", "200", "201", "201"]
    assert ask(server, "ASK { <http://example.org/live> <http://example.org/p> 1 }")
