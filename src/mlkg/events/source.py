"""Change events from committed writes: the write observer (:mod:`mlkg.reasoning.written`) that turns what a
write changed into :class:`~.model.ChangeEvent` objects (docs/architecture.md, section 8).

It runs in the writing thread, after the write committed, so it only reads what it must to describe each
changed entity (its classes and tags: a few index lookups each) and hands the events on; delivery happens
elsewhere (:mod:`.dispatch`). Events:

- a version ``created``, ``minor``, ``major`` or ``restored`` → ``created`` / ``updated`` (with the change
  description, the new and previous version); ``deleted`` → ``deleted``;
- a model version whose ``stage`` changed → also ``stage_transition`` (from, to);
- a hard delete (its versions dropped too) → ``deleted``, with no classes or tags left to describe it;
- a raw SPARQL Update (a Graph Store POST is one) naming the graphs it changed (no version is recorded) →
  ``updated`` for each of them that is still an entity's graph (gives its own name a type); a graph it
  emptied, or an update that may have changed graphs it does not name (``DROP ALL``), gives no event.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from rdflib import RDF, Literal, URIRef

from mlkg.errors import MlkgError
from mlkg.events.model import ChangeEvent, EventKind
from mlkg.history.keeper import EntityHistory
from mlkg.history.records import VersionRecord
from mlkg.reasoning.written import Written
from mlkg.store.base import Store, Triple
from mlkg.vocab import INFERRED_GRAPH, MLKG

__all__ = ["EventSource", "downstream_of"]

#: An entity's classes and tags (fully qualified names and IRIs).
Facts = tuple[frozenset[URIRef], frozenset[str]]

_KIND_OF_CHANGE = {
    "created": EventKind.CREATED,
    "minor": EventKind.UPDATED,
    "major": EventKind.UPDATED,
    "restored": EventKind.UPDATED,
    "deleted": EventKind.DELETED,
}
#: The field of a model version's change description that holds its stage (the context's JSON term).
_STAGE_FIELD = "stage"


class EventSource:
    """The write observer: ``source(written)`` builds the events of one committed write and gives each to
    ``publish``, if ``wanted()`` says anyone may be told (a subscription exists, a stream is open).

    ``superclasses``: each class's superclasses (the reasoner's,
    :class:`~mlkg.reasoning.program.LineageProgram`), for a deleted entity whose inferred classes are gone.
    """

    def __init__(
        self,
        *,
        store: Store,
        history: EntityHistory | None,
        superclasses: Mapping[URIRef, frozenset[URIRef]],
        publish: Callable[[ChangeEvent], None],
        wanted: Callable[[], bool] = lambda: True,
    ) -> None:
        self._wanted = wanted
        self._store = store
        self._history = history
        self._superclasses = superclasses
        self._publish = publish

    def __call__(self, written: Written) -> None:
        if not self._wanted():  # nobody would be told: a bulk load pays nothing
            return
        for event in self.events(written):
            self._publish(event)

    def events(self, written: Written) -> list[ChangeEvent]:
        """The events of ``written``.

        :raises StoreError: if the store fails while the changed entities are read.
        """
        out: list[ChangeEvent] = []
        versioned = {record.entity for record in written.versions}
        for record in written.versions:
            out.extend(self._versioned(record))
        for graph in written.graphs:
            if graph in versioned:
                continue
            if any(True for _ in self._store.quads(subject=graph, predicate=RDF.type, graph=graph)):
                out.append(self._event(EventKind.UPDATED, graph, {}, facts=self._facts(graph)))
            elif written.deleted:  # dropped (a hard delete): nothing is left to describe it
                out.append(self._event(EventKind.DELETED, graph, {}, facts=(frozenset(), frozenset())))
        return out

    def _versioned(self, record: VersionRecord) -> list[ChangeEvent]:
        kind = _KIND_OF_CHANGE.get(record.change_type, EventKind.UPDATED)
        facts = self._last_facts(record) if kind is EventKind.DELETED else self._facts(record.entity)
        body: dict[str, Any] = {
            "version": str(record.version),
            "previousVersion": None if record.previous is None else str(record.previous),
            "changeType": record.change_type,
            "changeDescription": record.change
            or {"fieldsAdded": [], "fieldsUpdated": [], "fieldsDeleted": []},
            "updatedBy": record.by,
        }
        if record.comment is not None:
            body["comment"] = record.comment
        at = record.at or datetime.now(UTC)
        events = [self._event(kind, record.entity, body, facts=facts, at=at)]
        stage = _stage_change(record.change)
        if stage is not None and MLKG.ModelVersion in facts[0]:
            moved = {**body, "fromStage": stage[0], "toStage": stage[1]}
            events.append(self._event(EventKind.STAGE_TRANSITION, record.entity, moved, facts=facts, at=at))
        return events

    def _facts(self, entity: URIRef) -> Facts:
        """The entity's classes (asserted and inferred) and tags, as stored now: a few index lookups."""
        types = {
            o for _, _, o, _ in self._store.quads(subject=entity, predicate=RDF.type) if isinstance(o, URIRef)
        }
        tags: set[str] = set()
        for _, _, tag, _ in self._store.quads(subject=entity, predicate=MLKG.tag, graph=entity):
            if isinstance(tag, URIRef):
                tags.add(str(tag))
                found = self._store.quads(subject=tag, predicate=MLKG.tagFQN, graph=entity)
                tags.update(str(o) for _, _, o, _ in found if isinstance(o, Literal))
        return frozenset(types), frozenset(tags)

    def _last_facts(self, record: VersionRecord) -> Facts:
        """A deleted entity's classes and tags, from its last description (the snapshot its previous version's
        record kept): its graph and its inferred classes are gone."""
        triples: list[Triple] = []
        if self._history is not None and record.previous is not None:
            with contextlib.suppress(MlkgError):
                triples = self._history.description(
                    store=self._store, entity=record.entity, version=record.previous
                )
        entity = record.entity
        asserted = {o for s, p, o in triples if s == entity and p == RDF.type and isinstance(o, URIRef)}
        types = asserted | {c for t in asserted for c in self._superclasses.get(t, frozenset())}
        tags = {o for s, p, o in triples if s == entity and p == MLKG.tag and isinstance(o, URIRef)}
        names = {str(o) for s, p, o in triples if s in tags and p == MLKG.tagFQN and isinstance(o, Literal)}
        return frozenset(types), frozenset({str(t) for t in tags} | names)

    def _event(
        self,
        kind: EventKind,
        entity: URIRef,
        body: Mapping[str, Any],
        *,
        facts: Facts,
        at: datetime | None = None,
    ) -> ChangeEvent:
        types, tags = facts
        moment = at or datetime.now(UTC)
        event_id = str(uuid.uuid4())
        shown = {
            "id": event_id,
            "event": kind.value,
            "entity": str(entity),
            "at": moment.isoformat(),
            "types": sorted(str(t) for t in types),
            "tags": sorted(t for t in tags if not t.startswith(("http://", "https://"))),
            **body,
        }
        return ChangeEvent(
            id=event_id, kind=kind, entity=entity, at=moment, body=shown, types=types, tags=tags
        )


def _stage_change(change: Mapping[str, Any]) -> tuple[str | None, str | None] | None:
    """``(from, to)`` if the change description changed the stage field, else None."""
    sides = (("fieldsUpdated", True, True), ("fieldsAdded", False, True), ("fieldsDeleted", True, False))
    for key, old, new in sides:
        for field in change.get(key, []):
            if field.get("name") == _STAGE_FIELD:
                before = field.get("oldValue") if old else None
                after = field.get("newValue") if new else None
                return (None if before is None else str(before), None if after is None else str(after))
    return None


def downstream_of(store: Store, entity: URIRef) -> frozenset[URIRef]:
    """The entities downstream of ``entity`` (``mlkg:downstream`` in the inferred graph): read by the delivery
    thread, not in the write, for the "upstream of" filters."""
    found = store.quads(subject=entity, predicate=MLKG.downstream, graph=INFERRED_GRAPH)
    return frozenset(o for _, _, o, _ in found if isinstance(o, URIRef))
