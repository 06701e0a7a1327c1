"""One OpenLineage event to mlkg's own entity documents (plain JSON, what an upload takes): a pure mapping.

Events follow the OpenLineage 2 spec (https://openlineage.io/spec/2-0-2/OpenLineage.json): a ``RunEvent``
(``eventType`` START, RUNNING, COMPLETE, FAIL, ABORT or OTHER; ``run.runId``; ``job``; ``inputs``;
``outputs``), a ``JobEvent`` (``job``, ``inputs``, ``outputs``, no run) or a ``DatasetEvent`` (``dataset``).

- The **job** becomes a ``pipeline`` (name by :mod:`.naming`) whose ``readsFrom`` / ``writesTo`` are the
  event's input and output **datasets**, as ``table`` nodes; a dataset's ``schema`` facet gives its
  ``columns`` (name, ``type`` as ``dataType``, description), and an output's ``columnLineage`` facet gives
  each output column its ``derivedFromColumns`` (the input fields, each a column of its table). These facts
  are the job's: they live in the pipeline's document, so a table's own document (say from OpenMetadata, with
  its owners and PII tags) is never replaced by an event. The pipeline document is written only by an event
  that names at least one dataset: an event without datasets (a COMPLETE that repeats nothing) leaves the
  lineage of the last one that named some.
- The **run** of a RunEvent becomes a ``pipelineRun`` named ``{pipeline}.{runId}``, with ``status`` (the
  event type; OTHER changes no state), ``startTime`` (START), ``endTime`` (COMPLETE, FAIL, ABORT),
  ``updatedAt`` (the event time) and the ``errorMessage`` facet as ``description``; the events of one run are
  folded into one state by :func:`fold_runs`.
- A **DatasetEvent** writes the table's own document (name, documentation, columns, column lineage): it
  replaces that table's document, as an upload of it would.

What the mapping does not use (other facets, nested schema fields, dataset-level column lineage, input and
output facets, unknown keys) is reported as ignored, with its JSON pointer in the event.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

from mlkg.errors import InputError, ParseError
from mlkg.ids import join_fqn, split_fqn
from mlkg.ingest.normalize import json_pointer
from mlkg.ingest.openlineage.naming import NamespaceMap

__all__ = [
    "EventKind",
    "MappedEvent",
    "RunState",
    "fold_runs",
    "is_openlineage_event",
    "map_event",
    "run_document",
]

_SPEC = "https://openlineage.io/spec/"
_RUN_STATES = ("START", "RUNNING", "COMPLETE", "FAIL", "ABORT", "OTHER")
_TERMINAL = frozenset({"COMPLETE", "FAIL", "ABORT"})
#: Keys of an event the mapping reads or that carry nothing to store.
_EVENT_KEYS = frozenset(
    {"eventTime", "eventType", "producer", "schemaURL", "run", "job", "inputs", "outputs"}
)
_DATASET_FACETS_USED = frozenset({"schema", "columnLineage", "documentation"})
#: The lexical form of xsd:dateTime (XML Schema 1.1 Part 2, section 3.3.7): kept as sent when it is one.
_XSD_DATE_TIME = re.compile(r"-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")


class EventKind(str, Enum):
    """The three kinds of OpenLineage event."""

    RUN = "RunEvent"
    JOB = "JobEvent"
    DATASET = "DatasetEvent"


def is_openlineage_event(value: Any) -> bool:
    """True if ``value`` is shaped like an OpenLineage event: an object with ``eventTime`` and a ``run``,
    ``job`` or ``dataset``, or whose ``schemaURL`` is the OpenLineage spec's (mlkg's own documents have
    neither)."""
    if not isinstance(value, Mapping):
        return False
    schema = value.get("schemaURL")
    if isinstance(schema, str) and schema.startswith(_SPEC):
        return True
    return "eventTime" in value and any(k in value for k in ("run", "job", "dataset"))


@dataclass
class RunState:
    """What one run's events say about it, to be folded with its other events and the stored run."""

    status: str | None = None
    #: The time of the event that set ``status``.
    status_time: datetime | None = None
    start: str | None = None
    end: str | None = None
    updated: str | None = None
    updated_time: datetime | None = None
    description: str | None = None

    def merge(self, other: RunState) -> RunState:
        """The state after both: a terminal state (COMPLETE, FAIL, ABORT) wins over START and RUNNING, then
        the later event; the earliest start, the latest end and event time; the latest description."""

        def rank(state: RunState) -> tuple[bool, datetime | None]:
            return (state.status in _TERMINAL, state.status_time)

        status = self
        if other.status is not None and (self.status is None or _later(rank(other), rank(self))):
            status = other
        start = min((s for s in (self.start, other.start) if s), default=None, key=_moment)
        end = max((e for e in (self.end, other.end) if e), default=None, key=_moment)
        newer = other if _later((True, other.updated_time), (True, self.updated_time)) else self
        return RunState(
            status=status.status,
            status_time=status.status_time,
            start=start,
            end=end,
            updated=newer.updated or self.updated or other.updated,
            updated_time=newer.updated_time or self.updated_time or other.updated_time,
            description=(newer.description or self.description or other.description),
        )


