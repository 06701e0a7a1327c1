"""The record of a write in progress, which makes a crash between a write's two transactions repairable.

A write through :class:`~mlkg.reasoning.store.ReasonedStore` commits the asserted change first and the
inferred-graph change second, in two transactions: the second is computed from the first as the store holds it
(blank nodes carry the labels the store gave them; a raw SPARQL Update says nothing of what it changed), so
they cannot be one. A process killed between the two would leave an inferred graph that no longer follows
from the asserted data, and the reasoner of the next process trusts the stored inferred graph.

So every write is bracketed by a record in the store itself, in the graph :data:`mlkg.vocab.PENDING_GRAPH`:

1. :meth:`WriteJournal.begin` commits one triple, ``<urn:uuid:...> prov:startedAtTime "..."^^xsd:dateTime``
   (PROV-O; one subject per journal), before the asserted change;
2. :meth:`WriteJournal.end` deletes it once the inferred change has committed.

The embedded store keeps each record as an empty named graph named after its subject
(:meth:`mlkg.store.oxigraph.OxigraphStore.change_graph`): committed and ordered like a triple, but never part
of a query's union default graph. Each step is its own small transaction (0.03 ms on the embedded store on
disk, ``bench/crashsafe.py``; one request on a remote engine). A killed process loses none of the transactions
it committed, in order, so a store that holds an asserted change also holds the record made before it (the
reliability suite kills ``mlkg load`` and ``mlkg serve`` with SIGKILL; a power cut relies on RocksDB
recovering its write-ahead log to a point in time, not tested). The next process to open the store finds the
record (:meth:`WriteJournal.interrupted`, one read; on the embedded store, of the graph names) and recomputes
the inferred graph before anything else, writing only the difference
(:meth:`mlkg.reasoning.engine.Reasoner.recompute`); then :meth:`WriteJournal.clear` drops every record. A
crash during that repair leaves the records, so the next open repairs again.

On a remote SPARQL engine the record lives in the same graph, so the same holds as long as the engine commits
each update request on its own, in order, and one mlkg process writes at a time (as the reasoner's in-memory
state already requires): a second process opening the store while the first is mid-write would take the
first's record for a crashed one, repair (harmlessly) and drop it.

One window is left open: a raw SPARQL Update that writes graphs it does not name (``DROP ALL``, ``CLEAR
NAMED``, ``DELETE WHERE { GRAPH ?g { ?s ?p ?o } }``) may delete the record with everything else. The record is
written again right after such an update commits (before its recompute), so only a kill in the few
microseconds between the two goes unrecorded; ``DROP ALL`` and ``CLEAR`` also drop the inferred graph, which
the next ``mlkg serve`` or write then rewrites in full (``Reasoner.ensure_state``), but a read-only command
would answer from the partial graph until then. Putting the record into the update's own transaction would
mean editing the user's text.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from rdflib import Literal, URIRef
from rdflib.namespace import PROV, XSD

from mlkg.store.base import Store, Triple
from mlkg.vocab import PENDING_GRAPH

__all__ = ["WriteJournal"]


class WriteJournal:
    """The write-in-progress records of one writer (one :class:`ReasonedStore`) in ``store``."""

    def __init__(self, *, store: Store) -> None:
        self._store = store
        self._subject = URIRef(f"urn:uuid:{uuid.uuid4()}")
        #: The record this writer has committed and not deleted yet.
        self._record: Triple | None = None

    def interrupted(self) -> bool:
        """True if the store holds a record: a write (of this process or of one that died) did not finish.

        :raises StoreError: if the store fails.
        """
        return self._store.has_graph(graph=PENDING_GRAPH)

    def begin(self, *, again: bool = False) -> None:
        """Commit the record of a write about to start, unless this writer's record is still there (a failed
        write left it). ``again=True`` writes it even then: after an update that may have dropped it.

        :raises StoreError: if the store fails (the write must then not start).
        """
        if self._record is not None and not again:
            return
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        record = self._record or (self._subject, PROV.startedAtTime, Literal(stamp, datatype=XSD.dateTime))
        self._store.change_graph(graph=PENDING_GRAPH, delete=(), insert=[record])
        self._record = record

    def end(self) -> None:
        """Delete this writer's record: its write and the write's inferred change are both committed.

        :raises StoreError: if the store fails (the record stays, and the next open repairs needlessly).
        """
        record, self._record = self._record, None
        if record is not None:
            self._store.change_graph(graph=PENDING_GRAPH, delete=[record], insert=())

    def clear(self) -> None:
        """Drop every record, this writer's and those of processes that died: the inferred graph has just been
        recomputed.

        :raises StoreError: if the store fails.
        """
        self._record = None
        self._store.delete_graphs(graphs=[PENDING_GRAPH])
