"""OpenMetadata's create requests and addLineage edges through the Python front door, on both backends.

What an addLineage edge becomes (one lineage-edge document: replaced whole when sent again, deleted cleanly),
that the inferred graph stays what a full recompute gives (``mlkg reason`` then adds and removes nothing),
the named queries that resolve references, and ``mlkg load``'s answer to an unknown reference.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rdflib import URIRef
from typer.testing import CliRunner

from mlkg.catalog import Catalog
from mlkg.cli import app
from mlkg.config import Settings
from mlkg.queries import QueryCatalog
from mlkg.store.base import SelectResult, Store
from mlkg.vocab import MLKG

FIXTURES = Path(__file__).parent.parent / "fixtures" / "openmetadata"
ID = "http://localhost:8000/id/"
CUSTOMERS = "postgres_prod.ecommerce.public.customers"
FEATURES = "snowflake.prod.features.churn_features"
#: The edge's IRI: each end's segment and FQN, one percent-encoded FQN segment each (mlkg.ingest.edges).
EDGE = (
    f"{ID}lineage/table.postgres_prod%2Eecommerce%2Epublic%2Ecustomers"
    ".table.snowflake%2Eprod%2Efeatures%2Echurn_features"
)


def fixture(name: str) -> dict[str, Any]:
    return dict(json.loads((FIXTURES / name).read_text(encoding="utf-8")))


@pytest.fixture
def catalog(store: Store) -> Iterator[Catalog]:
    with Catalog(settings=Settings(store="memory:"), store=store) as opened:
        for name in ("table-customers.json", "pipeline-churn-features.json", "mlmodel-customer-churn.json"):
            assert not opened.load(fixture(name)).rejected
        yield opened


def upstream_of(catalog: Catalog, fqn: str) -> set[str]:
    return {str(a.iri) for a in catalog.impact(fqn, direction="upstream").assets}


def exact(catalog: Catalog) -> None:
    stats = catalog.reason()
    assert (stats.inferred_added, stats.inferred_removed) == (0, 0)


def test_an_edge_is_one_document_replaced_whole_and_deleted_cleanly(catalog: Catalog) -> None:
    edge = fixture("add-lineage-customers-to-features.json")
    report = catalog.load(edge)
    assert [str(a.entity) for a in report.accepted] == [EDGE]
    exact(catalog)
    recency = f"{ID}column/{FEATURES}.recency"
    features = URIRef(f"{ID}table/{FEATURES}")
    assert [o for _, _, o, _ in catalog.store.quads(subject=features, predicate=MLKG.derivedFrom)] == [
        URIRef(f"{ID}table/{CUSTOMERS}")
    ]
    assert f"{ID}column/{CUSTOMERS}.last_purchase_date" in upstream_of(catalog, recency)

    # sent again with other column lineage: the edge's graph is replaced, the old column pair is gone
    edge["edge"]["lineageDetails"]["columnsLineage"] = [
        {"fromColumns": [f"{CUSTOMERS}.email"], "toColumn": f"{FEATURES}.email_domain"}
    ]
    assert not catalog.load(edge).rejected
    exact(catalog)
    assert not list(catalog.store.quads(subject=URIRef(recency)))  # only the old edge named that column
    assert f"{ID}column/{CUSTOMERS}.email" in upstream_of(catalog, f"{ID}column/{FEATURES}.email_domain")
    triples = list(catalog.store.quads(graph=URIRef(EDGE)))
    assert not any(p == MLKG.derivedFromColumn and str(s) == recency for s, p, _, _ in triples)

    # deleting the edge removes its lineage and leaves both tables' documents as they were
    customers_graph = sorted(catalog.store.quads(graph=URIRef(f"{ID}table/{CUSTOMERS}")))
    assert catalog.delete(EDGE)
    exact(catalog)
    features = URIRef(f"{ID}table/{FEATURES}")
    assert not list(catalog.store.quads(subject=features, predicate=MLKG.derivedFrom))
    assert not catalog.store.has_graph(graph=URIRef(EDGE))
    assert sorted(catalog.store.quads(graph=URIRef(f"{ID}table/{CUSTOMERS}"))) == customers_graph


def test_an_edge_to_an_entity_given_by_an_unknown_id_writes_nothing(catalog: Catalog) -> None:
    edge = fixture("add-lineage-customers-to-features.json")
    edge["edge"]["fromEntity"] = {"id": "00000000-0000-0000-0000-000000000000", "type": "table"}
    report = catalog.load(edge)
    assert not report.accepted
    assert report.rejected[0].where.endswith("#/edge/fromEntity/id")
    assert not catalog.store.has_graph(graph=URIRef(EDGE))


def test_an_edge_document_needs_both_ends(catalog: Catalog) -> None:
    report = catalog.load({"edge": {"fromEntity": {"type": "table", "fullyQualifiedName": CUSTOMERS}}})
    assert report.rejected[0].where.endswith("#/edge/toEntity")
    assert "toEntity" in report.rejected[0].message


def test_strings_still_refused_where_no_create_request_gives_one(catalog: Catalog) -> None:
    report = catalog.load({"type": "pipeline", "name": "p", "readsFrom": ["orders"]})
    assert "needs an IRI or an entity reference" in report.rejected[0].message


def rows(store: Store, query_name: str, **arguments: str) -> list[dict[str, str]]:
    query = QueryCatalog.load().get(name=query_name)
    result = query.run(store=store, arguments=arguments)
    assert isinstance(result, SelectResult)
    return [{k: str(v) for k, v in row.items()} for row in result.dicts()]


def test_the_reference_queries_answer_alike_on_every_backend(catalog: Catalog) -> None:
    found = rows(catalog.store, "entities-by-id", id="col-uuid-1")
    column = f"{ID}column/{CUSTOMERS}.last_purchase_date"
    assert {r["entity"] for r in found} == {column}
    assert str(MLKG.Column) in {r["class"] for r in found}
    assert rows(catalog.store, "owners-named", name="data-science") == [
        {"name": "data-science", "owner": f"{ID}team/data-science", "class": str(MLKG.Team)}
    ]
    assert rows(catalog.store, "owners-named", name="nobody") == []


def test_mlkg_load_of_an_unknown_reference_exits_2_with_one_line(tmp_path: Path) -> None:
    request = {**fixture("create-mlmodel-request.json"), "owners": [{"id": "nobody-uuid", "type": "user"}]}
    path = tmp_path / "request.json"
    path.write_text(json.dumps(request), encoding="utf-8")
    store = str(tmp_path / "store")
    result = CliRunner().invoke(app, ["load", "--store", store, str(path)], catch_exceptions=False)
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if "nobody-uuid" in line]
    assert len(errors) == 1 and "#/owners/0/id" in errors[0], result.stderr
