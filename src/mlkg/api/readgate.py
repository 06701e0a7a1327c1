"""How many reads run in the engine at once: as many as the machine has cores, and a read that turns out
slow gives its place up to the others.

pyoxigraph releases the GIL while it evaluates a query, so reads run in parallel on the cores; more reads
at once than cores only adds threads contending for the GIL with the event loop. On the 2-core machine, a
minimal server over the same store answered "downstream of T" 2,625 times a second with 2 reader threads
and 2,144 times with 4 (bench/README.md, HTTP service). A quick read holds its place until it ends; a read
still running after ``slow_after`` seconds leaves the count (its thread goes on), so one slow query never
holds the quick ones back.
"""

from __future__ import annotations

import asyncio
from collections import deque

__all__ = ["ReadGate", "ReadSlot"]


class ReadGate:
    """Admits at most ``slots`` quick reads at a time, first come first served. Used from one event loop."""

    def __init__(self, *, slots: int, slow_after: float) -> None:
        if slots < 1:
            raise ValueError(f"a read gate needs at least one slot, not {slots}")
        self.slots = slots
        self.slow_after = slow_after
        self._free = slots
        self._waiting: deque[asyncio.Future[None]] = deque()

    @property
    def free(self) -> int:
        """Places free now."""
        return self._free

    def try_enter(self) -> ReadSlot | None:
        """A place now if one is free and nobody waits for one, else None (then :meth:`enter`)."""
        while self._waiting and self._waiting[0].done():
            self._waiting.popleft()  # waiters that gave up
        if self._free > 0 and not self._waiting:
            self._free -= 1
            return ReadSlot(self, asyncio.get_running_loop())
        return None

    async def enter(self) -> ReadSlot:
        """Wait for a place; the caller must :meth:`ReadSlot.leave` it (or let it time out as slow)."""
        slot = self.try_enter()
        if slot is not None:
            return slot
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiting.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release()  # a place was handed over as the wait was cancelled: pass it on
            raise
        return ReadSlot(self, loop)

    def _release(self) -> None:
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the place goes straight to the next reader
                return
        self._free += 1


class ReadSlot:
    """One admitted read's place; given back by :meth:`leave`, or after ``slow_after`` seconds by itself."""

    __slots__ = ("_gate", "_held", "_timer")

    def __init__(self, gate: ReadGate, loop: asyncio.AbstractEventLoop) -> None:
        self._gate = gate
        self._held = True
        self._timer = loop.call_later(gate.slow_after, self.leave)

    def leave(self) -> None:
        """Give the place back (once; later calls do nothing)."""
        if self._held:
            self._held = False
            self._timer.cancel()
            self._gate._release()
