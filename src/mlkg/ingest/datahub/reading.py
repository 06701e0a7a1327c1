"""DataHub proposals read from an input: a JSON array of MCPs and MCEs (what the Python emitter's file sink
writes), one proposal, or JSON Lines, one at a time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from mlkg.ingest.datahub.intake import ProposalItem
from mlkg.ingest.stream import Ignored, JsonItem, json_items, json_lines

__all__ = ["read_proposals"]


def read_proposals(*, name: str, stream: IO[bytes], lines: bool, max_bytes: int) -> Iterator[ProposalItem]:
    """The proposals of ``stream`` (JSON Lines if ``lines``), each at most ``max_bytes``, as they are read.

    Problems are items with an ``error``, never exceptions: a malformed line or a proposal over
    ``max_bytes`` is that proposal's (``where``: ``name#/N``); malformed JSON, an empty input or invalid
    UTF-8 ends the input (``where``: ``name``).
    """
    items = (json_lines if lines else json_items)(stream=stream, name=name, max_bytes=max_bytes)
    for item in items:
        if isinstance(item, JsonItem):
            yield ProposalItem(source=name, pointer=item.pointer, value=item.value)
        elif isinstance(item, Ignored):  # pragma: no cover - only beside a JSON-LD @graph
            continue
        else:
            pointer = item.where if item.where and item.where.startswith("/") else ""
            item.where = f"{name}#{pointer}" if pointer else name
            yield ProposalItem(source=name, pointer=pointer, error=item)
