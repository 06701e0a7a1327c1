"""Fixtures of the named-query tests: the demo catalog loaded into a store, with its lineage reasoned, on
each backend (the embedded store in memory, and a remote Oxigraph server of its own per catalog)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from tests.remote_server import BACKENDS, ServerFactory

from mlkg.config import DEFAULT_BASE_IRI, MEMORY_STORE, Settings
from mlkg.ids import IriMinter
from mlkg.ingest import Ingestor, InputFormat, Source
from mlkg.reasoning import load_ontology
from mlkg.reasoning.program import LineageProgram
from mlkg.reasoning.store import ReasonedStore
from mlkg.store import open_store
from mlkg.store.base import Store

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo"

#: Builds a store holding the demo catalog plus extra entity documents (plain JSON), reasoned.
CatalogFactory = Callable[[Sequence[dict[str, Any]]], Store]


def _reason(store: Store) -> None:
    """Compute the inferred graph with mlkg's reasoner (checked against owlrl in tests/reasoning)."""
    ReasonedStore(inner=store, program=LineageProgram.from_ontology(load_ontology())).recompute()


def _open_catalog(extra: Sequence[dict[str, Any]], settings: Settings) -> Store:
    """A new store with the demo catalog and ``extra`` documents loaded and reasoned."""
    sources = [
        Source(name=p.name, data=p.read_bytes(), format=InputFormat.JSON) for p in sorted(DEMO.glob("*.json"))
    ]
    if extra:
        sources.append(
            Source(name="extra.json", data=json.dumps(list(extra)).encode(), format=InputFormat.JSON)
        )
    store = open_store(settings=settings)
    try:
        ingestor = Ingestor(minter=IriMinter.from_ontology(base=DEFAULT_BASE_IRI), max_bytes=1 << 24)
        report = ingestor.ingest(store=store, sources=sources)
        assert report.ok, report.to_dict()["rejected"]
        _reason(store)
    except BaseException:
        store.close()
        raise
    return store


@pytest.fixture(scope="session", params=BACKENDS)
def catalog_factory(request: pytest.FixtureRequest) -> Iterator[CatalogFactory]:
    """Make stores of each backend holding the demo catalog plus extra documents, closed at the end of the
    session; on the remote backend each catalog gets its own Oxigraph server."""
    opened: list[Store] = []

    def settings() -> Settings:
        if request.param == "embedded":
            return Settings(store=MEMORY_STORE)
        servers: ServerFactory = request.getfixturevalue("oxigraph_servers")
        return servers().settings()

    def make(extra: Sequence[dict[str, Any]]) -> Store:
        store = _open_catalog(extra, settings())
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture(scope="session")
def demo_store(catalog_factory: CatalogFactory) -> Store:
    """The demo catalog (``examples/demo``), loaded and reasoned; shared by the session: read only."""
    return catalog_factory(())
