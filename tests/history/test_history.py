"""Entity history through the Python front door, on both backends (the ``store`` fixture): the version rule,
the history and diff a user reads, restore, soft and hard delete with lineage and queries following, and a
reload that changes nothing writing nothing (issue 14, points 1 to 5)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from rdflib import URIRef

import mlkg
import mlkg.vocab
from mlkg.catalog import Catalog
from mlkg.config import Settings
from mlkg.store import SelectResult, Store
from mlkg.vocab import INFERRED_GRAPH

ORDERS = "pg.shop.public.orders"
CHURN = "mlflow.churn"

TABLE: dict[str, Any] = {
    "type": "table",
    "name": "orders",
    "fullyQualifiedName": ORDERS,
    "description": "One row per order.",
    "columns": [{"name": "id", "dataType": "BIGINT"}, {"name": "amount", "dataType": "DECIMAL"}],
}
MODEL: dict[str, Any] = {
    "type": "mlmodel",
    "name": "churn",
    "fullyQualifiedName": CHURN,
    "description": "Who will leave.",
    "algorithm": "XGBoost",
    "mlFeatures": [
        {
            "name": "amount",
            "dataType": "numerical",
            "featureSources": [
                {
                    "name": "amount",
                    "dataType": "number",
                    "dataSource": {"type": "column", "fullyQualifiedName": f"{ORDERS}.amount"},
                }
            ],
        }
    ],
}


class Clock:
    """A clock a test moves: each version gets a later time."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture
def catalog(store: Store) -> Iterator[Catalog]:
    with Catalog(settings=Settings(store="memory:"), store=store, actor="alice") as opened:
        opened.history.clock = Clock()
        assert not opened.load(TABLE, MODEL).rejected
        yield opened


def changed(document: dict[str, Any], **fields: Any) -> dict[str, Any]:
    out = copy.deepcopy(document)
    out.update(fields)
    return out


def numbers(catalog: Catalog, entity: str) -> list[tuple[str, str]]:
    return [(str(r.version), r.change_type) for r in catalog.versions(entity)]


def count(catalog: Catalog, query: str) -> int:
    result = catalog.query(query)
    assert isinstance(result, SelectResult)
    return len(result.rows)


def stored_triples(catalog: Catalog) -> int:
    return count(catalog, "SELECT * { GRAPH ?g { ?s ?p ?o } }")


def test_a_new_entity_is_0_1_and_an_identical_reload_writes_nothing(catalog: Catalog) -> None:
    assert numbers(catalog, CHURN) == [("0.1", "created")]
    before = stored_triples(catalog)
    report = catalog.load(TABLE, MODEL)
    assert len(report.accepted) == 2 and not report.rejected
    assert stored_triples(catalog) == before
    assert numbers(catalog, CHURN) == [("0.1", "created")]
    assert all(v is None for v in catalog.store.versions.values())


def test_the_entity_carries_its_current_version(catalog: Catalog) -> None:
    ask = (
        f"SELECT ?v {{ ?e <https://w3id.org/mlkg#fullyQualifiedName> '{CHURN}' ; "
        "<https://w3id.org/mlkg#entityVersion> ?v }"
    )
    result = catalog.query(ask)
    assert isinstance(result, SelectResult)
    assert [str(row[0]) for row in result.rows] == ["0.1"]
    catalog.load(changed(MODEL, description="Who will churn."))
    result = catalog.query(ask)
    assert isinstance(result, SelectResult)
    assert [str(row[0]) for row in result.rows] == ["0.2"]  # exactly one: the superseded record lost it


@pytest.mark.parametrize(
    ("document", "change", "expected"),
    [
        (MODEL, {"description": "Who will churn."}, ("0.2", "minor")),
        (MODEL, {"algorithm": "LightGBM"}, ("1.1", "major")),
        (MODEL, {"server": "http://serving.internal/churn"}, ("0.2", "minor")),  # added, not replaced
        (TABLE, {"columns": [*TABLE["columns"], {"name": "vat", "dataType": "DECIMAL"}]}, ("0.2", "minor")),
        (TABLE, {"columns": TABLE["columns"][:1]}, ("1.1", "major")),  # a column removed
        (
            TABLE,
            {"columns": [TABLE["columns"][0], {"name": "amount", "dataType": "DOUBLE"}]},
            ("1.1", "major"),
        ),
    ],
    ids=[
        "model-description",
        "model-algorithm",
        "model-server-added",
        "column-added",
        "column-removed",
        "type-changed",
    ],
)
def test_the_version_rule(
    catalog: Catalog, document: dict[str, Any], change: dict[str, Any], expected: tuple[str, str]
) -> None:
    catalog.load(changed(document, **change))
    assert numbers(catalog, document["fullyQualifiedName"])[0] == expected


