"""Fixtures of the HTTP tests: apps made by ``create_app`` over in-memory stores, driven by a test client."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from mlkg.api import create_app
from mlkg.config import MEMORY_STORE, Settings

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

ClientFactory = Callable[..., TestClient]


@pytest.fixture
def make_client() -> Iterator[ClientFactory]:
    """Make test clients over fresh in-memory apps: ``make_client(demo=True, token=TOKEN, **settings)``."""
    clients: list[TestClient] = []

    def make(*, demo: bool = False, token: str | None = TOKEN, **settings: object) -> TestClient:
        config = Settings(store=MEMORY_STORE, write_token=token, **settings)  # type: ignore[arg-type]
        client = TestClient(create_app(config, demo=demo))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture(scope="module")
def demo_client() -> Iterator[TestClient]:
    """A read-only app over the demo catalog, shared by a test module (tests must not write through it)."""
    app = create_app(Settings(store=MEMORY_STORE, write_token=TOKEN), demo=True)
    with TestClient(app) as client:
        yield client


@pytest.fixture
def client(make_client: ClientFactory) -> TestClient:
    """A fresh empty app with a write token, for tests that write."""
    return make_client()
