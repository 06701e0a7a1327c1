"""Entity history: turns a write of entity graphs into the write that also versions them, and reads the
versions back (docs/architecture.md, section 7).

:class:`~mlkg.reasoning.store.ReasonedStore` calls :meth:`EntityHistory.plan_replace` and
:meth:`EntityHistory.plan_delete` with what the graphs hold before the write; the graphs they return are
written in the same store call (one transaction on the embedded store, one update request on a SPARQL engine),
so an entity and the record of its version are written together or not at all.

- Record graphs given with their entities (an exported dataset written back) are written as they are.
- A graph describing an entity (:func:`~mlkg.history.rules.is_entity_graph`) whose description did not change
  is not written at all: loading the same document again makes no version and writes nothing.
- A changed one gets the next version (:class:`~mlkg.history.rules.VersionRules`): a record graph
  ``<entity>/versions/<n>`` (:mod:`.records`) that also says ``<entity> mlkg:entityVersion <n>``, while the
  entity graph holds exactly what was written; the record of the version it ends keeps that description.
- A delete records a version with ``mlkg:deleted``, the version it ends keeping the last description (a soft
  delete: restoring a version brings it back); a hard delete drops the records too.
- An entity stored before mlkg kept history has no version: its description becomes version 0.1, recorded
  when it first changes.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import rdflib
from rdflib import XSD, Literal, URIRef
from rdflib.namespace import PROV

from mlkg.errors import NotFoundError
from mlkg.history.changes import ChangeDescription, context_terms, describe_change
from mlkg.history.records import (
    VersionRecord,
    agent_name,
    snapshot_text,
    snapshot_triples,
    version_iri,
    version_of,
)
from mlkg.history.rules import FIRST, MAJOR_STEP, MINOR_STEP, VersionRules, is_entity_graph, is_record_graph
from mlkg.ntriples import term_nt
from mlkg.store.base import SelectResult, Store, Triple
from mlkg.store.compare import same_triples
from mlkg.vocab import MLKG

__all__ = ["EntityHistory", "Planned"]

_VERSIONS = f"""SELECT ?entity ?v ?n ?type ?at ?agent ?prev ?from ?deleted ?change ?comment WHERE {{
  ?v {term_nt(PROV.specializationOf)} ?entity ; {term_nt(MLKG.entityVersion)} ?n ;
     {term_nt(MLKG.changeType)} ?type .
  OPTIONAL {{ ?v {term_nt(PROV.generatedAtTime)} ?at }}
  OPTIONAL {{ ?v {term_nt(PROV.wasAttributedTo)} ?agent }}
  OPTIONAL {{ ?v {term_nt(PROV.wasRevisionOf)} ?prev }}
  OPTIONAL {{ ?v {term_nt(MLKG.restoredFrom)} ?from }}
  OPTIONAL {{ ?v {term_nt(MLKG.deleted)} ?deleted }}
  OPTIONAL {{ ?v {term_nt(MLKG.changeDescription)} ?change }}
  OPTIONAL {{ ?v {term_nt(MLKG.changeComment)} ?comment }}
}}"""

_LATEST = """SELECT ?entity (MAX(?n) AS ?latest) WHERE {{
  VALUES ?entity {{ {entities} }}
  ?v <http://www.w3.org/ns/prov#specializationOf> ?entity ; <https://w3id.org/mlkg#entityVersion> ?n .
}} GROUP BY ?entity"""


def _now() -> datetime:
    return datetime.now(UTC)


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no user name in the environment or the password database
        return "unknown"


@dataclass(frozen=True)
class Planned:
    """What a write becomes: the graphs to write (entity graphs with their version, record graphs), per
    entity given its new version (None: unchanged, nothing written), and the records of the new versions."""

    graphs: dict[URIRef, list[Triple]]
    versions: dict[URIRef, Decimal | None]
    records: tuple[VersionRecord, ...] = ()


class EntityHistory:
    """Versions entity graphs as they are written, and reads their history.

    ``clock`` gives the time of a version (UTC), ``actor`` the name a version is attributed to when a write
    does not say (the operating-system user by default).
    """

    def __init__(
        self,
        *,
        rules: VersionRules,
        terms: Mapping[URIRef, str],
        clock: Callable[[], datetime] = _now,
        actor: str | None = None,
    ) -> None:
        self.rules = rules
        self.terms = terms
        self.clock = clock
        self.actor = actor if actor is not None else _user()

    @classmethod
    def from_ontology(
        cls, ontology: rdflib.Graph, *, context: str, actor: str | None = None
    ) -> EntityHistory:
        """The history kept by the rules of ``ontology``, fields named by ``context`` (its JSON text)."""
        return cls(rules=VersionRules.from_ontology(ontology), terms=context_terms(context), actor=actor)

    # -- writes ----------------------------------------------------------------------------------------------

    def plan_replace(
        self,
        *,
        store: Store,
        before: Mapping[URIRef, list[Triple]],
        given: Mapping[URIRef, list[Triple]],
        actor: str | None = None,
        restored_from: Mapping[URIRef, Decimal] | None = None,
    ) -> Planned:
        """The write that replaces the graphs ``given`` (``before``: what they hold now) and versions each
        entity graph among them; unchanged entity graphs are left out.

        :raises StoreError: if reading the recorded versions fails.
        """
        at, by = self.clock(), actor or self.actor
        graphs: dict[URIRef, list[Triple]] = {}
        versions: dict[URIRef, Decimal | None] = {}
        records: list[VersionRecord] = []
        # Records given with their entities (an exported dataset written back): history as it was, as is.
        imported = {e for n, triples in given.items() if (e := is_record_graph(n, triples)) is not None}
        entities = [n for n, triples in given.items() if n not in imported and is_entity_graph(n, triples)]
        recorded = self._latest(store=store, entities=entities) if entities else {}
        for name, triples in given.items():
            if name in imported or not is_entity_graph(name, triples):
                graphs[name] = list(triples)
                continue
            comment = next((str(o) for s, p, o in triples if s == name and p == MLKG.changeComment), None)
            new = [t for t in _without_version(name, triples) if t[1] != MLKG.changeComment]
            old = _without_version(name, before.get(name, []))
            current = recorded.get(name)
            if old:
                if same_triples(old, new):
                    versions[name] = None
                    continue
                current = current or FIRST  # an entity stored before history was kept is 0.1
                graphs.update(self._superseded(store=store, entity=name, version=current, description=old))
            elif current is not None:  # deleted before: compare with its last description
                old = self._last_description(store=store, entity=name)
            restored = (restored_from or {}).get(name)
            if current is None:
                version, change_type, change = FIRST, "created", ChangeDescription()
            else:
                major = self.rules.is_major(entity=name, old=old, new=new)
                version = current + (MAJOR_STEP if major else MINOR_STEP)
                change_type = "restored" if restored is not None else ("major" if major else "minor")
                change = describe_change(entity=name, old=old, new=new, terms=self.terms)
            record = VersionRecord(
                entity=name,
                version=version,
                change_type=change_type,
                at=at,
                by=by,
                previous=current,
                restored_from=restored,
                change={} if change.is_empty() else change.as_json(),
                comment=comment,
            )
            graphs[name] = new
            graphs[record.iri] = [*record.triples(), _current(name, version)]
            versions[name] = version
            records.append(record)
        return Planned(graphs=graphs, versions=versions, records=tuple(records))

    def plan_delete(
        self, *, store: Store, before: Mapping[URIRef, list[Triple]], actor: str | None = None
    ) -> Planned:
        """The write that deletes the graphs of ``before`` (an empty list drops a graph) and records, for each
        entity graph among them, a version marking the entity deleted; the version it ends keeps its
        description.

        :raises StoreError: if reading the recorded versions fails.
        """
        at, by = self.clock(), actor or self.actor
        graphs: dict[URIRef, list[Triple]] = {}
        records: list[VersionRecord] = []
        entities = [name for name, triples in before.items() if is_entity_graph(name, triples)]
        recorded = self._latest(store=store, entities=entities) if entities else {}
        for name, triples in before.items():
            graphs[name] = []
            if name not in entities:
                continue
            current = recorded.get(name) or FIRST
            graphs.update(self._superseded(store=store, entity=name, version=current, description=triples))
            record = VersionRecord(
                entity=name,
                version=current + MINOR_STEP,
                change_type="deleted",
                at=at,
                by=by,
                previous=current,
                deleted=True,
            )
            graphs[record.iri] = record.triples()
            records.append(record)
        return Planned(graphs=graphs, versions={r.entity: r.version for r in records}, records=tuple(records))

    def _superseded(
        self, *, store: Store, entity: URIRef, version: Decimal, description: list[Triple]
    ) -> dict[URIRef, list[Triple]]:
        """The record graph of ``version``, now that a write ends it, with its ``description`` kept as a
        snapshot (the current version's description is the entity graph itself, so it has none). An entity
        stored before history was kept gets its record of 0.1 now."""
        name = version_iri(entity, version)
        kept = [(s, p, o) for s, p, o, _ in store.quads(graph=name) if p != MLKG.snapshot and s == name]
        if not kept:
            kept = VersionRecord(entity=entity, version=version, change_type="created").triples()
        return {name: [*kept, (name, MLKG.snapshot, Literal(snapshot_text(description)))]}

    # -- reads -----------------------------------------------------------------------------------------------

    def versions(self, *, store: Store, entity: URIRef) -> list[VersionRecord]:
        """Every recorded version of ``entity``, newest first (empty if it has none).

        :raises StoreError: if the store fails.
        """
        result = store.query(query=_VERSIONS, bindings={"entity": entity})
        assert isinstance(result, SelectResult)
        records = []
        for row in result.dicts():
            change_text = row.get("change")
            records.append(
                VersionRecord(
                    entity=entity,
                    version=Decimal(str(row["n"])),
                    change_type=str(row["type"]),
                    at=_datetime(row.get("at")),
                    by=agent_name(row["agent"]) if "agent" in row else None,
                    previous=version_of(row["prev"]) if "prev" in row else None,
                    restored_from=version_of(row["from"]) if "from" in row else None,
                    deleted=str(row.get("deleted", "false")).lower() in ("true", "1"),
                    change=json.loads(str(change_text)) if change_text is not None else {},
                    comment=str(row["comment"]) if "comment" in row else None,
                )
            )
        records.sort(key=lambda r: r.version, reverse=True)
        return records

    def record(self, *, store: Store, entity: URIRef, version: Decimal) -> VersionRecord:
        """One recorded version.

        :raises NotFoundError: if ``entity`` has no such version.
        """
        for found in self.versions(store=store, entity=entity):
            if found.version == version:
                return found
        raise NotFoundError(f"{entity} has no version {version}")

    def description(self, *, store: Store, entity: URIRef, version: Decimal) -> list[Triple]:
        """The entity's graph at ``version``: the entity graph itself for the current version, else the
        snapshot its record kept (empty for the version that deleted it).

        :raises NotFoundError: if ``entity`` has no such version.
        """
        current = next((o for _, _, o, _ in store.quads(subject=entity, predicate=MLKG.entityVersion)), None)
        if current is not None and Decimal(str(current)) == version:
            return [(s, p, o) for s, p, o, _ in store.quads(graph=entity)]
        found = self._snapshot(store=store, entity=entity, version=version)
        if found is None:
            raise NotFoundError(f"{entity} has no version {version}")
        return found

    def _last_description(self, *, store: Store, entity: URIRef) -> list[Triple]:
        """The description of the latest version that has one (a deleted entity's last description)."""
        for found in self.versions(store=store, entity=entity):
            kept = self._snapshot(store=store, entity=entity, version=found.version)
            if kept:
                return kept
        return []

    def record_graphs(self, *, store: Store, entity: URIRef) -> list[URIRef]:
        """The names of the record graphs of ``entity`` (what a hard delete drops)."""
        return [r.iri for r in self.versions(store=store, entity=entity)]

    def _snapshot(self, *, store: Store, entity: URIRef, version: Decimal) -> list[Triple] | None:
        """The snapshot a version's record kept: [] if it kept none, None if there is no such record."""
        name = version_iri(entity, version)
        quads = list(store.quads(subject=name, graph=name))
        if not any(p == PROV.specializationOf and o == entity for _, p, o, _ in quads):
            return None
        texts = [o for _, p, o, _ in quads if p == MLKG.snapshot]
        return snapshot_triples(str(texts[0])) if texts else []

    def _latest(self, *, store: Store, entities: Sequence[URIRef]) -> dict[URIRef, Decimal]:
        """The latest recorded version of each of ``entities`` that has one (one query)."""
        found: dict[URIRef, Decimal] = {}
        for start in range(0, len(entities), 500):
            listed = " ".join(term_nt(e) for e in entities[start : start + 500])
            result = store.query(query=_LATEST.format(entities=listed))
            assert isinstance(result, SelectResult)
            for row in result.dicts():
                entity, latest = row.get("entity"), row.get("latest")
                if isinstance(entity, URIRef) and latest is not None:
                    found[entity] = Decimal(str(latest))
        return found


def _without_version(name: URIRef, triples: Iterable[Triple]) -> list[Triple]:
    return [t for t in triples if not (t[0] == name and t[1] == MLKG.entityVersion)]


def _current(entity: URIRef, version: Decimal) -> Triple:
    """The triple saying which version of ``entity`` is current: in the current version's record graph, so
    the entity graph holds exactly what was written, and the union of graphs gives each entity its version
    (a superseded record loses it, :meth:`EntityHistory._superseded`)."""
    return entity, MLKG.entityVersion, Literal(str(version), datatype=XSD.decimal)


def _datetime(term: object) -> datetime | None:
    if term is None:
        return None
    try:
        return datetime.fromisoformat(str(term))
    except ValueError:
        return None