def test_a_changed_server_is_major(catalog: Catalog) -> None:
    catalog.load(changed(MODEL, server="http://serving.internal/a"))
    catalog.load(changed(MODEL, server="http://serving.internal/b"))
    assert numbers(catalog, CHURN) == [("1.2", "major"), ("0.2", "minor"), ("0.1", "created")]


def test_history_reads_as_openmetadata_shows_it(catalog: Catalog) -> None:
    catalog.load(changed(MODEL, description="Who will churn."))
    catalog.load(changed(MODEL, description="Who will churn.", algorithm="LightGBM"))
    shown = [r.as_json() for r in catalog.versions(CHURN)]
    assert [v["version"] for v in shown] == ["1.2", "0.2", "0.1"]
    newest = shown[0]
    assert newest["updatedBy"] == "alice"
    assert datetime.fromisoformat(newest["updatedAt"]) > datetime.fromisoformat(shown[1]["updatedAt"])
    assert newest["changeDescription"] == {
        "fieldsAdded": [],
        "fieldsUpdated": [{"name": "algorithm", "oldValue": "XGBoost", "newValue": "LightGBM"}],
        "fieldsDeleted": [],
    }
    assert shown[1]["changeDescription"]["fieldsUpdated"] == [
        {"name": "description", "oldValue": "Who will leave.", "newValue": "Who will churn."}
    ]
    assert newest["previousVersion"] == "0.2" and "previousVersion" not in shown[2]


def test_diff_names_nested_fields(catalog: Catalog) -> None:
    retyped = [TABLE["columns"][0], {"name": "amount", "dataType": "DOUBLE"}]
    catalog.load(changed(TABLE, columns=retyped))
    catalog.load(changed(TABLE, columns=[*retyped, {"name": "vat", "dataType": "DECIMAL"}]))
    diff = catalog.diff(ORDERS, "0.1", "1.1").as_json()
    assert diff["fieldsUpdated"] == [
        {"name": "columns.amount.dataType", "oldValue": "DECIMAL", "newValue": "DOUBLE"}
    ]
    later = catalog.diff(ORDERS, "1.1", "1.2").as_json()
    assert {f["name"] for f in later["fieldsAdded"]} >= {"columns.vat.dataType", "columns.vat.name"}
    assert {"name": "columns", "oldValue": ["amount", "id"], "newValue": ["amount", "id", "vat"]} in later[
        "fieldsUpdated"
    ]
    with pytest.raises(mlkg.NotFoundError):
        catalog.diff(ORDERS, "0.1", "7.0")
    with pytest.raises(mlkg.InputError):
        catalog.diff(ORDERS, "0.1", "latest")


def test_restore_makes_an_old_version_current_as_a_new_one(catalog: Catalog) -> None:
    model = catalog.resolve(CHURN)
    first = set(catalog.version(CHURN, "0.1"))
    catalog.load(changed(MODEL, algorithm="LightGBM"))
    records_before = {str(r.version): r.as_json() for r in catalog.versions(CHURN)}
    assert catalog.restore(CHURN, "0.1") == Decimal("2.1")  # the algorithm goes back: major
    assert set(catalog.store.quads(graph=model)) >= {(s, p, o, model) for s, p, o in first}
    newest = catalog.versions(CHURN)[0]
    assert (newest.change_type, str(newest.restored_from)) == ("restored", "0.1")
    for record in catalog.versions(CHURN)[1:]:  # history is not rewritten
        assert record.as_json() == records_before[str(record.version)]
    assert catalog.restore(CHURN, "2.1") is None  # it is already that


def test_soft_delete_leaves_lineage_and_queries_and_restore_brings_it_back(catalog: Catalog) -> None:
    model = str(catalog.resolve(CHURN))
    assert {a.kind for a in catalog.impact(ORDERS)} >= {"model"}
    assert catalog.delete(CHURN) is True
    assert "model" not in {a.kind for a in catalog.impact(ORDERS)}
    assert count(catalog, "SELECT ?m { ?m a <https://w3id.org/mlkg#Model> }") == 0
    assert numbers(catalog, model)[0] == ("0.2", "deleted")
    assert catalog.versions(model)[0].deleted
    with pytest.raises(mlkg.InputError):
        catalog.restore(model, "0.2")  # the deletion itself has no description
    assert catalog.restore(model, "0.1") == Decimal("0.3")
    assert "model" in {a.kind for a in catalog.impact(ORDERS)}
    assert catalog.reason().inferred_added == 0  # the inferred graph followed every step
    assert catalog.store.last is not None and catalog.store.last.inferred_removed == 0


