"""schemathesis, with every check, against a real ``mlkg serve --demo`` (issue 11, point 9): the OpenAPI
description names every route's parameters, bodies, status codes and media types, so an API fuzzer reaches
the SPARQL and ingest logic, and every answer conforms to what is described."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mlkg.api import create_app
from mlkg.config import MEMORY_STORE, Settings

CONFIG = Path(__file__).with_name("schemathesis.toml")
TOKEN = "fuzz-token"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLKG_")}
    env["MLKG_WRITE_TOKEN"] = TOKEN
    workdir = tmp_path_factory.mktemp("serve")
    log = workdir / "serve.log"
    # The server's stderr goes to a file, never an unread pipe that would fill up and block it.
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "mlkg", "serve", "--demo", "--port", str(port)],
            stderr=sink,
            stdout=subprocess.DEVNULL,
            cwd=workdir,
            env=env,
        )
    try:
        deadline = time.monotonic() + 60
        while "serving" not in log.read_text() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        if "serving" not in log.read_text():
            pytest.fail(f"mlkg serve did not start: {log.read_text()[-2000:]}")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_every_route_documents_its_parameters_bodies_and_errors() -> None:
    app = create_app(Settings(store=MEMORY_STORE))
    paths = app.openapi()["paths"]
    assert {p["name"] for p in paths["/sparql"]["get"]["parameters"]} >= {
        "query",
        "default-graph-uri",
        "named-graph-uri",
        "timeout",
    }
    assert set(paths["/sparql"]["post"]["requestBody"]["content"]) == {
        "application/sparql-query",
        "application/x-www-form-urlencoded",
    }
    assert set(paths["/update"]["post"]["responses"]) >= {"204", "400", "401", "403", "413", "415"}
    assert "text/turtle" in paths["/store"]["put"]["requestBody"]["content"]
    assert "422" in paths["/entities"]["post"]["responses"]
    lineage = paths["/api/v1/lineage"]["post"]
    assert set(lineage["requestBody"]["content"]) == {"application/json", "application/x-ndjson"}
    assert set(lineage["responses"]) >= {"201", "400", "401", "413", "415", "422"}
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert any(code.startswith("2") for code in operation["responses"]), (method, path)


@pytest.mark.reliability
def test_schemathesis_finds_no_failure_with_all_checks(server: str, tmp_path: Path) -> None:
    schemathesis = Path(sys.executable).with_name("st")
    assert httpx.get(server + "/health").status_code == 200
    done = subprocess.run(
        [
            str(schemathesis),
            "--config-file",
            str(CONFIG),
            "run",
            f"{server}/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            "40",
            "--seed",
            "11",
            "--header",
            f"Authorization: Bearer {TOKEN}",
            "--report-dir",
            str(tmp_path),
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    summary = done.stdout[-4000:]
    assert done.returncode == 0, summary
    assert " passed" in summary
