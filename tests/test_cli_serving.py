"""The CLI and a running ``mlkg serve`` share a store (issue 13.6): read commands work while the server
holds the directory, write commands say where the server is and exit 2, reads never create a store; and
entity parameters take the same forms on the command line and over HTTP (issue 13.7). Real processes only."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a server and about fifteen mlkg processes

ROOT = Path(__file__).resolve().parents[1]
DEMO = str(ROOT / "examples" / "demo")
TABLE = "postgres_prod.ecommerce.public.customers"
BASE = "http://localhost:8000/id/"


def mlkg(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLKG_")}
    return subprocess.run(
        [sys.executable, "-m", "mlkg", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=cwd,
        env=env,
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A store holding the demo catalog, served by ``mlkg serve`` on a free port: (store, server URL)."""
    store = str(tmp_path_factory.mktemp("served") / "store")
    loaded = mlkg("load", "--quiet", DEMO, "--store", store)
    assert loaded.returncode == 0, loaded.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLKG_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "mlkg", "serve", "--port", "0", "--store", store],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
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
        assert url is not None, "mlkg serve did not start"
        yield store, url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()
    # stopped, the server removed its record (mlkg.served)
    assert not (Path(store) / "mlkg-serve.json").exists()


def test_read_commands_work_while_the_server_holds_the_store(served: tuple[str, str]) -> None:
    store, url = served
    record = json.loads((Path(store) / "mlkg-serve.json").read_text())
    assert record["url"] == url
    impact = mlkg("impact", TABLE, "-f", "json", "--store", store)
    assert impact.returncode == 0, impact.stderr
    assert json.loads(impact.stdout)["count"] == 63
    query = mlkg("--store", store, "query", f"ASK {{ <{BASE}table/{TABLE}> ?p ?o }}")
    assert (query.returncode, query.stdout.strip()) == (0, "true")
    export = mlkg("export", "--entity", TABLE, "-f", "nt", "--store", store)
    assert export.returncode == 0 and f"<{BASE}table/{TABLE}>" in export.stdout


def test_write_commands_say_where_the_server_is_and_write_nothing(
    served: tuple[str, str], tmp_path: Path
) -> None:
    store, url = served
    doc = tmp_path / "t.json"
    doc.write_text(json.dumps({"type": "table", "name": "t", "fullyQualifiedName": "db.t"}))
    lines = []
    for args in (["load", str(doc)], ["reason"], ["serve", "--port", "0"]):
        done = mlkg(*args, "--store", store)
        assert done.returncode == 2, (args, done.stderr)
        [line] = done.stderr.splitlines()  # one line, no traceback
        assert line.startswith(f"mlkg: error: the store {store} is served by mlkg serve at {url} (pid ")
        assert line.endswith("or stop the server first")
        lines.append(line)
    assert f"POST the documents to {url}entities" in lines[0]
    ask = f"ASK {{ <{BASE}table/db.t> ?p ?o }}"
    assert mlkg("query", ask, "--store", store).stdout.strip() == "false"
    # doing what the message says works, and the next read command sees the server's write
    request = urllib.request.Request(
        f"{url}entities", data=doc.read_bytes(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201
    assert mlkg("query", ask, "--store", store).stdout.strip() == "true"


def test_read_commands_never_create_a_store(tmp_path: Path) -> None:
    for args in (["query", "ASK {}"], ["export"]):
        done = mlkg(*args, cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        assert done.stderr.splitlines() == [
            "mlkg: error: ./mlkg-data: no mlkg store here: load documents first (mlkg load FILE), or name "
            "the store with --store or MLKG_STORE"
        ]
    assert list(tmp_path.iterdir()) == []


def _get(url: str) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_every_entity_form_names_the_same_entity_on_every_route_and_command(served: tuple[str, str]) -> None:
    store, url = served
    forms = [f"{BASE}table/{TABLE}", f"{url}id/table/{TABLE}", TABLE]  # IRI, IRI on the server, FQN
    for form in forms:
        status, lineage = _get(f"{url}lineage?" + urllib.parse.urlencode({"entity": form}))
        assert status == 200, lineage
        status, rows = _get(
            f"{url}queries/downstream?" + urllib.parse.urlencode({"entity": form}),
        )
        assert status == 200, rows
        assert len({b["asset"]["value"] for b in rows["results"]["bindings"]}) == 63  # type: ignore[index]
    # the CLI finds the server's address in its record (the other forms: tests/test_cli.py)
    impact = mlkg("impact", forms[1], "-f", "json", "--store", store)
    assert impact.returncode == 0, impact.stderr
    assert json.loads(impact.stdout)["entity"] == f"{BASE}table/{TABLE}"
    # a unique short name works; an ambiguous one is refused, listing the candidates
    status, _ = _get(f"{url}queries/downstream?entity=customer_churn_predictor")
    assert status == 200
    status, refused = _get(f"{url}queries/downstream?entity=customers")
    assert status == 400 and "snowflake.prod.customers" in str(refused["message"])
    ambiguous = mlkg("impact", "customers", "--store", store)
    assert ambiguous.returncode == 2
    [line] = ambiguous.stderr.splitlines()
    assert f"{BASE}table/{TABLE}" in line and f"{BASE}table/snowflake.prod.customers" in line
    status, _ = _get(f"{url}lineage?entity=no_such_thing")
    assert status == 404
    assert mlkg("impact", "no_such_thing", "--store", store).returncode == 2


def test_search_reads_the_index_the_server_keeps(served: tuple[str, str], tmp_path: Path) -> None:
    store, url = served
    doc = tmp_path / "s.json"
    doc.write_text(json.dumps({"type": "table", "name": "gift_cards", "fullyQualifiedName": "db.gift_cards"}))
    request = urllib.request.Request(
        f"{url}entities", data=doc.read_bytes(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201
    status, answer = _get(f"{url}search?q=gift")
    assert status == 200 and [r["name"] for r in answer["results"]] == ["gift_cards"]  # type: ignore[union-attr]
    done = mlkg("search", "gift card", "--store", store, "--format", "json")  # a read-only view of the store
    assert done.returncode == 0, done.stderr
    assert [r["name"] for r in json.loads(done.stdout)["results"]] == ["gift_cards"]
    refused = mlkg("reindex", "--store", store)
    assert refused.returncode == 2 and "keeps the search index up to date" in refused.stderr
