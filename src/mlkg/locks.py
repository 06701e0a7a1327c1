"""The one process-wide lock around libraries that change rdflib's global tables.

owlrl and pyshacl modify rdflib process-wide state (datatype tables, namespace bindings) while they run, so
two of them running at once in one process, or either of them racing another rdflib user, can corrupt
results. docs/architecture.md (habit 3) asks that they be called only through adapters holding this lock.
"""

from __future__ import annotations

import threading

__all__ = ["RDFLIB_GLOBALS"]

#: Hold while calling owlrl or pyshacl.
RDFLIB_GLOBALS = threading.RLock()
