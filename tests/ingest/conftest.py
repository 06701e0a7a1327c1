"""Fixtures of the ingest tests: one minter and one ingestor per session (they parse the shapes, ontology and
context once), a fresh in-memory store per test, and a guard that fails any network access loudly."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mlkg.config import DEFAULT_BASE_IRI, MEMORY_STORE, Settings
from mlkg.ids import IriMinter
from mlkg.ingest import Ingestor, InputFormat, Source
from mlkg.store import Store, open_store

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
def store() -> Iterator[Store]:
    with open_store(settings=Settings(store=MEMORY_STORE)) as opened:
        yield opened


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
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any attempt to open a network connection fail the test loudly."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
