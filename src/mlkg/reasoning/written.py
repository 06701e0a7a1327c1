"""What one committed write changed, told to the observers of a :class:`~mlkg.reasoning.store.ReasonedStore`
(docs/architecture.md, section 1: the search index, the audit trail and change events follow every write).

Every write reaches the store through a ``ReasonedStore`` (the Python API, the CLI, uploads, JSON Patch,
connectors, the Graph Store protocol and SPARQL Update), so observing it there sees every write, from every
front door, once, after it committed: an observer never sees a write that failed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rdflib import URIRef

from mlkg.history.records import VersionRecord

__all__ = ["WriteObserver", "Written", "tell"]

_log = logging.getLogger("mlkg.write")


@dataclass(frozen=True)
class Written:
    """One committed write.

    ``graphs``: the graphs it replaced, changed or dropped (entity graphs and any other graph written, not
    the version-record graphs of the history); a graph left unchanged (the same description loaded again) is
    not among them. ``versions``: the versions it recorded (created, minor, major, restored, deleted; empty
    when no history is kept or for a raw SPARQL Update / Graph Store write). ``everything``: the write may
    have changed graphs it does not name (``DROP ALL``, ``GRAPH ?g`` in an update template...): an observer
    keeping derived state must read everything again. ``deleted``: ``graphs`` were dropped (a delete or a
    hard delete).
    """

    graphs: tuple[URIRef, ...]
    versions: tuple[VersionRecord, ...] = ()
    everything: bool = False
    deleted: bool = False

    def __bool__(self) -> bool:
        return bool(self.graphs) or self.everything


#: Called after each committed write, in the writing thread, while the store's write lock is held.
WriteObserver = Callable[[Written], None]


def tell(observers: Sequence[WriteObserver], written: Written) -> None:
    """Tell each observer about ``written`` (nothing for an empty write). The write has committed: an observer
    that fails is logged and the others are still told; it must repair its own state (e.g. mark an index for
    rebuilding) rather than undo the write."""
    if not written:
        return
    for observer in observers:
        try:
            observer(written)
        except Exception:
            _log.exception("mlkg: an observer of writes failed after a committed write (%r)", observer)
