"""``mlkg serve`` in a subprocess on a free loopback port, for tests that talk to a real server over HTTP.

Started with ``python -m mlkg serve --store memory:`` (``MLKG_*`` variables unset), its output written to a
log file the tests can read; ``Launched.ready()`` waits until ``/health`` answers at the URL it printed, and
``stop()`` ends it by its process id.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["STARTUP_SECONDS", "Launched", "LiveServer", "launch"]

STARTUP_SECONDS = 60.0


@dataclass(frozen=True)
class LiveServer:
    """A running ``mlkg serve``: the URL it printed (ends with ``/``) and its process id."""

    url: str
    pid: int

    @property
    def sparql(self) -> str:
        return f"{self.url}sparql"

    @property
    def update(self) -> str:
        return f"{self.url}update"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_serving(process: subprocess.Popen[bytes], log: Path) -> str:
    """The URL the server printed, once ``/health`` answers there; fails with the server's output if it
    exits or does not come up in time."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        output = log.read_text(errors="replace")
        if process.poll() is not None:
            pytest.fail(f"mlkg serve exited with {process.returncode}:\n{output}")
        printed = re.search(r"serving (http://\S+/) ", output)
        if printed:
            try:
                with urllib.request.urlopen(f"{printed.group(1)}health", timeout=2) as response:
                    if json.load(response).get("status") == "ok":
                        return printed.group(1)
            except (urllib.error.URLError, OSError):  # refused, reset, or a slow first answer (timeout)
                pass
        time.sleep(0.05)
    pytest.fail(f"mlkg serve did not answer /health within {STARTUP_SECONDS:g} s:\n{log.read_text()}")


@dataclass
class Launched:
    """A ``mlkg serve`` process started but maybe not answering yet."""

    process: subprocess.Popen[bytes]
    log: Path
    url: str | None = None

    def ready(self) -> LiveServer:
        """The server, once it answers ``/health`` (waits the first time)."""
        if self.url is None:
            self.url = _wait_until_serving(self.process, self.log)
        return LiveServer(url=self.url, pid=self.process.pid)

    def stop(self) -> None:
        """Stop the process by its pid: SIGTERM, then SIGKILL after 10 s."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait()


def launch(
    *, log: Path, demo: bool, token: str | None, store: str = "memory:", options: Sequence[str] = ()
) -> Launched:
    """``python -m mlkg serve`` on a free loopback port with ``store`` (in memory by default) and more
    ``options`` (``--sparql-endpoint URL`` ...), ``MLKG_*`` variables unset."""
    command = [sys.executable, "-m", "mlkg", "serve", "--host", "127.0.0.1", "--port", str(_free_port())]
    command += ["--store", store, *options]
    if demo:
        command.append("--demo")
    if token is not None:
        command += ["--write-token", token]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MLKG_")}
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=environment)
    return Launched(process=process, log=log)
