"""Delivering change events: one background thread posts each event to the subscriptions it passes, signed,
retried with exponential backoff, and logged (docs/architecture.md, section 8).

The write observer only puts events in a bounded queue (:meth:`Dispatcher.put`: never blocks, never fails the
write); this thread takes them, completes them (an impact event after a major table change), gives them to
the ``/events`` stream and schedules one delivery per subscription. A delivery is an HTTP POST of the event's
JSON to the subscription's URL, re-checked against the allow-list at each attempt, with no redirect followed
and no proxy from the environment (``trust_env=False``: nothing goes anywhere but the allowed URL), headers
``X-Mlkg-Event``, ``X-Mlkg-Delivery``, ``X-Mlkg-Timestamp`` and ``X-Mlkg-Signature: sha256=<HMAC-SHA256 of
the raw body>``. A 2xx answer delivers it; anything else (or no answer within ``webhook_timeout``) is tried
again after ``webhook_backoff`` seconds, doubled each time, up to ``webhook_attempts`` attempts. Each
subscription's log keeps its last :data:`LOG_SIZE` deliveries.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import queue
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import httpx

from mlkg import __version__
from mlkg.errors import MlkgError
from mlkg.events.allow import AllowList
from mlkg.events.keys import SigningKey, signature
from mlkg.events.model import ChangeEvent
from mlkg.events.subscriptions import Subscription, SubscriptionBook

__all__ = ["LOG_SIZE", "Delivery", "Dispatcher"]

_log = logging.getLogger("mlkg.events")

#: Deliveries kept in each subscription's log.
LOG_SIZE: Final = 200
#: Events waiting for the thread; past it new events are dropped (and counted) rather than block a write.
QUEUE_SIZE: Final = 10_000
#: Delivery attempts waiting for their time; past it new deliveries are dropped (and logged).
PENDING_SIZE: Final = 50_000


@dataclass
class Delivery:
    """One event's delivery to one subscription: its attempts (time, HTTP status or None, error)."""

    id: str
    subscription: str
    event: ChangeEvent
    state: str = "pending"  # pending | delivered | failed
    attempts: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "event": self.event.id,
            "kind": self.event.kind.value,
            "entity": str(self.event.entity),
            "state": self.state,
            "attempts": list(self.attempts),
        }