def test_reloading_a_deleted_entity_continues_its_history(catalog: Catalog) -> None:
    catalog.delete(CHURN)
    model = str(catalog.resolve(f"http://localhost:8000/id/model/{CHURN}"))
    catalog.load(changed(MODEL, description="Back."))
    assert numbers(catalog, model)[:2] == [("0.3", "minor"), ("0.2", "deleted")]
    assert catalog.versions(model)[0].change["fieldsUpdated"][0]["name"] == "description"


def test_hard_delete_removes_the_entity_and_its_history(catalog: Catalog) -> None:
    model = URIRef(str(catalog.resolve(CHURN)))
    catalog.load(changed(MODEL, description="Who will churn."))
    assert catalog.delete(CHURN, hard=True) is True
    left = count(catalog, f"SELECT ?g {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), '{model}')) }}")
    assert left == 0
    assert not catalog.store.has_graph(graph=model)
    assert not any(catalog.store.quads(graph=INFERRED_GRAPH, subject=model))


def test_a_soft_deleted_entity_can_be_hard_deleted_by_its_iri(catalog: Catalog) -> None:
    model = str(catalog.resolve(CHURN))
    catalog.delete(CHURN)
    assert catalog.delete(model, hard=True) is True
    assert catalog.versions(TABLE["fullyQualifiedName"])  # other entities keep theirs
    assert count(catalog, f"SELECT ?v {{ ?v <http://www.w3.org/ns/prov#specializationOf> <{model}> }}") == 0


def kinds(report: object) -> set[str]:
    return {asset.kind for asset in report}  # type: ignore[attr-defined]


def test_impact_and_versions_as_of_a_past_instant(catalog: Catalog) -> None:
    model = str(catalog.resolve(CHURN))
    created = catalog.versions(CHURN)[0].at
    assert created is not None
    catalog.load(changed(MODEL, algorithm="LightGBM"))
    changed_at = catalog.versions(CHURN)[0].at
    catalog.delete(CHURN)
    assert "model" not in kinds(catalog.impact(ORDERS))

    with catalog.as_of(created) as past:
        assert "model" in kinds(past.impact(ORDERS))
        algorithm = past.query("SELECT ?a { ?m <https://w3id.org/mlkg#algorithm> ?a }")
        assert isinstance(algorithm, SelectResult)
        assert [str(row[0]) for row in algorithm.rows] == ["XGBoost"]
        with pytest.raises(mlkg.StoreError):
            past.load(MODEL)
    with catalog.as_of(created - timedelta(days=1)) as before, pytest.raises(mlkg.NotFoundError):
        before.impact(ORDERS)  # nothing existed yet

    record, triples = catalog.version_at(model, changed_at.isoformat() if changed_at else "")
    assert record is not None and str(record.version) == "1.1" and triples
    assert catalog.version_at(model, datetime.now(UTC) + timedelta(days=1)) == (None, [])  # deleted since
    with pytest.raises(mlkg.InputError):
        catalog.as_of("last tuesday")


