"""The ``/events`` stream's side of change events: every event, numbered, kept in a bounded ring and handed to
each open stream (docs/architecture.md, section 8).

Events are published by the delivery thread; each stream is an asyncio queue on the server's event loop,
fed with ``call_soon_threadsafe``. A stream that falls :data:`STREAM_BACKLOG` events behind is ended (its
client reconnects with ``Last-Event-ID`` and is replayed what the ring still holds). An event's id is the
hub's epoch (random, one per process) and its number: a ``Last-Event-ID`` of another epoch (the client saw
an earlier server process) replays every event the ring holds, since the client missed them all.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
import threading
import time
from collections import deque
from typing import Final

from mlkg.events.model import ChangeEvent

__all__ = ["EventHub", "Stream"]

#: Events the ring keeps for ``Last-Event-ID`` resumption.
RING_SIZE: Final = 1000
#: Events one stream may have waiting before it is ended.
STREAM_BACKLOG: Final = 1000

#: Seconds after the last stream closed during which events are still kept for its client to resume.
RESUME_SECONDS: Final = 300.0

#: What a stream receives: (number, event), or None when it must end.
Item = tuple[int, ChangeEvent] | None


class Stream:
    """One open ``/events`` stream: ``await stream.next()`` gives the next (number, event); None ends it."""

    def __init__(self, *, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[Item] = asyncio.Queue(maxsize=STREAM_BACKLOG + 1)

    async def next(self, *, timeout: float) -> Item | bool:
        """The next item, or False if ``timeout`` seconds passed without one."""
        try:
            return await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            return False

    def _offer(self, item: Item) -> None:  # on the loop
        if self.queue.full():  # already ended
            return
        if self.queue.qsize() >= STREAM_BACKLOG:
            item = None  # too far behind: end it
        self.queue.put_nowait(item)


class EventHub:
    """The ring of recent events and the open streams."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ring: deque[tuple[int, ChangeEvent]] = deque(maxlen=RING_SIZE)
        self._number = 0
        self._streams: set[Stream] = set()
        self._closed = False
        self._last_left = float("-inf")
        #: Starts every event id of this hub (so ids of an earlier process are told apart).
        self.epoch = secrets.token_hex(4)

    def event_id(self, number: int) -> str:
        """The SSE ``id:`` of the event numbered ``number``."""
        return f"{self.epoch}-{number}"

    def after(self, last_event_id: str | None) -> int | None:
        """The number to replay events after for a ``Last-Event-ID``: its number if it is one of this hub's,
        0 (everything held) for another's, None (nothing) if there is none."""
        if last_event_id is None or not last_event_id.strip():
            return None
        found = re.fullmatch(r"([0-9a-f]+)-([0-9]{1,18})", last_event_id.strip())
        if found is not None and found.group(1) == self.epoch:
            return int(found.group(2))
        return 0

    def publish(self, event: ChangeEvent) -> None:
        """Number ``event``, keep it in the ring and hand it to every open stream (any thread)."""
        with self._lock:
            self._number += 1
            item = (self._number, event)
            self._ring.append(item)
            streams = list(self._streams)
        for stream in streams:
            try:
                stream.loop.call_soon_threadsafe(stream._offer, item)
            except RuntimeError:  # its loop is closed
                self.leave(stream)

    def join(self, *, after: int | None) -> tuple[Stream, list[tuple[int, ChangeEvent]]]:
        """Open a stream on the running loop, with the ring's events numbered above ``after`` to replay
        first (none if ``after`` is None)."""
        stream = Stream(loop=asyncio.get_running_loop())
        with self._lock:
            if self._closed:
                stream.queue.put_nowait(None)
            self._streams.add(stream)
            replay = [] if after is None else [item for item in self._ring if item[0] > after]
        return stream, replay

    def leave(self, stream: Stream) -> None:
        with self._lock:
            self._streams.discard(stream)
            self._last_left = time.monotonic()

    def wanted(self) -> bool:
        """Whether events must be kept: a stream is open, or one closed less than :data:`RESUME_SECONDS` ago
        (its client may come back with ``Last-Event-ID``)."""
        return bool(self._streams) or time.monotonic() - self._last_left < RESUME_SECONDS

    def close(self) -> None:
        """End every open stream (the server is shutting down) and refuse new ones."""
        with self._lock:
            self._closed = True
            streams = list(self._streams)
        for stream in streams:
            with contextlib.suppress(RuntimeError):  # its loop is closed
                stream.loop.call_soon_threadsafe(stream._offer, None)
