"""Observers of writes (:mod:`mlkg.reasoning.written`): every front door's write is told once, after it
committed, with the graphs and versions it changed; a failed write is never told."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rdflib import URIRef
from rdflib.namespace import RDFS

import mlkg
from mlkg.errors import MlkgError
from mlkg.reasoning.written import Written

TABLE = {
    "@type": "Table",
    "fullyQualifiedName": "warehouse.sales.orders",
    "name": "orders",
    "columns": [{"name": "id", "dataType": "INT"}],
}
ORDERS = URIRef("http://localhost:8000/id/table/warehouse.sales.orders")


@pytest.fixture
def catalog() -> mlkg.Catalog:
    return mlkg.open(store="memory:")


def _seen(catalog: mlkg.Catalog) -> list[Written]:
    seen: list[Written] = []
    catalog.store.observe(seen.append)
    return seen


def test_uploads_changes_and_deletes_are_told_with_their_versions(catalog: mlkg.Catalog) -> None:
    seen = _seen(catalog)
    catalog.load(TABLE)
    catalog.load(TABLE)  # the same description again: nothing written, nothing told
    catalog.load({**TABLE, "description": "every order"})
    catalog.delete(str(ORDERS))
    assert [w.graphs for w in seen] == [(ORDERS,), (ORDERS,), (ORDERS,)]
    assert [[(r.entity, r.version, r.change_type) for r in w.versions] for w in seen] == [
        [(ORDERS, Decimal("0.1"), "created")],
        [(ORDERS, Decimal("0.2"), "minor")],
        [(ORDERS, Decimal("0.3"), "deleted")],
    ]
    assert [w.deleted for w in seen] == [False, False, True]
    assert seen[1].versions[0].change  # the change description travels with the version


def test_raw_updates_name_their_graphs_or_say_everything(catalog: mlkg.Catalog) -> None:
    catalog.load(TABLE)
    seen = _seen(catalog)
    catalog.update(f"INSERT DATA {{ GRAPH <{ORDERS}> {{ <{ORDERS}> <{RDFS.comment}> 'x' }} }}")
    catalog.update("DROP ALL")
    assert [(w.graphs, w.everything) for w in seen] == [((ORDERS,), False), ((), True)]


def test_a_failed_write_is_not_told(catalog: mlkg.Catalog) -> None:
    seen = _seen(catalog)
    with pytest.raises(MlkgError):
        catalog.update("INSERT DATA { GRAPH <https://w3id.org/mlkg/graph/inferred> { <a:b> <a:c> 'd' } }")
    assert catalog.load({"@type": "Table", "name": 3}).rejected
    assert seen == []


def test_an_observer_that_fails_neither_undoes_the_write_nor_silences_the_others(
    catalog: mlkg.Catalog,
) -> None:
    def broken(_: Written) -> None:
        raise RuntimeError("index down")

    catalog.store.observe(broken)
    seen = _seen(catalog)
    assert not catalog.load(TABLE).rejected
    assert len(seen) == 1
    assert list(catalog.store.quads(graph=ORDERS))  # stored
    assert [v.version for v in catalog.versions(str(ORDERS))] == [Decimal("0.1")]