def test_a_merge_upload_adds_to_an_entity_without_wiping_what_it_does_not_mention(catalog: Catalog) -> None:
    """DataHub-style emitters send an entity piece by piece (issue 14, point 6)."""
    model = catalog.resolve(CHURN)
    partial = {"type": "mlmodel", "fullyQualifiedName": CHURN, "description": "Who will churn."}
    report = catalog.load(partial, merge=True)
    assert not report.rejected, report.rejected
    algorithm = catalog.query(f"SELECT ?a {{ <{model}> <https://w3id.org/mlkg#algorithm> ?a }}")
    description = catalog.query(f"SELECT ?d {{ <{model}> <https://w3id.org/mlkg#description> ?d }}")
    assert isinstance(algorithm, SelectResult) and isinstance(description, SelectResult)
    assert [str(r[0]) for r in algorithm.rows] == ["XGBoost"]  # not mentioned: kept
    assert [str(r[0]) for r in description.rows] == ["Who will churn."]  # given: replaced, not doubled
    assert numbers(catalog, CHURN)[0] == ("0.2", "minor")

    feature = {
        "name": "id_count",
        "dataType": "numerical",
        "featureSources": [
            {
                "name": "id",
                "dataType": "number",
                "dataSource": {"type": "column", "fullyQualifiedName": f"{ORDERS}.id"},
            }
        ],
    }
    catalog.load({"type": "mlmodel", "fullyQualifiedName": CHURN, "mlFeatures": [feature]}, merge=True)
    upstream = {str(a.iri) for a in catalog.impact(CHURN, direction="upstream")}
    columns = {f"http://localhost:8000/id/column/{ORDERS}.{name}" for name in ("amount", "id")}
    assert columns <= upstream  # the first feature's column stays, the new one's is added

    before = stored_triples(catalog)
    assert catalog.load(partial, merge=True).accepted  # the same piece again: nothing changes
    assert stored_triples(catalog) == before
    replaced = catalog.load(partial)  # without merge the document is the whole entity: a model needs a name
    assert replaced.rejected and stored_triples(catalog) == before


def model_version(number: int, **fields: Any) -> dict[str, Any]:
    return {
        "type": "modelVersion",
        "name": f"v{number}",
        "fullyQualifiedName": f"{CHURN}.v{number}",
        "version": str(number),
        "versionOf": {"type": "mlmodel", "fullyQualifiedName": CHURN},
        **fields,
    }


def stage_and_aliases(catalog: Catalog, number: int) -> tuple[str | None, set[str]]:
    version = catalog.resolve(f"{CHURN}.v{number}")
    triples = list(catalog.store.quads(graph=version))
    stage = next((str(o) for _, p, o, _ in triples if p == mlkg.vocab.MLKG.stage), None)
    return stage, {str(o) for _, p, o, _ in triples if p == mlkg.vocab.MLKG.alias}


def test_an_alias_names_one_version_and_its_move_is_recorded(catalog: Catalog) -> None:
    catalog.load(
        model_version(1, aliases=["champion"], stage="Production"), model_version(2, stage="Staging")
    )
    catalog.load(model_version(2, aliases=["champion"], stage="Staging"))
    assert stage_and_aliases(catalog, 1) == ("Production", set())
    assert stage_and_aliases(catalog, 2) == ("Staging", {"champion"})
    moved = catalog.versions(f"{CHURN}.v1")[0]
    assert (str(moved.version), moved.change["fieldsDeleted"]) == (
        "0.2",
        [{"name": "aliases", "oldValue": "champion"}],
    )


def test_a_transition_can_archive_the_existing_versions_of_its_stage(catalog: Catalog) -> None:
    catalog.load(
        model_version(1, stage="Production"),
        model_version(2, stage="Staging"),
        model_version(3, stage="Production"),
    )
    catalog.load(model_version(2, stage="Production", archiveExistingVersions=True))
    assert [stage_and_aliases(catalog, n)[0] for n in (1, 2, 3)] == ["Archived", "Production", "Archived"]
    two = catalog.resolve(f"{CHURN}.v2")
    assert not any(
        p == mlkg.vocab.MLKG.archiveExistingVersions for _, p, _, _ in catalog.store.quads(graph=two)
    )
    change = catalog.versions(f"{CHURN}.v1")[0].change
    assert change["fieldsUpdated"] == [{"name": "stage", "oldValue": "Production", "newValue": "Archived"}]
    transition = catalog.versions(f"{CHURN}.v2")[0]
    assert transition.by == "alice" and transition.change["fieldsUpdated"][0]["name"] == "stage"


def test_key_value_tags_are_queryable_pairs(catalog: Catalog) -> None:
    catalog.load(changed(MODEL, tags={"team": "risk", "tier": 1}))
    pairs = catalog.query(
        "SELECT ?key ?value { ?m <https://w3id.org/mlkg#sourceTag> ?t . "
        "?t <https://w3id.org/mlkg#name> ?key ; <https://w3id.org/mlkg#value> ?value } ORDER BY ?key"
    )
    assert isinstance(pairs, SelectResult)
    assert [(str(k), str(v)) for k, v in pairs.rows] == [("team", "risk"), ("tier", "1")]
    with_labels = catalog.load(changed(MODEL, tags=["Tier.Tier1"]))  # a list stays OpenMetadata tag labels
    assert not with_labels.rejected


