"""A real loopback webhook receiver for the change-event tests: an ``http.server`` in a thread that records
every request it gets and answers each path with a scripted list of statuses (then 204)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        data = json.loads(self.body)
        assert isinstance(data, dict)
        return data

    def signed_with(self, secret: str) -> bool:
        """Whether ``X-Mlkg-Signature`` is the HMAC-SHA256 of the raw body with ``secret`` (as a receiver
        checks it: in constant time)."""
        expected = "sha256=" + hmac.new(secret.encode(), self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(self.headers.get("x-mlkg-signature", ""), expected)


@dataclass
class Receiver:
    url: str
    received: list[Received] = field(default_factory=list)
    #: path -> statuses to answer, in order (204 once they run out); (status, Location) for a redirect
    script: dict[str, list[int | tuple[int, str]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def at(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]

    def wait(self, until: Callable[[], bool], *, seconds: float = 15.0) -> None:
        deadline = time.monotonic() + seconds
        while not until():
            assert time.monotonic() < deadline, f"timed out; received: {[r.path for r in self.received]}"
            time.sleep(0.02)


def start_receiver() -> tuple[Receiver, ThreadingHTTPServer]:
    holder: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            receiver = holder[0]
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            with receiver.lock:
                receiver.received.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                statuses = receiver.script.get(self.path, [])
                answer = statuses.pop(0) if statuses else 204
            status, location = answer if isinstance(answer, tuple) else (answer, None)
            self.send_response(status)
            if location is not None:
                self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder.append(Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/"))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return holder[0], server
