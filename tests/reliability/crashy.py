"""``mlkg`` with a kill -9 injected right before the inferred-graph write: the reliability suite's fault hook.

    python tests/reliability/crashy.py ARGS...      # the same arguments as ``mlkg``

With ``MLKG_TEST_KILL_AT_INFERRED_WRITE=N`` in the environment, the process sends itself SIGKILL when it is
about to write an incremental change of the inferred graph for the N-th time: an entity write has committed
and its inferred consequences have not, the moment where a crash used to leave lineage wrong for good.
Without the variable this is plain ``mlkg``.

mlkg itself carries no fault-injection code: this wrapper replaces the embedded store's ``change_graph`` in
its own process only (the incremental path of ``Reasoner.apply``; a full recompute writes through the bulk
methods and is not counted). The suite checks that each hooked process did die by SIGKILL, so a change of
that write path cannot make the hook, and the test, silently pass.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterable

from rdflib import URIRef

from mlkg.cli import main
from mlkg.store.base import Triple
from mlkg.store.oxigraph import OxigraphStore
from mlkg.vocab import INFERRED_GRAPH

VARIABLE = "MLKG_TEST_KILL_AT_INFERRED_WRITE"


def install(kill_at: int) -> None:
    """Make the ``kill_at``-th incremental write of the inferred graph in this process a kill -9."""
    original = OxigraphStore.change_graph
    seen = [0]

    def change_graph(
        self: OxigraphStore, *, graph: URIRef, delete: Iterable[Triple], insert: Iterable[Triple]
    ) -> None:
        if graph == INFERRED_GRAPH:
            seen[0] += 1
            if seen[0] == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
        original(self, graph=graph, delete=delete, insert=insert)

    OxigraphStore.change_graph = change_graph  # type: ignore[method-assign]


if __name__ == "__main__":
    if os.environ.get(VARIABLE):
        install(int(os.environ[VARIABLE]))
    main(sys.argv[1:])