def named(catalog: Catalog, name: str, **arguments: str) -> list[dict[str, str]]:
    from mlkg.queries import QueryCatalog

    result = QueryCatalog.load().get(name=name).run(store=catalog.store, arguments=arguments)
    assert isinstance(result, SelectResult)
    return [{k: str(v) for k, v in row.items()} for row in result.dicts()]


def test_latest_version_by_stage_or_alias(catalog: Catalog) -> None:
    catalog.load(
        model_version(1, stage="Archived"),
        model_version(2, stage="Production", aliases=["champion"]),
        model_version(10, stage="Staging", aliases=["challenger"]),  # 10 > 2: numbers, not text
    )
    model = str(catalog.resolve(CHURN))

    def latest(**filters: str) -> str | None:
        rows = named(catalog, "latest-version", model=model, **filters)
        return rows[0]["name"] if rows else None

    assert latest() == f"{CHURN}.v10"
    assert latest(stage="Production") == f"{CHURN}.v2"
    assert latest(alias="champion") == f"{CHURN}.v2"
    assert latest(stage="Production", alias="challenger") is None
    catalog.load(
        model_version(10, stage="Staging", aliases=["champion"])
    )  # the alias moves: rollback is a move
    assert latest(alias="champion") == f"{CHURN}.v10"


def test_compare_versions_side_by_side(catalog: Catalog) -> None:
    first = model_version(1, algorithm="XGBoost", metrics=[{"name": "auc", "value": 0.8}], stage="Archived")
    second = model_version(
        2, algorithm="LightGBM", metrics=[{"name": "auc", "value": 0.9}, {"name": "f1", "value": 0.7}]
    )
    catalog.load(first, second)
    rows = named(
        catalog,
        "compare-versions",
        first=str(catalog.resolve(f"{CHURN}.v1")),
        second=str(catalog.resolve(f"{CHURN}.v2")),
    )
    shown = {(r["field"], r["name"]): (r.get("firstValue"), r.get("secondValue")) for r in rows}
    assert shown[("algorithm", "")] == ("XGBoost", "LightGBM")
    assert shown[("metric", "auc")] == ("0.8", "0.9")
    assert shown[("metric", "f1")] == (None, "0.7")
    assert shown[("stage", "")] == ("Archived", None)


# -- JSON Patch (issue 14, point 6) ------------------------------------------------------------------------


def column_index(catalog: Catalog, name: str) -> int:
    return [c["name"] for c in catalog.document(ORDERS)["columns"]].index(name)


def test_a_json_patch_edits_the_entity_document_as_a_new_version(catalog: Catalog) -> None:
    document = catalog.document(ORDERS)
    assert document["@id"].endswith(f"/table/{ORDERS}") and document["description"] == "One row per order."
    assert [c["name"] for c in document["columns"]] == ["amount", "id"]  # sorted: stable pointers
    assert catalog.patch(ORDERS, [{"op": "replace", "path": "/description", "value": "Orders."}]) == Decimal(
        "0.2"
    )
    assert catalog.document(ORDERS)["description"] == "Orders."
    change = catalog.versions(ORDERS)[0].change
    assert change["fieldsUpdated"] == [
        {"name": "description", "oldValue": "One row per order.", "newValue": "Orders."}
    ]

    # removing a column is a major change, and lineage follows: the model no longer depends on the table
    assert "model" in kinds(catalog.impact(ORDERS))
    version = catalog.patch(ORDERS, [{"op": "remove", "path": f"/columns/{column_index(catalog, 'amount')}"}])
    assert version == Decimal("1.2")
    assert "model" not in kinds(catalog.impact(ORDERS))
    assert [c["name"] for c in catalog.document(ORDERS)["columns"]] == ["id"]
    # an empty patch changes nothing and makes no version
    assert catalog.patch(ORDERS, []) is None
    assert numbers(catalog, ORDERS)[0] == ("1.2", "major")


