"""The landing page's overview of a catalog (docs/architecture.md, section 11): how many entities of each
kind, and the latest recorded changes, read by the queries in ``mlkg/web/queries/`` through the store API
(so the same on every backend).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from importlib import resources

from rdflib import Literal, URIRef

from mlkg.history.records import agent_name
from mlkg.reasoning.kinds import EntityKinds
from mlkg.store.base import SelectResult, Store
from mlkg.vocab import MLKG
from mlkg.web.terms import Shown, show_term

__all__ = ["Change", "kind_counts", "recent_changes"]


def _query(name: str) -> str:
    return resources.files("mlkg.web").joinpath("queries", f"{name}.rq").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Change:
    """One recorded version: the entity, its version, the change type, when and by whom."""

    entity: Shown
    version: str
    change: str
    at: datetime | None
    by: str | None
    deleted: bool


def kind_counts(*, store: Store, kinds: EntityKinds, timeout: float | None = None) -> list[tuple[str, int]]:
    """How many entity documents of each kind the store holds, in the kinds' report order.

    :raises QueryTimeoutError: past ``timeout`` seconds.
    :raises StoreError: if the store fails.
    """
    result = store.query(query=_query("entity-types"), timeout=timeout)
    assert isinstance(result, SelectResult)
    counts: dict[str, int] = {}
    for row in result.dicts():
        types = {URIRef(t) for t in str(row.get("types", "")).split()}
        count = row.get("count")
        if not types or MLKG.EntityVersion in types or not isinstance(count, Literal):
            continue
        name = kinds.kind_of(types)
        counts[name] = counts.get(name, 0) + int(count)
    return sorted(counts.items(), key=lambda item: kinds.sort_key(item[0]))


def recent_changes(*, store: Store, base: str, timeout: float | None = None) -> list[Change]:
    """The latest recorded versions, newest first (at most 12): the newest records first, then what each one
    says (one small query each, its record bound).

    :raises QueryTimeoutError: past ``timeout`` seconds (each query).
    :raises StoreError: if the store fails.
    """
    newest = store.query(query=_query("recent-changes"), timeout=timeout)
    assert isinstance(newest, SelectResult)
    details = _query("change")
    changes = []
    for record, at in newest.rows:
        if not isinstance(record, URIRef):
            continue
        result = store.query(query=details, bindings={"record": record}, timeout=timeout)
        assert isinstance(result, SelectResult)
        for row in result.dicts()[:1]:
            entity = row.get("entity")
            if not isinstance(entity, URIRef):
                continue
            shown = show_term(entity, base=base)
            name = row.get("name")
            if isinstance(name, Literal):
                shown = Shown(text=str(name), href=shown.href, iri=shown.iri)
            moment = at.toPython() if isinstance(at, Literal) else None
            changes.append(
                Change(
                    entity=shown,
                    version=str(row.get("version", "")),
                    change=str(row.get("change", "")),
                    at=moment if isinstance(moment, datetime) else None,
                    by=agent_name(row["agent"]) if "agent" in row else None,
                    deleted=str(row.get("deleted", "")).lower() == "true",
                )
            )
    return changes
