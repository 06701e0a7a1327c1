"""Change events: what subscribers and ``/events`` are told about each committed write
(docs/architecture.md, section 8).

An event is built in the writing thread from the :class:`~mlkg.reasoning.written.Written` the store tells its
observers (:mod:`.source`); it carries, besides its JSON body, the facts its filters are decided on: the
entity's classes and tags as they were when the write committed, and the entities downstream of it, added by
the delivery thread (a raw table may have thousands: not read in the write), so a filter reads no store.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from rdflib import URIRef

__all__ = ["ChangeEvent", "EventKind"]


class EventKind(StrEnum):
    """The kinds of change event, as ``X-Mlkg-Event`` and the SSE ``event:`` field name them."""

    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"
    STAGE_TRANSITION = "stage_transition"
    IMPACT = "impact"


@dataclass(frozen=True)
class ChangeEvent:
    """One change event.

    ``id``: unique (a UUID), the delivery's and the SSE stream's reference. ``body``: the JSON object posted
    and streamed. ``types``, ``tags``, ``downstream``: the entity's classes (asserted and inferred), its tags
    (fully qualified names and IRIs) and the entities downstream of it (it is upstream of them), for the
    filters.
    """

    id: str
    kind: EventKind
    entity: URIRef
    at: datetime
    body: dict[str, Any]
    types: frozenset[URIRef] = field(default_factory=frozenset)
    tags: frozenset[str] = field(default_factory=frozenset)
    downstream: frozenset[URIRef] = field(default_factory=frozenset)

    def payload(self) -> bytes:
        """The JSON body as the bytes posted and signed (UTF-8, keys sorted: one event, one text)."""
        return json.dumps(self.body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode(
            "utf-8"
        )
