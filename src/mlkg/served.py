"""The record ``mlkg serve`` keeps in the store directory it serves: its address and process id.

Only one process can hold an embedded store's directory for writing (docs/architecture.md, section 1). While
``mlkg serve`` holds it, other ``mlkg`` commands read a view of it; a command that would write reads this
record to say exactly where the server is and what to do instead ("POST to it or stop it"). The record is
written when the server starts listening and removed when it stops (Ctrl-C or SIGTERM); a record left by a
process that died (SIGKILL) is ignored (its process id no longer runs).
"""

from __future__ import annotations

import json
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Final

from mlkg.config import MEMORY_STORE, Settings

__all__ = ["RECORD_NAME", "ServedBy", "served", "served_by"]

#: The record's file name, inside the store directory (RocksDB ignores files it did not name itself).
RECORD_NAME: Final = "mlkg-serve.json"


@dataclass(frozen=True)
class ServedBy:
    """The running ``mlkg serve`` that holds a store: its base URL (ends with ``/``) and process id."""

    url: str
    pid: int

    def __str__(self) -> str:
        return f"mlkg serve at {self.url} (pid {self.pid})"


def _record(settings: Settings) -> Path | None:
    if settings.sparql_endpoint or settings.store == MEMORY_STORE:
        return None
    return Path(settings.store) / RECORD_NAME


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it runs, as another user
        return True
    return True


def served_by(*, settings: Settings) -> ServedBy | None:
    """The running server that holds the embedded store ``settings`` select, if its record says one does."""
    path = _record(settings)
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        found = ServedBy(url=str(data["url"]), pid=int(data["pid"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return found if _running(found.pid) else None


@contextmanager
def served(*, settings: Settings, url: str) -> Iterator[None]:
    """Keep this process's record in the store directory while the block runs (nothing for an in-memory or
    remote store). The record is replaced atomically, and removed at the end if it is still this one's."""
    path = _record(settings)
    if path is None:
        yield
        return
    mine = ServedBy(url=url, pid=os.getpid())
    written = False
    try:
        scratch = path.with_name(f".{RECORD_NAME}.{mine.pid}")
        scratch.write_text(json.dumps({"url": mine.url, "pid": mine.pid}), encoding="utf-8")
        os.replace(scratch, path)
        written = True
    except OSError:
        pass  # a read-only directory: commands then say only that the store is in use
    # uvicorn stops gracefully on SIGTERM, then raises it again with the handler it found: the default one
    # would end the process before the record is removed, so SIGTERM ends it by SystemExit (status 143).
    terminate = threading.current_thread() is threading.main_thread() and (
        signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    )
    if terminate:
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        yield
    finally:
        if terminate:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if written and served_by(settings=settings) == mine:
            path.unlink(missing_ok=True)


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)
