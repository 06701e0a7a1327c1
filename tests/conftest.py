"""Fixtures shared by the whole suite. Keep this small."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import rdflib
from rdflib.compare import isomorphic

from mlkg.store.base import Store
from mlkg.store.oxigraph import OxigraphStore


@pytest.fixture
def store() -> Iterator[Store]:
    """An empty in-memory store (the backend the contract suite runs on)."""
    with OxigraphStore(path=None) as opened:
        yield opened


@pytest.fixture
def store_dir(tmp_path) -> str:
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
