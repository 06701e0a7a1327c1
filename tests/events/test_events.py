"""What events a write makes (:mod:`mlkg.events.source`), where webhooks may go (:mod:`mlkg.events.allow`),
and where their secrets live (:mod:`mlkg.events.keys`)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from rdflib import URIRef

import mlkg
from mlkg.config import Settings
from mlkg.errors import InputError, ValidationError
from mlkg.events import AllowList, ChangeEvent, EventKind, SigningKey
from mlkg.events.source import EventSource
from mlkg.events.subscriptions import EventFilter, SubscriptionBook
from mlkg.vocab import MLKG

MODEL = {"@type": "MlModel", "fullyQualifiedName": "reg.churn", "name": "churn", "algorithm": "XGBoost"}
VERSION = {
    "@type": "ModelVersion",
    "fullyQualifiedName": "reg.churn.v1",
    "name": "v1",
    "versionOf": {"type": "mlmodel", "fullyQualifiedName": "reg.churn"},
    "stage": "Staging",
}
V1 = URIRef("http://localhost:8000/id/modelversion/reg.churn.v1")


@pytest.fixture
def catalog() -> mlkg.Catalog:
    return mlkg.open(store="memory:")


def _source(catalog: mlkg.Catalog) -> list[ChangeEvent]:
    seen: list[ChangeEvent] = []
    catalog.store.observe(
        EventSource(
            store=catalog.store.inner,
            history=catalog.history,
            superclasses=catalog.program.superclasses,
            publish=seen.append,
        )
    )
    return seen


def test_a_stage_change_is_a_stage_transition_and_a_delete_keeps_the_entity_types(
    catalog: mlkg.Catalog,
) -> None:
    catalog.load(MODEL)
    seen = _source(catalog)
    assert not catalog.load(VERSION).rejected
    v1 = next(e for e in seen if e.kind is EventKind.CREATED).entity
    catalog.load({**VERSION, "stage": "Production", "changeComment": "passed the A/B test"})
    moved = [e for e in seen if e.kind is EventKind.STAGE_TRANSITION]
    assert [(e.entity, e.body["fromStage"], e.body["toStage"]) for e in moved] == [
        (v1, "Staging", "Production")
    ]
    assert moved[0].body["comment"] == "passed the A/B test"
    catalog.delete(str(v1))
    deleted = seen[-1]
    assert (deleted.kind, deleted.entity, deleted.body["changeType"]) == (EventKind.DELETED, v1, "deleted")
    assert MLKG.ModelVersion in deleted.types  # from its last description: its graph is gone
    assert EventFilter(types=frozenset({MLKG.ModelVersion}), kinds=frozenset({EventKind.DELETED})).passes(
        deleted
    )


def test_subscriptions_survive_an_update_that_drops_every_graph(
    open_settings: Callable[[], Settings],
) -> None:
    with mlkg.Catalog(settings=open_settings()) as catalog:
        book = SubscriptionBook(store=catalog.store.inner)
        made = book.add(url="https://hooks.example/a", filter=EventFilter(tags=frozenset({"PII.Sensitive"})))
        catalog.update("DROP ALL")
        with pytest.raises(InputError):
            catalog.update("CLEAR GRAPH <https://w3id.org/mlkg/graph/subscriptions>")
        assert SubscriptionBook(store=catalog.store.inner).all() == [made]


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://hooks.example/mlkg", True),
        ("https://HOOKS.example:443/mlkg/team/", True),
        ("https://hooks.example/mlkg/%74eam", True),
        ("https://hooks.example/mlkgx", False),
        ("https://hooks.example/other/mlkg", False),
        ("https://hooks.example/mlkg/%2e%2e/admin", False),
        ("http://hooks.example/mlkg", False),
        ("https://hooks.example:8443/mlkg", False),
        ("https://hooks.example.evil.test/mlkg", False),
        ("https://hooks.example@evil.test/mlkg", False),
        ("https://evil.test/?https://hooks.example/mlkg", False),
        ("http://[::1]:9000/h", True),
        ("http://[::1]:9001/h", False),
    ],
)
def test_the_allow_list_compares_parsed_urls(url: str, allowed: bool) -> None:
    allow = AllowList.parse(["https://hooks.example/mlkg", "http://[::1]:9000/"])
    if allowed:
        assert allow.check(url).host in ("hooks.example", "::1")
    else:
        with pytest.raises(ValidationError):
            allow.check(url)


def test_no_allow_list_allows_nothing() -> None:
    with pytest.raises(ValidationError, match="none are configured"):
        AllowList.parse([]).check("http://127.0.0.1:9/hook")


@pytest.mark.skipif(os.name != "posix", reason="file modes")
def test_secrets_derive_from_a_key_file_only_its_owner_may_read(tmp_path: Path) -> None:
    with mlkg.open(store=str(tmp_path / "store")) as catalog:
        key = SigningKey.for_catalog(catalog)
        made = tmp_path / "store" / "mlkg-events.key"
        assert made.stat().st_mode & 0o777 == 0o600
        assert SigningKey.for_catalog(catalog).secret("a") == key.secret("a") != key.secret("b")
        made.chmod(0o644)
        with pytest.raises(InputError, match="chmod 600"):
            SigningKey.for_catalog(catalog)
    remote = SigningKey.locate(key_file=None, directory=None, remote=True)
    with pytest.raises(InputError, match="MLKG_EVENTS_KEY_FILE"):
        remote.secret("a")
    given = tmp_path / "elsewhere.key"
    assert SigningKey.locate(key_file=given, directory=None, remote=True).secret("a")
    assert given.stat().st_mode & 0o777 == 0o600
