"""Fixtures of the ingest tests: one minter and one ingestor per session (they parse the shapes, ontology and
context once), a fresh store of each backend per test, and a guard that fails any network access loudly."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlkg.config import DEFAULT_BASE_IRI
from mlkg.ids import IriMinter
from mlkg.ingest import Ingestor, InputFormat, Source
from mlkg.store import Store

DATA = Path(__file__).parent / "data"
BASE = DEFAULT_BASE_IRI
MODEL = f"{BASE}model/mlflow_prod.customer_churn_predictor"
COLUMN = f"{BASE}column/postgres_prod.ecommerce.public.customers.last_purchase_date"

MakeSource = Callable[..., Source]


@pytest.fixture(scope="session")
def minter() -> IriMinter:
    return IriMinter.from_ontology(base=BASE)


@pytest.fixture(scope="session")
def ingestor(minter: IriMinter) -> Ingestor:
    return Ingestor(minter=minter, max_bytes=64 * 1024)


@pytest.fixture
def store(opened_store: Store) -> Store:
    """An empty store of each backend (embedded, remote Oxigraph server), the ontology installed."""
    return opened_store


@pytest.fixture
def make_source() -> MakeSource:
    """``make_source(data, name=..., format=...)``: a Source from a dict/list (as JSON), str or bytes."""

    def make(data: Any, *, name: str = "doc.json", format: InputFormat | None = None) -> Source:
        if isinstance(data, dict | list):
            raw = json.dumps(data).encode()
        elif isinstance(data, str):
            raw = data.encode()
        else:
            raw = data
        return Source(name=name, data=raw, format=format or InputFormat.from_path(name))

    return make


@pytest.fixture
def openmetadata_model() -> bytes:
    """A complete OpenMetadata MlModel document, as OpenMetadata documents it (no @context)."""
    return (DATA / "mlmodel-customer-churn.json").read_bytes()


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """Make any attempt to open a network connection fail the test loudly; a test running on the remote
    backend may still reach its own Oxigraph server (loopback, its port), and nothing else."""
    allowed: set[tuple[str, int]] = set()
    if "store" in request.fixturenames and request.getfixturevalue("backend") == "remote":
        url = request.getfixturevalue("oxigraph_server").url
        host, port = url.removeprefix("http://").rsplit(":", 1)
        allowed.add((host, int(port)))

    def guard(original: Callable[..., Any], address_at: int) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            address = args[address_at] if len(args) > address_at else None
            if isinstance(address, tuple) and (str(address[0]), int(address[1])) in allowed:
                return original(*args, **kwargs)
            if address_at == 0 and len(args) > 1 and (str(args[0]), int(args[1] or 0)) in allowed:
                return original(*args, **kwargs)  # getaddrinfo(host, port)
            raise AssertionError(f"network access attempted: {args!r}")

        return call

    monkeypatch.setattr(socket.socket, "connect", guard(socket.socket.connect, 1))
    monkeypatch.setattr(socket.socket, "connect_ex", guard(socket.socket.connect_ex, 1))
    monkeypatch.setattr(socket, "create_connection", guard(socket.create_connection, 0))
    monkeypatch.setattr(socket, "getaddrinfo", guard(socket.getaddrinfo, 0))
