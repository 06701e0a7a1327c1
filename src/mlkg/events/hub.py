"""The ``/events`` stream's side of change events: every event, numbered, kept in a bounded ring and handed to
each open stream (docs/architecture.md, section 8).

Events are published by the delivery thread; each stream is an asyncio queue on the server's event loop,
fed with ``call_soon_threadsafe``. A stream that falls :data:`STREAM_BACKLOG` events behind is ended (its
client reconnects with ``Last-Event-ID`` and is replayed what the ring still holds). Numbers start at 1 in
each process: a ``Last-Event-ID`` the ring does not hold (an older process's, or one past its end) replays
nothing older than the ring.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from typing import Final

from mlkg.events.model import ChangeEvent

__all__ = ["EventHub", "Stream"]

#: Events the ring keeps for ``Last-Event-ID`` resumption.
RING_SIZE: Final = 1000
#: Events one stream may have waiting before it is ended.
STREAM_BACKLOG: Final = 1000

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

    def close(self) -> None:
        """End every open stream (the server is shutting down) and refuse new ones."""
        with self._lock:
            self._closed = True
            streams = list(self._streams)
        for stream in streams:
            with contextlib.suppress(RuntimeError):  # its loop is closed
                stream.loop.call_soon_threadsafe(stream._offer, None)
