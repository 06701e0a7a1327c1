"""Issue 11, "Done when": 16 runaway queries followed by a cheap query answered in under a second.

A real ``mlkg serve --demo`` on an on-disk store (so queries run in killable worker processes) gets 16
concurrent queries that would run for hours, each with ``timeout=2``. Every one must be answered 503 with a
JSON body; while they run and right after, a cheap query, a named query and ``/health`` must each answer in
under a second; afterwards the server's processes must stop using CPU (before the fix, the 16 abandoned
threads kept both cores busy until a restart and every later query waited 30 s for a 503).

Run alone with ``.venv/bin/pytest -m reliability``.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.reliability

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
CHEAP = "SELECT ?model WHERE { ?model a <https://w3id.org/mlkg#Model> } LIMIT 5"
#: The issue's budget for a cheap request while or after heavy queries run.
BUDGET_SECONDS = 1.0
STARTUP_SECONDS = 60.0


@dataclass
class Answer:
    status: int
    seconds: float
    body: bytes
    headers: dict[str, str]

    def json(self) -> dict[str, object]:
        found: dict[str, object] = json.loads(self.body)
        return found


def get(url: str, *, timeout: float = 60) -> Answer:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = response.read()
            status, headers = response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        body, status, headers = error.read(), error.code, dict(error.headers)
    return Answer(status=status, seconds=time.monotonic() - started, body=body, headers=headers)


def sparql(base: str, query: str, **params: str) -> str:
    return f"{base}sparql?{urllib.parse.urlencode({'query': query, **params})}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _tree(pid: int) -> list[int]:
    """``pid`` and every running process below it (its query workers and their fork server)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [pid], [pid]
    while todo:
        below = children.get(todo.pop(), [])
        found += below
        todo += below
    return found


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by ``pid`` and the processes below it that still run."""
    ticks = 0
    for member in _tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server by its pid: SIGTERM, then SIGKILL after 10 s."""
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    base: str


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``python -m mlkg serve --demo`` on an on-disk store and a free port, once it answers."""
    work = tmp_path_factory.mktemp("runaway")
    log = work / "serve.log"
    command = [sys.executable, "-m", "mlkg", "serve", "--store", str(work / "store"), "--demo"]
    command += ["--host", "127.0.0.1", "--port", str(_free_port())]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MLKG_")}
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=environment)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        base = None
        while base is None and time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            printed = re.search(r"serving (http://\S+/) ", log.read_text())
            if printed:
                try:
                    if get(f"{printed.group(1)}health", timeout=2).status == 200:
                        base = printed.group(1)
                except OSError:
                    pass
            time.sleep(0.05)
        assert base is not None, f"mlkg serve did not come up:\n{log.read_text()}"
        yield Served(process=process, base=base)
    finally:
        stop(process)


def test_runaway_queries_stop_and_cheap_requests_stay_fast(server: Served) -> None:
    base, pid = server.base, server.process.pid
    assert get(f"{base}health").json()["queries"] == {"isolation": "process", "overdue": 0, "stopped": 0}
    named = f"{base}queries/models-using-sensitive-data"

    with ThreadPoolExecutor(max_workers=16) as pool:
        runaways = [pool.submit(get, sparql(base, RUNAWAY, timeout="2")) for _ in range(16)]
        time.sleep(1.0)  # all 16 are running now
        during = [get(sparql(base, CHEAP)), get(named), get(f"{base}health")]
        answers = [r.result() for r in runaways]

    for answer in answers:
        assert answer.status == 503, answer.body
        assert answer.json()["error"] == "querytimeout"
    after = [get(sparql(base, CHEAP)), get(named), get(f"{base}health")]
    for answer in during + after:
        assert answer.status == 200, answer.body
        assert answer.seconds < BUDGET_SECONDS, (answer.seconds, answer.body[:200])
    assert after[2].json()["queries"]["stopped"] >= 1  # type: ignore[index]

    # No query is left running: the server's processes are idle (before the fix: two busy cores, for good).
    time.sleep(0.5)
    start = cpu_seconds(pid)
    time.sleep(2.0)
    assert cpu_seconds(pid) - start < 0.5


def test_stopping_the_server_stops_its_worker_processes(server: Served) -> None:
    started = _tree(server.process.pid)
    assert len(started) > 1  # the query worker and the fork server it comes from
    stop(server.process)
    for _ in range(100):
        left = [pid for pid in started if Path(f"/proc/{pid}").exists()]
        if not left:
            break
        time.sleep(0.05)
    assert not left, [Path(f"/proc/{pid}/cmdline").read_bytes()[:100] for pid in left]
