"""Fixtures shared by the whole suite. Keep this small.

The ``store`` fixture is parametrized over both backends, so every test taking it runs on the embedded store
and on the remote backend (a real Oxigraph server, PyPI package ``oxigraph``, started once per session on
127.0.0.1 with a throw-away directory, stopped by its process id, and emptied before each test). Without the
``oxigraph`` command the remote runs are skipped, unless ``MLKG_REQUIRE_REMOTE=1`` (set by ``.ci/run``),
which makes a missing server an error.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import rdflib
from rdflib.compare import isomorphic
from tests.remote_server import BACKENDS, ExternalEngine, OxigraphServer, ServerFactory, oxigraph_binary

from mlkg.config import MEMORY_STORE, Settings
from mlkg.store import open_store
from mlkg.store.base import Store
from mlkg.store.oxigraph import OxigraphStore
from mlkg.store.sparql import SparqlStore


@pytest.fixture(scope="session")
def oxigraph_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerFactory]:
    """``start(union=True)`` starts a new Oxigraph server with its own temporary directory; every server
    started is stopped at the end of the session."""
    binary = oxigraph_binary()
    if binary is None:
        message = "the Oxigraph server (pip install oxigraph) is not installed: remote backend not tested"
        if os.environ.get("MLKG_REQUIRE_REMOTE") == "1":
            pytest.fail(message + " (MLKG_REQUIRE_REMOTE=1)")
        pytest.skip(message)
    started: list[OxigraphServer] = []

    def start(*, union: bool = True) -> OxigraphServer:
        server = OxigraphServer(binary=binary, location=tmp_path_factory.mktemp("oxigraph"), union=union)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def oxigraph_server(oxigraph_servers: ServerFactory) -> OxigraphServer:
    """The Oxigraph server the ``store`` fixture's remote runs share (emptied before each test), or the
    engine named by ``MLKG_TEST_SPARQL_ENDPOINT`` when set (see ``tests.remote_server.ExternalEngine``)."""
    external = os.environ.get("MLKG_TEST_SPARQL_ENDPOINT")
    if external:
        return ExternalEngine(
            query=external,
            update=os.environ.get("MLKG_TEST_UPDATE_ENDPOINT"),
            gsp=os.environ.get("MLKG_TEST_GSP_ENDPOINT"),
        )
    return oxigraph_servers()


@pytest.fixture(scope="module")
def fresh_remote(request: pytest.FixtureRequest) -> OxigraphServer:
    """An empty remote engine for one module: a new Oxigraph server, or the engine named by
    ``MLKG_TEST_SPARQL_ENDPOINT`` emptied."""
    if os.environ.get("MLKG_TEST_SPARQL_ENDPOINT"):
        engine: OxigraphServer = request.getfixturevalue("oxigraph_server")
        engine.clear()
        return engine
    servers: ServerFactory = request.getfixturevalue("oxigraph_servers")
    return servers()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store(backend: str, request: pytest.FixtureRequest) -> Iterator[Store]:
    """An empty store of each backend: embedded in memory, or the shared Oxigraph server emptied."""
    if backend == "embedded":
        with OxigraphStore(path=None) as opened:
            yield opened
        return
    server: OxigraphServer = request.getfixturevalue("oxigraph_server")
    server.clear()
    with SparqlStore(endpoints=server.endpoints) as remote:
        yield remote


@pytest.fixture
def open_settings(backend: str, request: pytest.FixtureRequest) -> Callable[[], Settings]:
    """Settings opening an empty store of each backend through :func:`mlkg.store.open_store`."""
    if backend == "embedded":
        return lambda: Settings(store=MEMORY_STORE)
    server: OxigraphServer = request.getfixturevalue("oxigraph_server")

    def settings() -> Settings:
        server.clear()
        return server.settings()

    return settings


@pytest.fixture
def opened_store(open_settings: Callable[[], Settings]) -> Iterator[Store]:
    """An empty store of each backend opened by :func:`mlkg.store.open_store` (ontology installed)."""
    with open_store(settings=open_settings()) as opened:
        yield opened


@pytest.fixture
def store_dir(tmp_path: Path) -> str:
    """A fresh directory path for an on-disk embedded store (not created yet)."""
    return str(tmp_path / "store")


def _graphs(dataset: rdflib.Dataset) -> dict[str, rdflib.Graph]:
    graphs: dict[str, rdflib.Graph] = {}
    for s, p, o, g in dataset.quads((None, None, None, None)):
        graphs.setdefault(str(g), rdflib.Graph()).add((s, p, o))
    return graphs


def datasets_isomorphic(a: rdflib.Dataset, b: rdflib.Dataset) -> bool:
    """True if both datasets have the same named graphs and each pair of graphs is isomorphic."""
    left, right = _graphs(a), _graphs(b)
    return left.keys() == right.keys() and all(isomorphic(left[k], right[k]) for k in left)


@pytest.fixture
def same_dataset() -> Callable[[rdflib.Dataset, rdflib.Dataset], bool]:
    """Compare two rdflib datasets graph by graph, by isomorphism."""
    return datasets_isomorphic
