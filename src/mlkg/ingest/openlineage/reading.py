"""OpenLineage events read from an input: a JSON event, a JSON array of events, or JSON Lines (one event a
line; what Marquez's ``POST /api/v1/lineage`` and OpenLineage's file transport take), one at a time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from mlkg.ingest.openlineage.intake import EventItem
from mlkg.ingest.stream import Ignored, JsonItem, json_items, json_lines

__all__ = ["read_events"]


def read_events(*, name: str, stream: IO[bytes], lines: bool, max_bytes: int) -> Iterator[EventItem]:
    """The events of ``stream`` (JSON Lines if ``lines``), each at most ``max_bytes``, as they are read.

    Problems are items with an ``error``, never exceptions: a malformed line or an event over ``max_bytes``
    is that event's (``where``: ``name#/N``); malformed JSON, an empty input or invalid UTF-8 ends the input
    (``where``: ``name``).
    """
    if lines:
        items = json_lines(stream=stream, name=name, max_bytes=max_bytes)
    else:
        items = json_items(stream=stream, name=name, max_bytes=max_bytes)
    for item in items:
        if isinstance(item, JsonItem):
            yield EventItem(source=name, pointer=item.pointer, value=item.value)
        elif isinstance(item, Ignored):  # pragma: no cover - only beside a JSON-LD @graph, never in events
            continue
        else:
            pointer = item.where if item.where and item.where.startswith("/") else ""
            item.where = f"{name}#{pointer}" if pointer else name
            yield EventItem(source=name, pointer=pointer, error=item)