class Dispatcher:
    """The delivery thread of one app: :meth:`start` it with the app, :meth:`close` it at shutdown.

    ``expand`` completes an event with the events it implies (itself first); ``broadcast`` gives each event
    to the ``/events`` stream.
    """

    def __init__(
        self,
        *,
        book: SubscriptionBook,
        allow: AllowList,
        key: SigningKey,
        attempts: int,
        backoff: float,
        timeout: float,
        expand: Callable[[ChangeEvent], list[ChangeEvent]],
        broadcast: Callable[[ChangeEvent], None],
    ) -> None:
        self._book = book
        self._allow = allow
        self._key = key
        self._attempts = attempts
        self._backoff = backoff
        self._timeout = timeout
        self._expand = expand
        self._broadcast = broadcast
        self._inbox: queue.Queue[ChangeEvent | None] = queue.Queue(maxsize=QUEUE_SIZE)
        self._due: list[tuple[float, int, Delivery]] = []
        self._order = itertools.count()
        self._logs: dict[str, deque[Delivery]] = {}
        self._logs_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        #: Events dropped because the queue was full (the thread fell far behind).
        self.dropped = 0

    # -- the write side ------------------------------------------------------------------------------------

    def put(self, event: ChangeEvent) -> None:
        """Queue ``event`` (called by the write observer): never blocks; a full queue drops it."""
        try:
            self._inbox.put_nowait(event)
        except queue.Full:
            self.dropped += 1
            if self.dropped % 1000 == 1:  # once, then every 1000th: a bulk load must not flood the log
                _log.warning("mlkg: %d change events dropped: the delivery queue is full", self.dropped)

    # -- the log --------------------------------------------------------------------------------------------

    def deliveries(self, subscription: str) -> list[Delivery]:
        """The subscription's last deliveries, newest first."""
        with self._logs_lock:
            return list(reversed(self._logs.get(subscription, ())))

    def forget(self, subscription: str) -> None:
        with self._logs_lock:
            self._logs.pop(subscription, None)

    # -- the thread ----------------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="mlkg-events", daemon=True)
        self._thread.start()

    def close(self, *, wait: float = 5.0) -> None:
        """Stop the thread (deliveries still waiting for a retry are abandoned)."""
        if self._thread is None:
            return
        with contextlib.suppress(queue.Full):
            self._inbox.put(None, timeout=wait)
        self._thread.join(wait)
        self._thread = None

    def _run(self) -> None:
        with httpx.Client(
            timeout=self._timeout,
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": f"mlkg/{__version__}"},
        ) as client:
            while True:
                wait = max(0.0, self._due[0][0] - time.monotonic()) if self._due else None
                try:
                    event = self._inbox.get(timeout=wait)
                except queue.Empty:
                    pass
                else:
                    if event is None:
                        return
                    try:
                        self._take(event)
                    except Exception:
                        _log.exception("mlkg: change event %s could not be dispatched", event.id)
                while self._due and self._due[0][0] <= time.monotonic():
                    _, _, delivery = heapq.heappop(self._due)
                    try:
                        self._attempt(client, delivery)
                    except Exception as error:  # the thread must outlive any one delivery
                        _log.exception("mlkg: delivery %s failed", delivery.id)
                        delivery.state = "failed"
                        delivery.attempts.append(_attempt(None, f"{type(error).__name__}: {error}"))

    def _take(self, event: ChangeEvent) -> None:
        try:
            events = self._expand(event)
        except Exception:
            _log.exception("mlkg: completing change event %s failed", event.id)
            events = [event]
        for one in events:
            try:
                self._broadcast(one)
            except Exception:
                _log.exception("mlkg: streaming change event %s failed", one.id)
            for subscription in self._book.wanting(one):
                delivery = Delivery(id=str(uuid.uuid4()), subscription=subscription.id, event=one)
                with self._logs_lock:
                    self._logs.setdefault(subscription.id, deque(maxlen=LOG_SIZE)).append(delivery)
                if len(self._due) >= PENDING_SIZE:
                    delivery.state = "failed"
                    delivery.attempts.append(_attempt(None, "dropped: too many deliveries are waiting"))
                    continue
                self._schedule(delivery, at=time.monotonic())

    def _schedule(self, delivery: Delivery, *, at: float) -> None:
        heapq.heappush(self._due, (at, next(self._order), delivery))

    def _attempt(self, client: httpx.Client, delivery: Delivery) -> None:
        try:
            subscription = self._book.get(delivery.subscription)
        except MlkgError:
            delivery.state = "failed"
            delivery.attempts.append(_attempt(None, "the subscription was deleted"))
            return
        status, error = self._post(client, subscription, delivery)
        delivery.attempts.append(_attempt(status, error))
        if error is None:
            delivery.state = "delivered"
        elif status == -1 or len(delivery.attempts) >= self._attempts:  # refused here, or out of attempts
            delivery.state = "failed"
        else:
            delay = self._backoff * 2 ** (len(delivery.attempts) - 1)
            self._schedule(delivery, at=time.monotonic() + delay)

    def _post(
        self, client: httpx.Client, subscription: Subscription, delivery: Delivery
    ) -> tuple[int | None, str | None]:
        """``(status, error)``: error None on a 2xx; status -1 for a delivery refused before any request."""
        try:
            url = self._allow.check(subscription.url)
            secret = self._key.secret(subscription.id)
        except MlkgError as error:
            return -1, str(error)
        body = delivery.event.payload()
        headers = {
            "Content-Type": "application/json",
            "X-Mlkg-Event": delivery.event.kind.value,
            "X-Mlkg-Delivery": delivery.id,
            "X-Mlkg-Timestamp": str(int(time.time())),
            "X-Mlkg-Signature": signature(secret=secret, body=body),
        }
        try:
            answer = client.post(url.text, content=body, headers=headers)
        except httpx.HTTPError as error:
            return None, f"{type(error).__name__}: {error}"
        if 200 <= answer.status_code < 300:
            return answer.status_code, None
        return answer.status_code, f"HTTP {answer.status_code}"


def _attempt(status: int | None, error: str | None) -> dict[str, Any]:
    return {
        "at": datetime.now(UTC).isoformat(),
        "status": None if status is None or status < 0 else status,
        "error": error,
    }
