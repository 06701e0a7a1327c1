"""``mlkg serve``: the README's main-job command starts, prints its URL and answers; unsafe setups are
refused."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

from typer.testing import CliRunner

from mlkg.cli import app


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_refuses_a_public_address_with_open_writes() -> None:
    env = {k: v for k, v in os.environ.items() if k != "MLKG_WRITE_TOKEN"}
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--store", "memory:"], env=env)
    assert result.exit_code == 2
    assert "--host" in result.output
    assert "write token" in result.output


def test_serve_refuses_a_port_in_use_before_loading_anything() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = CliRunner().invoke(app, ["serve", "--demo", "--port", str(port)])
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
    assert "--port" in result.output
    assert "serving" not in result.output
    assert "loading the demo" not in result.output


def test_serve_demo_prints_its_url_and_answers_sparql_over_http(tmp_path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLKG_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "mlkg", "serve", "--demo", "--port", str(port)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    try:
        assert process.stderr is not None
        deadline = time.monotonic() + 60
        url = None
        while url is None and time.monotonic() < deadline:
            line = process.stderr.readline()
            if "serving" in line:
                url = line.split("serving ", 1)[1].split()[0]
        assert url == f"http://127.0.0.1:{port}/"
        query = (
            "PREFIX mlkg: <https://w3id.org/mlkg#> SELECT DISTINCT ?raw WHERE { "
            '?p mlkg:fullyQualifiedName "snowflake.prod.churn_scores" . '
            "GRAPH <https://w3id.org/mlkg/graph/inferred> { ?p mlkg:upstream ?raw } ?raw a mlkg:Table . "
            "FILTER NOT EXISTS { GRAPH <https://w3id.org/mlkg/graph/inferred> { ?raw mlkg:upstream ?u } } }"
        )
        # Once the URL is printed the server answers: no retry (the socket is bound before the message).
        request = urllib.request.Request(
            url + "sparql?" + urllib.parse.urlencode({"query": query}),
            headers={"Accept": "application/sparql-results+json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.load(response)
        raw = sorted(b["raw"]["value"].rsplit("/", 1)[1] for b in answer["results"]["bindings"])
        assert raw == ["postgres_prod.ecommerce.public.customers", "postgres_prod.ecommerce.public.orders"]
        assert not (tmp_path / "mlkg-data").exists(), "--demo uses a fresh in-memory store"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()