@pytest.mark.parametrize(
    ("operations", "error", "message"),
    [
        ([{"op": "remove", "path": "/name"}], mlkg.ValidationError, "needs a name"),
        ([{"op": "test", "path": "/description", "value": "stale"}], mlkg.ConflictError, "test failed"),
        ([{"op": "remove", "path": "/owner"}], mlkg.InputError, "cannot be applied"),
        ([{"op": "jump", "path": "/name"}], mlkg.InputError, "cannot be applied"),
        ([{"path": "/name"}], mlkg.InputError, "cannot be applied"),
        ([{"op": "replace", "path": "/fullyQualifiedName", "value": "x"}], mlkg.InputError, "cannot change"),
        ([{"op": "replace", "path": "/@id", "value": "https://ex.org/x"}], mlkg.InputError, "cannot change"),
        ([{"op": "remove", "path": "/@context"}], mlkg.InputError, "cannot change"),
    ],
)
def test_a_patch_that_fails_changes_nothing(
    catalog: Catalog, operations: list[dict[str, Any]], error: type[Exception], message: str
) -> None:
    before, triples = catalog.document(ORDERS), stored_triples(catalog)
    with pytest.raises(error, match=message):
        catalog.patch(ORDERS, [{"op": "replace", "path": "/description", "value": "x"}, *operations])
    assert catalog.document(ORDERS) == before
    assert stored_triples(catalog) == triples
    assert numbers(catalog, ORDERS) == [("0.1", "created")]


def test_a_patch_is_conditional_on_a_version(catalog: Catalog) -> None:
    catalog.patch(ORDERS, [{"op": "replace", "path": "/description", "value": "a"}], version="0.1")
    with pytest.raises(mlkg.PreconditionError, match=r"at version 0\.2, not 0\.1"):
        catalog.patch(ORDERS, [{"op": "replace", "path": "/description", "value": "b"}], version="0.1")
    assert catalog.document(ORDERS)["description"] == "a"


def test_only_an_entity_with_a_document_of_its_own_is_patched(catalog: Catalog) -> None:
    with pytest.raises(mlkg.NotFoundError, match="no document of its own"):
        catalog.patch(f"{ORDERS}.amount", [{"op": "add", "path": "/description", "value": "x"}])
    catalog.delete(ORDERS)
    with pytest.raises(mlkg.DeletedError):
        catalog.document(f"{catalog.settings.base_iri}table/{ORDERS}")


# -- registry numbers and transition comments (issue 14, point 7) ----------------------------------------


def registry_number(catalog: Catalog, fqn: str) -> str:
    triples = catalog.store.quads(graph=catalog.resolve(fqn), predicate=mlkg.vocab.MLKG.version)
    return next(str(o) for _, _, o, _ in triples)


def test_version_numbers_are_assigned_when_a_document_omits_them(catalog: Catalog) -> None:
    def unnumbered(name: str, **fields: Any) -> dict[str, Any]:
        document = model_version(0, name=name, fullyQualifiedName=f"{CHURN}.{name}", **fields)
        del document["version"]
        return document

    catalog.load(model_version(1), model_version(4))
    catalog.load(unnumbered("candidate"), unnumbered("retrained"))
    assert [registry_number(catalog, f"{CHURN}.{n}") for n in ("candidate", "retrained")] == ["5", "6"]
    # a version keeps its number when a later document omits it again
    catalog.load(unnumbered("candidate", description="Tuned."))
    assert registry_number(catalog, f"{CHURN}.candidate") == "5"
    assert numbers(catalog, f"{CHURN}.candidate")[0] == ("0.2", "minor")
    # the first version of another registered model is 1
    other = {**unnumbered("first"), "versionOf": {"type": "mlmodel", "fullyQualifiedName": "mlflow.other"}}
    other["fullyQualifiedName"] = "mlflow.other.first"
    catalog.load(
        {"type": "mlmodel", "name": "other", "fullyQualifiedName": "mlflow.other", "algorithm": "GLM"}
    )
    catalog.load(other)
    assert registry_number(catalog, "mlflow.other.first") == "1"


def test_a_stage_transition_is_recorded_with_who_when_and_its_comment(catalog: Catalog) -> None:
    catalog.load(model_version(1, stage="Staging"))
    catalog.load(model_version(1, stage="Production", changeComment="AUC 0.91 on the June holdout"))
    record = catalog.versions(f"{CHURN}.v1")[0]
    assert (record.by, record.comment) == ("alice", "AUC 0.91 on the June holdout")
    assert record.as_json()["comment"] == "AUC 0.91 on the June holdout" and record.at is not None
    assert record.change["fieldsUpdated"] == [
        {"name": "stage", "oldValue": "Staging", "newValue": "Production"}
    ]
    version = catalog.resolve(f"{CHURN}.v1")
    assert not list(catalog.store.quads(graph=version, predicate=mlkg.vocab.MLKG.changeComment))
    # a comment alone changes nothing
    catalog.load(model_version(1, stage="Production", changeComment="again"))
    assert len(catalog.versions(f"{CHURN}.v1")) == 2