def _later(a: tuple[bool, datetime | None], b: tuple[bool, datetime | None]) -> bool:
    """``a`` at least as late as ``b`` (an unknown time counts as the earliest; ties go to ``a``)."""
    if a[0] != b[0]:
        return a[0]
    if a[1] is None or b[1] is None:
        return b[1] is None
    try:
        return a[1] >= b[1]
    except TypeError:  # one has a time zone and the other none: compare as written
        return a[1].replace(tzinfo=None) >= b[1].replace(tzinfo=None)


def _moment(text: str) -> datetime:
    parsed = _parse_time(text)
    return parsed.replace(tzinfo=None) if parsed is not None else datetime.min


def _parse_time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


@dataclass
class MappedEvent:
    """What one event maps to: its kind, its entity documents (each with the JSON pointer in the event it
    comes from), the run's document and state (RunEvent only), and what was ignored (pointer, message)."""

    kind: EventKind
    event_type: str | None = None
    documents: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    run: dict[str, Any] | None = None
    run_state: RunState | None = None
    ignored: list[tuple[str, str]] = field(default_factory=list)


def map_event(event: Any, *, names: NamespaceMap) -> MappedEvent:
    """Map one OpenLineage event (parsed JSON) to mlkg documents; see the module docstring.

    :raises ParseError: if the event breaks the OpenLineage spec in a way the mapping needs (no
        ``eventTime``, a ``runId``, job or dataset without namespace and name, an unknown ``eventType``,
        malformed facets it reads) or names something mlkg cannot name; ``where`` is the JSON pointer in
        the event (``""`` for the event itself).
    """
    if not isinstance(event, Mapping):
        raise ParseError("an OpenLineage event must be a JSON object", where="")
    return _Mapper(names).event(event)


def fold_runs(states: Sequence[RunState]) -> RunState:
    """One run state for several events of the run (:meth:`RunState.merge`, in order)."""
    folded = RunState()
    for state in states:
        folded = folded.merge(state)
    return folded


def run_document(run: Mapping[str, Any], state: RunState) -> dict[str, Any]:
    """The run's document (:attr:`MappedEvent.run`) with its folded ``state``."""
    document = dict(run)
    for key, value in (
        ("status", state.status),
        ("startTime", state.start),
        ("endTime", state.end),
        ("updatedAt", state.updated),
        ("description", state.description),
    ):
        if value is not None:
            document[key] = value
    return document


