"""OpenLineage intake (issue 16, point 2): events (RunEvent, JobEvent, DatasetEvent) mapped to mlkg's own
entity documents and written through the one ingest path (validation, reasoning) like an upload.

- :mod:`.naming`: OpenLineage ``(namespace, name)`` to fully qualified names, with configured services;
- :mod:`.mapping`: one event to documents, pure;
- :mod:`.intake`: batches of events validated, folded with the stored runs, and written.
"""

from mlkg.ingest.openlineage.intake import CheckedEvents, EventItem, EventOutcome, OpenLineageIntake
from mlkg.ingest.openlineage.mapping import EventKind, MappedEvent, is_openlineage_event, map_event
from mlkg.ingest.openlineage.naming import NamespaceMap
from mlkg.ingest.openlineage.reading import read_events

__all__ = [
    "CheckedEvents",
    "EventItem",
    "EventKind",
    "EventOutcome",
    "MappedEvent",
    "NamespaceMap",
    "OpenLineageIntake",
    "is_openlineage_event",
    "map_event",
    "read_events",
]
