"""Change events from committed writes: the write observer (:mod:`mlkg.reasoning.written`) that turns what a
write changed into :class:`~.model.ChangeEvent` objects (docs/architecture.md, section 8).

It runs in the writing thread, after the write committed, so it only reads what it must to describe each
changed entity (its graph, its inferred classes and downstream entities: a few index lookups each) and
hands the events on; delivery happens elsewhere (:mod:`.dispatch`). Events:

- a version ``created``, ``minor``, ``major`` or ``restored`` → ``created`` / ``updated`` (with the change
  description, the new and previous version); ``deleted`` → ``deleted``;
- a model version whose ``stage`` changed → also ``stage_transition`` (from, to);
- a raw SPARQL Update or Graph Store write naming the graphs it changed (no version is recorded) →
  ``updated`` (``deleted`` for a graph it emptied) for each graph that is an entity's; an update that may
  have changed graphs it does not name (``DROP ALL``) gives no event.
"""

from __future__ import annotations

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

__all__ = ["EventSource"]

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
    ``publish``.

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
    ) -> None:
        self._store = store
        self._history = history
        self._superclasses = superclasses
        self._publish = publish

    def __call__(self, written: Written) -> None:
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
            triples = [(s, p, o) for s, p, o, _ in self._store.quads(graph=graph)]
            if not triples:  # dropped: an entity's if the write says it deleted entities
                if written.deleted:
                    out.append(self._event(EventKind.DELETED, graph, {}, triples=[], gone=True))
            elif _has(triples, graph, RDF.type):
                out.append(self._event(EventKind.UPDATED, graph, {}, triples=triples, gone=False))
        return out

    def _versioned(self, record: VersionRecord) -> list[ChangeEvent]:
        kind = _KIND_OF_CHANGE.get(record.change_type, EventKind.UPDATED)
        gone = kind is EventKind.DELETED
        if gone:
            triples = self._last(record)
        else:
            triples = [(s, p, o) for s, p, o, _ in self._store.quads(graph=record.entity)]
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
        events = [self._event(kind, record.entity, body, triples=triples, gone=gone, at=at)]
        stage = _stage_change(record.change)
        if stage is not None and _has(triples, record.entity, RDF.type, MLKG.ModelVersion):
            moved = {**body, "fromStage": stage[0], "toStage": stage[1]}
            events.append(
                self._event(
                    EventKind.STAGE_TRANSITION, record.entity, moved, triples=triples, gone=gone, at=at
                )
            )
        return events

    def _last(self, record: VersionRecord) -> list[Triple]:
        """A deleted entity's last description (the snapshot its previous version's record kept)."""
        if self._history is None or record.previous is None:
            return []
        try:
            return self._history.description(store=self._store, entity=record.entity, version=record.previous)
        except MlkgError:
            return []

    def _event(
        self,
        kind: EventKind,
        entity: URIRef,
        body: Mapping[str, Any],
        *,
        triples: list[Triple],
        gone: bool,
        at: datetime | None = None,
    ) -> ChangeEvent:
        asserted = {o for s, p, o in triples if s == entity and p == RDF.type and isinstance(o, URIRef)}
        if gone:  # its inferred classes left with it: from its last description
            types = asserted | {c for t in asserted for c in self._superclasses.get(t, frozenset())}
        else:
            inferred = self._store.quads(subject=entity, predicate=RDF.type, graph=INFERRED_GRAPH)
            types = asserted | {o for _, _, o, _ in inferred if isinstance(o, URIRef)}
        downstream = self._store.quads(subject=entity, predicate=MLKG.downstream, graph=INFERRED_GRAPH)
        tags = _tags(entity, triples)
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
            id=event_id,
            kind=kind,
            entity=entity,
            at=moment,
            body=shown,
            types=frozenset(types),
            tags=frozenset(tags),
            downstream=frozenset(o for _, _, o, _ in downstream if isinstance(o, URIRef)),
        )


def _has(triples: list[Triple], s: URIRef, p: URIRef, o: URIRef | None = None) -> bool:
    """Whether a triple has subject ``s``, predicate ``p`` and object ``o`` (None: any)."""
    return any(t[0] == s and t[1] == p and (o is None or t[2] == o) for t in triples)


def _tags(entity: URIRef, triples: list[Triple]) -> set[str]:
    """The entity's tags: each tag's IRI and its fully qualified name (``Tier.Tier1``) from its graph."""
    tags = {o for s, p, o in triples if s == entity and p == MLKG.tag and isinstance(o, URIRef)}
    names = {str(o) for s, p, o in triples if s in tags and p == MLKG.tagFQN and isinstance(o, Literal)}
    return {str(t) for t in tags} | names


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