class _Mapper:
    def __init__(self, names: NamespaceMap) -> None:
        self._names = names
        self._ignored: list[tuple[str, str]] = []
        self._named: dict[tuple[str, str], list[str]] = {}  # an event names a table once per field

    def event(self, event: Mapping[str, Any]) -> MappedEvent:
        time_text = _string(event, "eventTime", where="")
        moment = _parse_time(time_text)
        if moment is None or "T" not in time_text.upper():
            raise ParseError(f"eventTime {time_text!r} is not an ISO 8601 date-time", where="/eventTime")
        if not _XSD_DATE_TIME.fullmatch(time_text):  # ISO 8601 xsd:dateTime does not read (10:00Z, +0100)
            time_text = moment.isoformat().replace("+00:00", "Z")
        if "dataset" in event and "job" not in event:
            return self._dataset_event(event)
        kind = EventKind.RUN if "run" in event else EventKind.JOB
        for key in event:
            if key not in _EVENT_KEYS:
                self._ignore(json_pointer("", key), f"the event's {key!r} is not used")
        job = _object(event, "job", where="")
        job_ns = _string(job, "namespace", where="/job")
        job_name = _string(job, "name", where="/job")
        job_fqn = self._fqn(namespace=job_ns, name=job_name, where="/job")
        mapped = MappedEvent(kind=kind)
        inputs = self._datasets(event, "inputs")
        outputs = self._datasets(event, "outputs")
        if inputs or outputs:
            pipeline: dict[str, Any] = {
                "type": "pipeline",
                "name": job_name,
                "fullyQualifiedName": job_fqn,
                **self._job_facets(job),
            }
            if inputs:
                pipeline["readsFrom"] = inputs
            if outputs:
                pipeline["writesTo"] = outputs
            mapped.documents.append(("/job", pipeline))
        elif _facets(job, where="/job"):
            self._ignore("/job/facets", "job facets of an event naming no dataset are not used")
        if kind is EventKind.RUN:
            self._run(event, mapped, job_name=job_name, job_fqn=job_fqn, time_text=time_text, moment=moment)
        else:
            if "eventType" in event:
                self._ignore("/eventType", "a JobEvent has no run state")
            if not mapped.documents:
                self._ignore("", "a JobEvent naming no dataset records nothing")
        mapped.ignored = self._ignored
        return mapped

    # -- runs ------------------------------------------------------------------------------------------

    def _run(
        self,
        event: Mapping[str, Any],
        mapped: MappedEvent,
        *,
        job_name: str,
        job_fqn: str,
        time_text: str,
        moment: datetime,
    ) -> None:
        run = _object(event, "run", where="")
        run_id = _string(run, "runId", where="/run")
        if '"' in run_id:
            raise ParseError(f"runId {run_id!r} holds a '\"'", where="/run/runId")
        event_type = event.get("eventType")
        if event_type is not None and event_type not in _RUN_STATES:
            raise ParseError(
                f"eventType {event_type!r} is not one of {', '.join(_RUN_STATES)}", where="/eventType"
            )
        mapped.event_type = event_type
        state = RunState(updated=time_text, updated_time=moment)
        if event_type is not None and event_type != "OTHER":
            state.status, state.status_time = event_type, moment
        if event_type == "START":
            state.start = time_text
        if event_type in _TERMINAL:
            state.end = time_text
        for key, facet in _facets(run, where="/run").items():
            at = json_pointer("/run/facets", key)
            if key == "errorMessage" and isinstance(facet, Mapping) and isinstance(facet.get("message"), str):
                state.description = facet["message"]
            else:
                self._ignore(at, f"run facet {key!r} is not used")
        mapped.run = {
            "type": "pipelineRun",
            "name": run_id,
            "fullyQualifiedName": join_fqn([*split_fqn(job_fqn), run_id]),
            "id": run_id,
            "pipeline": {"type": "pipeline", "name": job_name, "fullyQualifiedName": job_fqn},
        }
        mapped.run_state = state

    # -- jobs ------------------------------------------------------------------------------------------

    def _job_facets(self, job: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, facet in _facets(job, where="/job").items():
            at = json_pointer("/job/facets", key)
            if (
                key == "documentation"
                and isinstance(facet, Mapping)
                and isinstance(facet.get("description"), str)
            ):
                out["description"] = facet["description"]
            elif key == "sourceCodeLocation" and isinstance(facet, Mapping) and _is_url(facet.get("url")):
                out["sourceUrl"] = facet["url"]
            else:
                self._ignore(at, f"job facet {key!r} is not used")
        return out

    # -- datasets --------------------------------------------------------------------------------------

    def _datasets(self, event: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
        value = event.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise ParseError(f"{key} must be an array of datasets", where=json_pointer("", key))
        tables: list[dict[str, Any]] = []
        for index, item in enumerate(value):
            where = json_pointer(json_pointer("", key), index)
            if not isinstance(item, Mapping):
                raise ParseError("a dataset must be a JSON object", where=where)
            tables.append(self._table(item, where=where))
            for extra in ("inputFacets", "outputFacets"):
                if item.get(extra):
                    self._ignore(json_pointer(where, extra), f"{extra} are not used")
        return tables

    def _dataset_event(self, event: Mapping[str, Any]) -> MappedEvent:
        for key in event:
            if key not in ("eventTime", "producer", "schemaURL", "dataset"):
                self._ignore(json_pointer("", key), f"the event's {key!r} is not used")
        dataset = _object(event, "dataset", where="")
        table = self._table(dataset, where="/dataset")
        mapped = MappedEvent(kind=EventKind.DATASET)
        if set(_facets(dataset, where="/dataset")) & _DATASET_FACETS_USED:
            mapped.documents.append(("/dataset", table))
        else:
            self._ignore("/dataset", "the dataset event carries no schema, documentation or column lineage")
        mapped.ignored = self._ignored
        return mapped

    def _table(self, dataset: Mapping[str, Any], *, where: str) -> dict[str, Any]:
        namespace = _string(dataset, "namespace", where=where)
        name = _string(dataset, "name", where=where)
        segments = self._segments(namespace=namespace, name=name, where=where)
        table: dict[str, Any] = {
            "type": "table",
            "name": segments[-1],
            "fullyQualifiedName": join_fqn(segments),
        }
        columns: dict[str, dict[str, Any]] = {}
        facets = _facets(dataset, where=where)
        for key, facet in facets.items():
            at = json_pointer(json_pointer(where, "facets"), key)
            if key == "schema":
                self._schema(facet, columns, where=at)
            elif (
                key == "documentation"
                and isinstance(facet, Mapping)
                and isinstance(facet.get("description"), str)
            ):
                table["description"] = facet["description"]
            elif key != "columnLineage":
                self._ignore(at, f"dataset facet {key!r} is not used")
        if "columnLineage" in facets:
            at = json_pointer(json_pointer(where, "facets"), "columnLineage")
            self._column_lineage(facets["columnLineage"], columns, where=at)
        if columns:
            table["columns"] = list(columns.values())
        return table

    def _schema(self, facet: Any, columns: dict[str, dict[str, Any]], *, where: str) -> None:
        if not isinstance(facet, Mapping):
            raise ParseError("the schema facet must be a JSON object", where=where)
        fields = facet.get("fields") or []
        if not isinstance(fields, list):
            raise ParseError(
                "the schema facet's fields must be an array", where=json_pointer(where, "fields")
            )
        for index, item in enumerate(fields):
            # pointers are made on the error path only: an event names hundreds of fields
            name = item.get("name") if isinstance(item, Mapping) else None
            if not isinstance(name, str) or not name.strip():
                at = json_pointer(json_pointer(where, "fields"), index)
                if not isinstance(item, Mapping):
                    raise ParseError("a schema field must be a JSON object", where=at)
                raise ParseError("'name' must be a non-empty string", where=json_pointer(at, "name"))
            column: dict[str, Any] = {"name": name}
            kind, text = item.get("type"), item.get("description")
            if isinstance(kind, str) and kind:
                column["dataType"] = kind
            if isinstance(text, str) and text:
                column["description"] = text
            if item.get("fields"):
                at = json_pointer(json_pointer(where, "fields"), index)
                self._ignore(json_pointer(at, "fields"), "nested schema fields are not used")
            columns[name] = column

    def _column_lineage(self, facet: Any, columns: dict[str, dict[str, Any]], *, where: str) -> None:
        if not isinstance(facet, Mapping):
            raise ParseError("the columnLineage facet must be a JSON object", where=where)
        fields = facet.get("fields") or {}
        if not isinstance(fields, Mapping):
            raise ParseError(
                "the columnLineage facet's fields must be an object", where=json_pointer(where, "fields")
            )
        for output, lineage in fields.items():
            try:
                sources = self._input_fields(output, lineage)
            except ParseError as error:  # the pointer is made on the error path only
                at = json_pointer(json_pointer(where, "fields"), output)
                error.where = at + (error.where or "")
                raise
            target = columns.setdefault(output, {"name": output})
            if sources:
                target["derivedFromColumns"] = sources
        if facet.get("dataset"):
            self._ignore(json_pointer(where, "dataset"), "dataset-level column lineage is not used")

    def _input_fields(self, output: str, lineage: Any) -> list[dict[str, Any]]:
        """The columns one output field is derived from.

        :raises ParseError: with a pointer relative to the output field's entry.
        """
        if not output.strip():
            raise ParseError("a column lineage entry needs a field name", where="")
        if not isinstance(lineage, Mapping) or not isinstance(lineage.get("inputFields"), list):
            raise ParseError("a column lineage entry needs inputFields, an array", where="")
        sources: list[dict[str, Any]] = []
        for index, source in enumerate(lineage["inputFields"]):
            src_at = json_pointer("/inputFields", index)
            if not isinstance(source, Mapping):
                raise ParseError("an input field must be a JSON object", where=src_at)
            namespace = _string(source, "namespace", where=src_at)
            name = _string(source, "name", where=src_at)
            column = _string(source, "field", where=src_at)
            table = self._segments(namespace=namespace, name=name, where=src_at)
            fqn = join_fqn(table)
            sources.append(
                {
                    "type": "column",
                    "name": column,
                    "fullyQualifiedName": f"{fqn}.{join_fqn([column])}",
                    "table": {"type": "table", "name": table[-1], "fullyQualifiedName": fqn},
                }
            )
        return sources

    # -- names -----------------------------------------------------------------------------------------

    def _segments(self, *, namespace: str, name: str, where: str) -> list[str]:
        known = self._named.get((namespace, name))
        if known is not None:
            return known
        try:
            found = self._names.segments(namespace=namespace, name=name)
        except InputError as error:
            raise ParseError(error.message, where=json_pointer(where, "name")) from error
        self._named[(namespace, name)] = found
        return found

    def _fqn(self, *, namespace: str, name: str, where: str) -> str:
        return join_fqn(self._segments(namespace=namespace, name=name, where=where))

    def _ignore(self, pointer: str, message: str) -> None:
        self._ignored.append((pointer, message))


def _string(obj: Mapping[str, Any], key: str, *, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ParseError(f"{key!r} must be a non-empty string", where=json_pointer(where, key))
    return value


def _object(obj: Mapping[str, Any], key: str, *, where: str) -> Mapping[str, Any]:
    value = obj.get(key)
    if not isinstance(value, Mapping):
        raise ParseError(f"{key!r} must be a JSON object", where=json_pointer(where, key))
    return value


def _facets(obj: Mapping[str, Any], *, where: str) -> Mapping[str, Any]:
    value = obj.get("facets")
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ParseError("facets must be a JSON object", where=json_pointer(where, "facets"))
    return value


def _is_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)
