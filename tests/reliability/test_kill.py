"""kill -9 during uploads never leaves lineage wrong after a restart (issue 11, point 3).

Two loops over one on-disk store each, 23 kills in all:

- ``mlkg load`` killed right before the inferred write (8 times, by the fault hook of
  :mod:`tests.reliability.crashy`), each time followed by a restart that is a plain ``mlkg load`` of another
  document or a read-only ``mlkg query``;
- ``mlkg serve`` taking ``POST /entities`` uploads one after another, killed 15 times: at a random moment, or
  (one run in three) by the hook right before the inferred write of a random upload; each restart is checked
  through its own HTTP export before new uploads start.

After every restart: no write record is left, every acknowledged document is present (as acknowledged, or
as a later upload of the same entity that may have committed before its kill), every stored document is one
that was sent (no partial document), and the inferred graph equals a recompute from scratch of the asserted
graphs (sets of triples: the inferred graph has no blank node).
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import rdflib
from rdflib import URIRef
from rdflib.compare import isomorphic

from mlkg.config import DEFAULT_BASE_IRI
from mlkg.ids import IriMinter
from mlkg.ingest import Ingestor, InputFormat, Source
from mlkg.reasoning import load_ontology
from mlkg.reasoning.program import LineageProgram
from mlkg.reasoning.store import ReasonedStore
from mlkg.store.base import Triple
from mlkg.store.oxigraph import OxigraphStore
from mlkg.vocab import INFERRED_GRAPH, ONTOLOGY_GRAPH, PENDING_GRAPH

pytestmark = pytest.mark.reliability

CRASHY = Path(__file__).with_name("crashy.py")
MLKG = [sys.executable, "-m", "mlkg"]
HOOK = "MLKG_TEST_KILL_AT_INFERRED_WRITE"
TABLES = 8
PIPELINES = 6

Graphs = dict[URIRef, set[Triple]]


def pipeline(rng: random.Random, index: int, version: int) -> bytes:
    """A version of pipeline ``index``: it writes table index+1 and reads 1-3 of the tables below it, so the
    pipelines form a lineage DAG; it also reads a table of its own version, so that every upload changes the
    inferred graph (a crash between the two writes of any upload leaves it wrong unless repaired)."""
    reads = [f"t{t}" for t in sorted(rng.sample(range(index + 1), k=min(index + 1, rng.randint(1, 3))))]
    document = {
        "type": "pipeline",
        "name": f"p{index}",
        "fullyQualifiedName": f"crashtest.p{index}",
        "description": f"version {version}",
        "readsFrom": [
            {"type": "table", "fullyQualifiedName": f"crashtest.db.{t}"} for t in [*reads, f"v{version}"]
        ],
        "writesTo": [{"type": "table", "fullyQualifiedName": f"crashtest.db.t{index + 1}"}],
    }
    return json.dumps(document).encode()


@dataclass
class Ledger:
    """Every version sent for each entity, and the index of the last acknowledged one."""

    ingestor: Ingestor = field(
        default_factory=lambda: Ingestor(
            minter=IriMinter.from_ontology(base=DEFAULT_BASE_IRI), max_bytes=1 << 20
        )
    )
    sent: dict[URIRef, list[rdflib.Graph]] = field(default_factory=dict)
    acked: dict[URIRef, int] = field(default_factory=dict)

    def send(self, data: bytes) -> URIRef:
        """Record a document about to be sent; return its entity."""
        outcome = self.ingestor.parse(source=Source("doc.json", data, InputFormat.JSON))
        assert not outcome.rejected and len(outcome.documents) == 1
        document = outcome.documents[0]
        graph = rdflib.Graph()
        for triple in document.triples:
            graph.add(triple)
        self.sent.setdefault(document.entity, []).append(graph)
        return document.entity

    def ack(self, entity: URIRef) -> None:
        self.acked[entity] = len(self.sent[entity]) - 1

    def check(self, graphs: Graphs, program: LineageProgram) -> None:
        assert PENDING_GRAPH not in graphs, "a write record survived the restart"
        for entity, versions in self.sent.items():
            stored = graphs.get(entity)
            if stored is None:
                assert entity not in self.acked, f"acknowledged document {entity} is missing"
                continue
            candidates = versions[self.acked.get(entity, 0) :]
            found = rdflib.Graph()
            for triple in stored:
                found.add(triple)
            assert any(isomorphic(found, c) for c in candidates), f"{entity} holds no document that was sent"
        assert graphs.get(INFERRED_GRAPH, set()) == recomputed(graphs, program)


def recomputed(graphs: Graphs, program: LineageProgram) -> set[Triple]:
    """The inferred graph a recompute from scratch gives for the asserted graphs, in a fresh store."""
    with OxigraphStore(path=None) as copy:
        asserted = {g: list(t) for g, t in graphs.items() if g not in (INFERRED_GRAPH, ONTOLOGY_GRAPH)}
        copy.replace_graphs(graphs=asserted)
        ReasonedStore(inner=copy, program=program).recompute()
        return {(s, p, o) for s, p, o, _ in copy.quads(graph=INFERRED_GRAPH)}


def stored_graphs(path: Path) -> Graphs:
    """Every named graph of the on-disk store, read as it is (opening it this way repairs nothing)."""
    graphs: Graphs = {}
    with OxigraphStore(path=path) as store:
        for s, p, o, g in store.quads():
            if g is not None:
                graphs.setdefault(g, set()).add((s, p, o))
    return graphs


def exported_graphs(client: httpx.Client) -> Graphs:
    """Every named graph, as the running server exports them."""
    response = client.get("/export", params={"format": "nq"})
    assert response.status_code == 200
    dataset = rdflib.Dataset()
    dataset.parse(data=response.content, format="nquads")
    graphs: Graphs = {}
    for s, p, o, g in dataset.quads((None, None, None, None)):
        name = g.identifier if isinstance(g, rdflib.Graph) else g
        if isinstance(name, URIRef) and name != rdflib.Dataset().default_graph.identifier:
            graphs.setdefault(name, set()).add((s, p, o))  # type: ignore[arg-type]
    return graphs


@pytest.fixture(scope="module")
def program() -> LineageProgram:
    return LineageProgram.from_ontology(load_ontology())


def run(args: list[str], *, kill_at: int | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLKG_")}
    if kill_at is not None:
        env[HOOK] = str(kill_at)
    return subprocess.run(args, env=env, capture_output=True, timeout=60, check=False)


def test_mlkg_load_killed_before_the_inferred_write(tmp_path: Path, program: LineageProgram) -> None:
    rng = random.Random(11)
    store = tmp_path / "store"
    ledger = Ledger()
    version = 0
    for kill in range(8):
        killed, restart = tmp_path / "killed.json", tmp_path / "restart.json"
        version += 1
        killed.write_bytes(pipeline(rng, rng.randrange(PIPELINES), version))
        ledger.send(killed.read_bytes())
        done = run([sys.executable, str(CRASHY), "load", "--store", str(store), str(killed)], kill_at=1)
        assert done.returncode == -signal.SIGKILL, done.stderr.decode()
        if kill % 2:  # a process that only reads must repair before answering
            done = run([*MLKG, "query", "--store", str(store), "ASK { ?s ?p ?o }"])
            assert done.returncode == 0, done.stderr.decode()
        else:
            version += 1
            restart.write_bytes(pipeline(rng, rng.randrange(PIPELINES), version))
            entity = ledger.send(restart.read_bytes())
            done = run([*MLKG, "load", "--store", str(store), str(restart)])
            assert done.returncode == 0, done.stderr.decode()
            ledger.ack(entity)
        assert b"the inferred graph was recomputed" in done.stderr
        ledger.check(stored_graphs(store), program)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    client: httpx.Client
    log: Path

    def repaired(self) -> bool:
        """Whether this server said on stderr that it repaired the inferred graph when it started."""
        return b"the inferred graph was recomputed" in self.log.read_bytes()


@pytest.fixture
def start(tmp_path: Path) -> Iterator[object]:
    """``start(store, kill_at)``: ``mlkg serve`` on the store through the fault hook, once it answers."""
    started: list[Server] = []

    def start_server(store: Path, kill_at: int | None) -> Server:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("MLKG_")}
        if kill_at is not None:
            env[HOOK] = str(kill_at)
        args = [sys.executable, str(CRASHY), "serve", "--store", str(store), "--port", str(port)]
        log = (tmp_path / f"serve-{len(started)}.log").open("wb")
        process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=log)
        log.close()
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
        started.append(Server(process, client, Path(log.name)))
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, "mlkg serve stopped before answering"
            try:
                if client.get("/health").status_code == 200:
                    return started[-1]
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "mlkg serve did not answer within 30 s"
            time.sleep(0.05)

    yield start_server
    for server in started:
        server.client.close()
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait()


def test_mlkg_serve_killed_at_random_and_before_the_inferred_write(
    tmp_path: Path, program: LineageProgram, start: object
) -> None:
    rng = random.Random(12)
    store = tmp_path / "store"
    ledger = Ledger()
    version = 0
    hooked = 0
    kill_at: int | None = None
    for kill in range(15):
        after_hook, kill_at = kill_at is not None, rng.randint(1, 4) if kill % 3 == 2 else None
        server: Server = start(store, kill_at)  # type: ignore[operator]
        ledger.check(exported_graphs(server.client), program)  # the restart repaired before serving
        assert server.repaired() or not after_hook
        if kill_at is None:
            threading.Timer(rng.uniform(0.05, 0.8), server.process.kill).start()
        while True:
            version += 1
            data = pipeline(rng, rng.randrange(PIPELINES), version)
            entity = ledger.send(data)
            try:
                response = server.client.post(
                    "/entities", content=data, headers={"content-type": "application/json"}
                )
            except httpx.TransportError:
                break
            assert response.status_code == 201, response.text
            ledger.ack(entity)
        assert server.process.wait(timeout=30) == -signal.SIGKILL
        hooked += kill_at is not None
    assert hooked == 5
    server = start(store, None)  # type: ignore[operator]
    ledger.check(exported_graphs(server.client), program)
    server.process.terminate()
    server.process.wait(timeout=30)
