"""The catalog as it was at a past instant, from the version records (docs/architecture.md, section 7).

An entity's description at instant ``t`` is that of its latest version recorded at or before ``t``: the
entity graph itself if that version is still current, else the snapshot its record kept. An entity created
after ``t``, or deleted at ``t``, was not there. A graph without records (an entity stored before history was
kept, a graph written through the Graph Store that describes no entity) is taken as it is now.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from rdflib import URIRef
from rdflib.namespace import PROV

from mlkg.errors import InputError
from mlkg.history.keeper import EntityHistory
from mlkg.history.records import VersionRecord, version_iri
from mlkg.ntriples import term_nt
from mlkg.store.base import SelectResult, Store, Triple
from mlkg.vocab import INFERRED_GRAPH, MLKG, ONTOLOGY_GRAPH, PENDING_GRAPH, SUBSCRIPTIONS_GRAPH

__all__ = ["described_at", "entity_at", "parse_instant"]

_RECORDS = f"""SELECT ?entity ?v ?n ?t ?deleted WHERE {{
  ?v {term_nt(PROV.specializationOf)} ?entity ; {term_nt(MLKG.entityVersion)} ?n .
  OPTIONAL {{ ?v {term_nt(PROV.generatedAtTime)} ?t }}
  OPTIONAL {{ ?v {term_nt(MLKG.deleted)} ?deleted }}
}}"""

_CURRENT = f"""SELECT DISTINCT ?entity ?n WHERE {{
  ?entity {term_nt(MLKG.entityVersion)} ?n . ?v {term_nt(PROV.specializationOf)} ?entity .
}}"""

_OWNED = frozenset({INFERRED_GRAPH, ONTOLOGY_GRAPH, PENDING_GRAPH, SUBSCRIPTIONS_GRAPH})


def parse_instant(text: str, *, where: str = "asOf") -> datetime:
    """An instant as users write it: an ISO 8601 date (its start) or date and time; without a zone, UTC.

    :raises InputError: if it is neither.
    """
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:
            moment = datetime.combine(date.fromisoformat(text), datetime.min.time())
        except ValueError:
            raise InputError(
                f"{text!r} is not an ISO 8601 date or date-time such as 2026-01-05 or 2026-01-05T09:30:00Z",
                where=where,
            ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class _Row:
    version: Decimal
    at: datetime | None
    deleted: bool


def _records(store: Store) -> dict[URIRef, list[_Row]]:
    result = store.query(query=_RECORDS)
    assert isinstance(result, SelectResult)
    rows: dict[URIRef, list[_Row]] = {}
    for row in result.dicts():
        entity = row.get("entity")
        if not isinstance(entity, URIRef):
            continue
        stamp = row.get("t")
        at = None if stamp is None else _instant(str(stamp))
        deleted = str(row.get("deleted", "false")).lower() in ("true", "1")
        rows.setdefault(entity, []).append(_Row(Decimal(str(row["n"])), at, deleted))
    return rows


def _instant(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _version_at(rows: list[_Row], at: datetime) -> _Row | None:
    """The latest version recorded at or before ``at`` (a record without a time, an entity's 0.1 recorded
    when history first saw it, counts as always)."""
    seen = [r for r in rows if r.at is None or r.at <= at]
    return max(seen, key=lambda r: r.version) if seen else None


def described_at(
    *, history: EntityHistory, store: Store, at: datetime
) -> Iterator[tuple[URIRef, list[Triple]]]:
    """Every graph of the catalog as it was at ``at``: ``(graph name, triples)``, entity graphs and graphs
    without history; never the inferred, ontology or pending graphs, nor the version records.

    :raises StoreError: if the store fails.
    """
    records = _records(store)
    current_result = store.query(query=_CURRENT)
    assert isinstance(current_result, SelectResult)
    current = {
        row["entity"]: Decimal(str(row["n"]))
        for row in current_result.dicts()
        if isinstance(row.get("entity"), URIRef)
    }
    record_graphs = {
        history_iri for entity in records for history_iri in _record_iris(entity, records[entity])
    }
    for entity, rows in records.items():
        chosen = _version_at(rows, at)
        if chosen is None or chosen.deleted:
            continue
        if current.get(entity) == chosen.version:
            yield entity, [(s, p, o) for s, p, o, _ in store.quads(graph=entity)]
        else:
            yield entity, history.description(store=store, entity=entity, version=chosen.version)
    for name in store.graph_names():
        if name in _OWNED or name in records or name in record_graphs:
            continue
        yield name, [(s, p, o) for s, p, o, _ in store.quads(graph=name)]


def _record_iris(entity: URIRef, rows: list[_Row]) -> Iterator[URIRef]:
    for row in rows:
        yield version_iri(entity, row.version)


def entity_at(
    *, history: EntityHistory, store: Store, entity: URIRef, at: datetime
) -> tuple[VersionRecord | None, list[Triple]]:
    """The version of ``entity`` current at ``at`` and its description; ``(None, [])`` if it did not exist
    then (or was deleted). An entity without records is taken as it is now.

    :raises StoreError: if the store fails.
    """
    versions = history.versions(store=store, entity=entity)
    if not versions:
        return None, [(s, p, o) for s, p, o, _ in store.quads(graph=entity)]
    rows = [_Row(v.version, v.at, v.deleted) for v in versions]
    chosen = _version_at(rows, at)
    if chosen is None or chosen.deleted:
        return None, []
    record = next(v for v in versions if v.version == chosen.version)
    return record, history.description(store=store, entity=entity, version=chosen.version)
