"""Catalog.search (src/mlkg/search/): ranked full-text search over the catalog's entities, on both backends,
kept in step with every kind of write, and safe with any text a user types."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import mlkg
from mlkg.config import Settings
from mlkg.errors import InputError

BASE = "http://localhost:8000/id/"
MODEL = {
    "type": "mlmodel",
    "name": "customer_churn_predictor",
    "fullyQualifiedName": "mlflow_prod.customer_churn_predictor",
    "displayName": "Customer Churn Predictor",
    "description": "Predicts which customers leave next quarter.",
    "algorithm": "XGBoost",
    "mlFeatures": [{"name": "days_since_last_order", "dataType": "numerical"}],
    "tags": [{"tagFQN": "Tier.Tier1"}],
    "owners": [{"type": "team", "name": "data-science", "fullyQualifiedName": "data-science"}],
}
TABLE = {
    "type": "table",
    "name": "orders",
    "fullyQualifiedName": "pg.shop.public.orders",
    "description": "Every order placed in the web shop.",
    "columns": [
        {"name": "order_id", "dataType": "BIGINT"},
        {"name": "shippingAddress", "dataType": "VARCHAR", "tags": [{"tagFQN": "PII.Sensitive"}]},
    ],
    "owners": [{"type": "team", "name": "data-engineering", "fullyQualifiedName": "data-engineering"}],
}
MODEL_IRI = f"{BASE}model/mlflow_prod.customer_churn_predictor"
TABLE_IRI = f"{BASE}table/pg.shop.public.orders"


@pytest.fixture
def catalog(open_settings: Callable[[], Settings], tmp_path: Path) -> Iterator[mlkg.Catalog]:
    settings = open_settings().model_copy(update={"search_index": str(tmp_path / "search.sqlite3")})
    with mlkg.open(settings=settings) as opened:
        report = opened.load(MODEL, TABLE)
        assert not report.rejected, report.rejected
        yield opened


def _iris(catalog: mlkg.Catalog, q: str, **filters: Any) -> list[str]:
    return [hit.iri for hit in catalog.search(q, **filters).results]


def test_names_prefixes_split_words_columns_and_features_are_found(catalog: mlkg.Catalog) -> None:
    for text in ("churn", "chur", "customer_churn_predictor", "Customer Churn", "mlflow_prod.customer"):
        assert _iris(catalog, text)[:1] == [MODEL_IRI], text
    assert _iris(catalog, "days since") == [MODEL_IRI]  # a feature's name
    assert _iris(catalog, "churn_pred") == [MODEL_IRI]  # one identifier: its words in order
    assert _iris(catalog, "predictor_churn") == []
    assert _iris(catalog, "order_id") == [TABLE_IRI]  # a column's name
    assert _iris(catalog, "shipping address") == [TABLE_IRI]  # camel case split
    assert _iris(catalog, "xgboost") == []  # the algorithm is not searched text
    found = catalog.search("web shop")
    assert found.total == 1
    hit = found.results[0]
    assert (hit.type, hit.name, hit.fully_qualified_name, hit.owners) == (
        "table",
        "orders",
        "pg.shop.public.orders",
        ["data-engineering"],
    )
    assert hit.tags == ["PII.Sensitive"]  # a column's tag is the table's too
    assert [f.text for f in hit.highlights["description"] if f.match] == ["web", "shop"]


def test_a_name_ranks_above_a_description(catalog: mlkg.Catalog) -> None:
    catalog.load(
        {
            **TABLE,
            "fullyQualifiedName": "pg.shop.public.scores",
            "name": "scores",
            "columns": [],
            "description": "Scores of the churn predictor, written by the churn predictor every night.",
        }
    )
    ranked = catalog.search("churn predictor")
    assert [h.iri for h in ranked.results] == [MODEL_IRI, f"{BASE}table/pg.shop.public.scores"]
    assert ranked.results[0].score > ranked.results[1].score > 0


def test_filters_and_facets(catalog: mlkg.Catalog) -> None:
    everything = catalog.search("")
    assert everything.total >= 2 and everything.facets.type["model"] == 1
    assert _iris(catalog, "", type="mlmodel") == [MODEL_IRI]
    assert _iris(catalog, "", type="model") == [MODEL_IRI]
    assert _iris(catalog, "", tag="pii.sensitive") == [TABLE_IRI]
    assert _iris(catalog, "", owner="data-science") == [MODEL_IRI]
    narrowed = catalog.search("", type="table")
    assert narrowed.facets.type["model"] == 1  # the type facet ignores the type filter
    assert narrowed.facets.owner == {"data-engineering": 1}
    assert catalog.search("", tag="Tier.Tier1").facets.tag["PII.Sensitive"] == 1
    page = catalog.search("", limit=1, offset=1)
    assert page.total == everything.total and len(page.results) == 1
    assert page.results[0].iri == everything.results[1].iri


def test_any_text_is_a_plain_search(catalog: mlkg.Catalog) -> None:
    hostile = ['"', "NEAR(", 'churn" OR "x', "name:churn", "*", "churn*", "AND OR NOT", "(((", "\x00", "🤖"]
    for text in [*hostile, "'; DROP TABLE fts; --", "é" * 500]:
        found = catalog.search(text)
        assert found.query == text and found.total >= 0, text
    assert _iris(catalog, 'churn" OR "x') == []  # the words churn, or, x: all required
    assert _iris(catalog, "churn*")[:1] == [MODEL_IRI]  # the star is only a character
    assert _iris(catalog, "churn")[:1] == [MODEL_IRI]  # nothing was dropped


def test_bad_parameters_say_what_is_wrong(catalog: mlkg.Catalog) -> None:
    with pytest.raises(InputError, match="500"):
        catalog.search("x" * 501)
    with pytest.raises(InputError, match="unknown entity type 'nope'"):
        catalog.search("churn", type="nope")
    with pytest.raises(InputError, match="limit"):
        catalog.search("churn", limit=0)
    with pytest.raises(InputError, match="offset"):
        catalog.search("churn", offset=-1)


def test_the_index_follows_every_kind_of_write(catalog: mlkg.Catalog) -> None:
    assert _iris(catalog, "quarter") == [MODEL_IRI]
    catalog.load({**MODEL, "description": "Predicts attrition within a year."})  # a new version
    assert _iris(catalog, "quarter") == []
    assert _iris(catalog, "attrition") == [MODEL_IRI]
    catalog.load(
        {"type": "mlmodel", "fullyQualifiedName": MODEL["fullyQualifiedName"], "displayName": "Leavers"},
        merge=True,
    )
    assert _iris(catalog, "leavers") == [MODEL_IRI]
    catalog.update(
        f"DELETE {{ GRAPH <{TABLE_IRI}> {{ <{TABLE_IRI}> <https://w3id.org/mlkg#description> ?d }} }}"
        f" INSERT {{ GRAPH <{TABLE_IRI}> {{ <{TABLE_IRI}> <https://w3id.org/mlkg#description> 'refunds' }} }}"
        f" WHERE {{ GRAPH <{TABLE_IRI}> {{ <{TABLE_IRI}> <https://w3id.org/mlkg#description> ?d }} }}"
    )
    assert _iris(catalog, "refunds") == [TABLE_IRI] and _iris(catalog, "web shop") == []
    assert catalog.delete(MODEL_IRI)  # soft delete: the version record stays, the entity leaves search
    assert _iris(catalog, "churn") == []
    assert catalog.restore(MODEL_IRI, "0.3") is not None
    assert _iris(catalog, "churn") == [MODEL_IRI]
    catalog.update("DROP ALL")
    assert catalog.search("").total == 0


def test_history_and_internal_graphs_are_not_entities(catalog: mlkg.Catalog) -> None:
    catalog.load({**MODEL, "description": "Second description."})
    iris = {hit.iri for hit in catalog.search("", limit=1000).results}
    assert MODEL_IRI in iris
    assert not any("/versions/" in iri or "w3id.org/mlkg/graph" in iri for iri in iris)
    assert _iris(catalog, "quarter") == []  # the old description lives on only in the version record
