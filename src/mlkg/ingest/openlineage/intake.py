"""OpenLineage events through mlkg's one ingest path: map (:mod:`.mapping`), fold the runs with what the
store holds, validate with SHACL (:meth:`Ingestor.check_batch`), write; a report per event.

An event is all-or-nothing: if its mapping fails, or one of its documents is rejected, nothing of it is
written and the event is reported with where and why (a JSON pointer into the input). Within a batch the
last event naming a pipeline (or, for a DatasetEvent, a table) gives its document, and the events of one run
are folded into one run document together with the run as stored (so START, RUNNING and COMPLETE keep the
start time, whatever order they come in).
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from rdflib import Literal, URIRef

from mlkg.errors import InputError, ParseError
from mlkg.ingest.document import EntityDocument, ParseOutcome
from mlkg.ingest.ingestor import DEFAULT_BATCH_SIZE, Ingestor, stored_as_is
from mlkg.ingest.openlineage.mapping import (
    MappedEvent,
    RunState,
    fold_runs,
    map_event,
    run_document,
)
from mlkg.ingest.openlineage.naming import NamespaceMap
from mlkg.ingest.report import IngestReport, Notice, Rejected
from mlkg.ingest.settle import settle
from mlkg.store.base import Store, Triple, WriteCounter
from mlkg.vocab import MLKG

__all__ = ["CheckedEvents", "EventItem", "EventOutcome", "OpenLineageIntake"]

#: Documents :class:`OpenLineageIntake` remembers having read (their triples), the last used first kept.
_REMEMBERED = 2048


@dataclass(frozen=True)
class EventItem:
    """One event of an input: its source name, its JSON pointer there (``""`` for a lone event), and its
    parsed value, or the error reading it gave (malformed JSON, too large)."""

    source: str
    pointer: str
    value: Any = None
    error: InputError | None = None

    @property
    def where(self) -> str:
        return f"{self.source}#{self.pointer}" if self.pointer else self.source


@dataclass
class EventOutcome:
    """What became of one event: ``accepted`` (its entities written) or ``rejected`` (nothing written)."""

    where: str
    kind: str | None = None
    event_type: str | None = None
    entities: list[str] = field(default_factory=list)
    ignored: list[Notice] = field(default_factory=list)
    rejection: Rejected | None = None

    @property
    def accepted(self) -> bool:
        return self.rejection is None

    def to_dict(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "status": "accepted" if self.accepted else "rejected",
            "where": self.where,
            "kind": self.kind,
            "eventType": self.event_type,
            "entities": self.entities,
            "ignored": [{"where": n.where, "message": n.message} for n in self.ignored],
        }
        if self.rejection is not None:
            _, _, pointer = self.rejection.where.partition("#")
            entry["errors"] = [
                {"pointer": pointer, "message": self.rejection.message, "details": self.rejection.details}
            ]
        return entry


@dataclass(frozen=True)
class CheckedEvents:
    """A validated batch of events: its report (documents accepted, events rejected, notices), one outcome
    per event in input order, and the graphs to write."""

    report: IngestReport
    events: list[EventOutcome]
    graphs: dict[URIRef, list[Triple]]
    #: A digest of each accepted document's JSON text, by entity (what :class:`OpenLineageIntake` remembers
    #: having seen stored).
    digests: dict[URIRef, bytes] = field(default_factory=dict)


@dataclass
class _Doc:
    """One document to write and the events (indices in the batch) it stands for."""

    pointer: str  # where in the input, for reports
    body: dict[str, Any]
    events: set[int]
    states: list[RunState] = field(default_factory=list)


class OpenLineageIntake:
    """Maps OpenLineage events to entity documents and writes them through ``ingestor``."""

    def __init__(self, *, ingestor: Ingestor, names: NamespaceMap) -> None:
        self._ingestor = ingestor
        self._names = names
        #: The last documents read, by their JSON text: a job's document comes again with every event of
        #: every run, and reading it is deterministic (the same triples for the same JSON).
        self._read: OrderedDict[str, EntityDocument] = OrderedDict()
        #: Entities whose stored graph is known to be the document of a JSON digest, and the store's write
        #: count (:class:`~mlkg.store.base.WriteCounter`) when that was last known true.
        self._known: OrderedDict[URIRef, tuple[bytes, int]] = OrderedDict()

    def check(self, *, events: Sequence[EventItem], store: Store | None, write: bool = True) -> CheckedEvents:
        """Map and validate one batch of events against ``store`` (read, never written here).

        :raises StoreError: if reading the store fails.
        """
        outcomes = [EventOutcome(where=item.where) for item in events]
        docs: dict[tuple[str, str], _Doc] = {}
        for index, item in enumerate(events):
            outcome = outcomes[index]
            if item.error is not None:
                outcome.rejection = Rejected.from_error(item.error, source=item.source)
                continue
            try:
                mapped = map_event(item.value, names=self._names)
            except ParseError as error:
                at = f"{item.pointer}{error.where or ''}"
                error.where = f"{item.source}#{at}" if at else item.source
                outcome.rejection = Rejected.from_error(error, source=item.source)
                continue
            outcome.kind, outcome.event_type = mapped.kind.value, mapped.event_type
            outcome.ignored = [
                Notice(item.source, f"{item.source}#{item.pointer}{at}", message)
                for at, message in mapped.ignored
            ]
            self._collect(mapped, index=index, pointer=item.pointer, docs=docs)
        if store is not None:
            self._fold_stored(docs, store=store)
        parsed = ParseOutcome()
        by_where: dict[str, _Doc] = {}
        digests: dict[URIRef, bytes] = {}
        for (kind, _), doc in docs.items():
            body = run_document(doc.body, fold_runs(doc.states)) if kind == "run" else doc.body
            source = events[min(doc.events)].source
            where = f"{source}#{doc.pointer}"
            by_where[where] = doc
            read, digest = self._read_document(name=source, pointer=doc.pointer, body=body)
            if len(read.documents) == 1:
                digests[read.documents[0].entity] = digest
            parsed.extend(read)
        # A job's datasets come again with every event of every run: its unchanged document is not rewritten.
        unchanged = None if store is None else self._unchanged(store, digests)
        checked = self._ingestor.check_batch(parsed=parsed, store=store, write=write, unchanged=unchanged)
        settled = self._settle(
            checked.report, checked.graphs, by_where=by_where, outcomes=outcomes, write=write
        )
        kept = {a.entity for a in settled.report.accepted}
        return replace(settled, digests={e: d for e, d in digests.items() if e in kept})

    def ingest_stream(
        self,
        *,
        store: Store | None,
        items: Iterable[EventItem],
        batch_size: int = DEFAULT_BATCH_SIZE,
        write: bool = True,
    ) -> Iterator[CheckedEvents]:
        """Check and write events ``batch_size`` at a time (one store write per batch; the inferred graph
        follows through a :class:`~mlkg.reasoning.store.ReasonedStore`), yielding each batch's outcome.

        :raises InputError: if ``batch_size`` is not positive.
        :raises StoreError: if the store fails (the batches before were written).
        """
        if batch_size <= 0:
            raise InputError(f"the batch size must be positive, not {batch_size}", where="--batch-size")
        batch: list[EventItem] = []
        for item in items:
            batch.append(item)
            if len(batch) >= batch_size:
                yield self._write(batch, store=store, write=write)
                batch = []
        if batch:
            yield self._write(batch, store=store, write=write)

    def _read_document(self, *, name: str, pointer: str, body: dict[str, Any]) -> tuple[ParseOutcome, bytes]:
        """:meth:`Ingestor.read_document`, remembering the last :data:`_REMEMBERED` documents read whole;
        and the digest of the document's JSON text."""
        key = json.dumps(body, sort_keys=True, ensure_ascii=False)
        digest = hashlib.blake2b(key.encode("utf-8"), digest_size=16).digest()
        known = self._read.get(key)
        if known is not None:
            self._read.move_to_end(key)
            return ParseOutcome(documents=[replace(known, source=name, where=f"{name}#{pointer}")]), digest
        outcome = self._ingestor.read_document(name=name, pointer=pointer, item=body)
        if len(outcome.documents) == 1 and not outcome.rejected and not outcome.notices:
            self._read[key] = outcome.documents[0]
            if len(self._read) > _REMEMBERED:
                self._read.popitem(last=False)
        return outcome, digest

    def _unchanged(self, store: Store, digests: dict[URIRef, bytes]) -> Callable[[EntityDocument], bool]:
        """Whether the store holds a document exactly: known if this intake saw it so and nothing was written
        since (the store's write count), else read and compared (:func:`stored_as_is`)."""
        count = store.writes if isinstance(store, WriteCounter) else None

        def unchanged(document: EntityDocument) -> bool:
            digest = digests.get(document.entity)
            if (
                digest is not None
                and count is not None
                and self._known.get(document.entity) == (digest, count)
            ):
                self._known.move_to_end(document.entity)
                return True
            same = stored_as_is(document, store)
            if same and digest is not None and count is not None:
                self._remember(document.entity, (digest, count))
            return same

        return unchanged

    def _remember(self, entity: URIRef, known: tuple[bytes, int]) -> None:
        self._known[entity] = known
        self._known.move_to_end(entity)
        if len(self._known) > _REMEMBERED:
            self._known.popitem(last=False)

    def _write(self, batch: Sequence[EventItem], *, store: Store | None, write: bool) -> CheckedEvents:
        before = store.writes if isinstance(store, WriteCounter) else None
        checked = self.check(events=batch, store=store, write=write)
        if not write or store is None:
            return checked
        if checked.graphs:
            store.replace_graphs(graphs=checked.graphs)
        after = store.writes if isinstance(store, WriteCounter) else None
        if before is None or after is None or after != before + (1 if checked.graphs else 0):
            return checked  # another write came between: what was known is read again next time
        # This write changed only its own graphs: what was known of the others still holds, and its
        # documents are now what the store holds.
        for entity, (digest, count) in list(self._known.items()):
            if count == before and entity not in checked.graphs:
                self._known[entity] = (digest, after)
        for entity, digest in checked.digests.items():
            self._remember(entity, (digest, after))
        return checked

    # ---------------------------------------------------------------------------------------------------

    @staticmethod
    def _collect(mapped: MappedEvent, *, index: int, pointer: str, docs: dict[tuple[str, str], _Doc]) -> None:
        for at, body in mapped.documents:
            key = (body["type"], body["fullyQualifiedName"])
            docs.pop(key, None)  # the later event's document wins, and takes the later place
            docs[key] = _Doc(pointer=f"{pointer}{at}", body=body, events={index})
        if mapped.run is not None and mapped.run_state is not None:
            key = ("run", mapped.run["fullyQualifiedName"])
            doc = docs.get(key)
            if doc is None:
                doc = docs[key] = _Doc(pointer=f"{pointer}/run", body=mapped.run, events=set())
            doc.events.add(index)
            doc.states.append(mapped.run_state)

    def _fold_stored(self, docs: dict[tuple[str, str], _Doc], *, store: Store) -> None:
        """Put each run's stored state first among its states."""
        minter = self._ingestor.minter
        segment = minter.type_named("pipelineRun").segment
        for (kind, fqn), doc in docs.items():
            if kind != "run":
                continue
            iri = minter.mint(segment=segment, fqn=fqn)
            stored = _stored_state(store, iri)
            if stored is not None:
                doc.states.insert(0, stored)

    @staticmethod
    def _settle(
        report: IngestReport,
        graphs: dict[URIRef, list[Triple]],
        *,
        by_where: dict[str, _Doc],
        outcomes: list[EventOutcome],
        write: bool,
    ) -> CheckedEvents:
        """Reject every event one of whose documents was rejected, and drop its other documents."""
        members = {where: doc.events for where, doc in by_where.items()}
        final = settle(report, graphs, members=members, outcomes=outcomes, noun="event", write=write)
        return CheckedEvents(report=final, events=outcomes, graphs=graphs)


def _stored_state(store: Store, iri: URIRef) -> RunState | None:
    """The stored run's state (None if the store holds no such run)."""
    values: dict[URIRef, str] = {}
    for _, predicate, obj, _ in store.quads(subject=iri, graph=iri):
        if isinstance(obj, Literal):
            values[predicate] = str(obj)
    if not values:
        return None
    status = values.get(MLKG.status)
    end, updated = values.get(MLKG.endTime), values.get(MLKG.updatedAt)
    status_time = end if status in ("COMPLETE", "FAIL", "ABORT") and end else updated
    return RunState(
        status=status,
        status_time=_time(status_time),
        start=values.get(MLKG.startTime),
        end=end,
        updated=updated,
        updated_time=_time(updated),
        description=values.get(MLKG.description),
    )


def _time(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
