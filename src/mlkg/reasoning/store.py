"""A :class:`~mlkg.store.base.Store` that keeps the inferred lineage graph correct after every write.

Every write goes to the wrapped store first; then the reasoner is told which asserted triples the write
removed and added (read from the store before and after, so blank nodes carry the labels the store gave them)
and updates the inferred graph with exactly the difference. Writes to the inferred graph and to the ontology
graph are refused: mlkg maintains both (docs/architecture.md, habit 6; the ontology graph is served from the
shipped ontology, :mod:`mlkg.store.ontologygraph`). A raw SPARQL Update does not say which triples it changed,
so after one the reasoner reads the asserted lineage triples again and applies their difference from its state
(:meth:`~mlkg.reasoning.engine.Reasoner.resync`): no full rewrite of the inferred graph.

Crash safety: the asserted change and the inferred change are two transactions, so each write is bracketed
by a record in the store (:mod:`mlkg.reasoning.journal`), and a ``ReasonedStore`` opened on a store holding
one (a process died mid-write) recomputes the inferred graph before anything else
(:attr:`ReasonedStore.repaired`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from types import TracebackType
from typing import Self, TypeVar

from rdflib import BNode, URIRef

from mlkg.errors import ForbiddenError, InputError
from mlkg.history.keeper import EntityHistory
from mlkg.history.records import VersionRecord
from mlkg.history.registry import ModelRegistry
from mlkg.reasoning.engine import Reasoner, ReasonStats
from mlkg.reasoning.gate import WriteGate
from mlkg.reasoning.journal import WriteJournal
from mlkg.reasoning.passthrough import offering
from mlkg.reasoning.program import LineageProgram
from mlkg.reasoning.written import WriteObserver, Written, tell
from mlkg.store import install_ontology
from mlkg.store.base import Object, Quad, QueryResult, Store, Subject, Term, Triple
from mlkg.store.sparqlcheck import check_update
from mlkg.vocab import (
    AUDIT_GRAPH,
    INFERRED_GRAPH,
    ONTOLOGY_GRAPH,
    PENDING_GRAPH,
    PRINCIPALS_GRAPH,
    SUBSCRIPTIONS_GRAPH,
)

__all__ = ["OWNED_GRAPHS", "PROTECTED_GRAPHS", "ReasonedStore", "repair_interrupted", "repair_note"]

#: The graphs only mlkg's access control writes, on the wrapped store (:mod:`mlkg.access`): the audit graph
#: (append-only) and the principals. A write through a ReasonedStore naming one is refused (403), and an
#: update that may write graphs it does not name leaves them as they were (docs/architecture.md, section 10).
PROTECTED_GRAPHS = (AUDIT_GRAPH, PRINCIPALS_GRAPH)
#: The graphs mlkg maintains: nothing written through a ReasonedStore may touch them.
_OWNED = (INFERRED_GRAPH, ONTOLOGY_GRAPH, PENDING_GRAPH, SUBSCRIPTIONS_GRAPH)
#: Maintained graphs that cannot be recomputed: written back as they were after an update that may have
#: changed graphs it does not name (``DROP ALL``, ``GRAPH ?g`` templates).
_KEPT = (SUBSCRIPTIONS_GRAPH, *PROTECTED_GRAPHS)
#: Every graph a write through a ReasonedStore cannot name.
OWNED_GRAPHS = (*_OWNED, *PROTECTED_GRAPHS)

T = TypeVar("T")


class _Step:
    """One write in progress: tells :meth:`ReasonedStore._recorded` whether a failure came before the asserted
    write or from the asserted write itself (one transaction), so that nothing of it was written."""

    def __init__(self) -> None:
        self.started = False
        self.refused = False

    def write(self, call: Callable[[], T], *, atomic: bool = True) -> T:
        """Run the asserted write; if it fails and is ``atomic`` (one transaction), nothing was written."""
        self.started = True
        try:
            return call()
        except BaseException:
            self.refused = atomic
            raise


class ReasonedStore:
    """Wraps ``inner`` so that its inferred graph follows every write made through this object.

    It offers the read capabilities of ``inner`` (:mod:`mlkg.reasoning.passthrough`), so code reading through
    it gets the backend's fast paths; the write capabilities are not offered.

    Opening it repairs the inferred graph if a write through an earlier one did not finish (the process died
    between the asserted and the inferred transaction): :attr:`repaired` then holds what the recompute did.
    With ``repair=False`` it does not look (for a read-only view of a store another process writes).

    :raises StoreError: if the store fails while checking for, or repairing, an interrupted write.
    """

    def __new__(
        cls,
        *,
        inner: Store,
        program: LineageProgram,
        repair: bool = True,
        history: EntityHistory | None = None,
        registry: ModelRegistry | None = None,
    ) -> Self:
        # The read capabilities of ``inner`` (query results and exports it serialises itself) are offered
        # by this object too, so readers need not reach past it (:mod:`.passthrough`).
        del program, repair, history, registry
        return super().__new__(offering(cls, inner=inner))

    def __init__(
        self,
        *,
        inner: Store,
        program: LineageProgram,
        repair: bool = True,
        history: EntityHistory | None = None,
        registry: ModelRegistry | None = None,
    ) -> None:
        self.inner = inner
        #: The model-registry rules applied to writes of model versions (:mod:`mlkg.history.registry`).
        self.registry = registry
        #: Versions entity graphs as they are written (:mod:`mlkg.history`); None: no history is kept.
        self.history = history
        #: The version each entity graph of the last write got (None: unchanged, not written).
        self.versions: dict[URIRef, Decimal | None] = {}
        self.reasoner = Reasoner(store=inner, program=program)
        self.last: ReasonStats | None = None
        #: Writes begun through this object (:class:`~mlkg.store.base.WriteCounter`).
        self.writes = 0
        #: Told what each committed write changed (:mod:`mlkg.reasoning.written`): :meth:`observe`.
        self.observers: list[WriteObserver] = []
        #: Asked before each write whether it may be made (:mod:`mlkg.reasoning.gate`); None: every write
        #: may. The HTTP service sets it, under its write lock, to the permissions of the request writing.
        self.gate: WriteGate | None = None
        self._journal = WriteJournal(store=inner)
        #: What the repair on opening did, if an earlier write was interrupted; None if nothing was to do.
        #: ``repair=False`` (a read-only view, :mod:`mlkg.store.reading`) leaves the repair to the writer.
        interrupted = repair and self._journal.interrupted()
        self.repaired: ReasonStats | None = self.recompute() if interrupted else None

    # -- writes ----------------------------------------------------------------------------------------------

    def observe(self, observer: WriteObserver, /) -> None:
        """Call ``observer`` after every committed write through this object, with what it changed
        (:class:`~mlkg.reasoning.written.Written`)."""
        self.observers.append(observer)

    @contextmanager
    def _recorded(self, *, recompute: bool = False) -> Iterator[_Step]:
        """Bracket one write with its record in the store (:mod:`mlkg.reasoning.journal`).

        On success the record is deleted (every record, after a full recompute). On failure it is deleted
        only if the asserted write did not start or refused the change (``_Step.write`` raised: one
        transaction, nothing written) and the reasoner still trusts its state (a failed write of the inferred
        graph makes it distrust it); otherwise the reasoner is invalidated and the record
        stays, so this process's next write, or the next process to open the store, recomputes the inferred
        graph.
        """
        self.writes += 1  # before anything is written: a reader must not trust what it saw before
        self._journal.begin()
        step = _Step()
        try:
            yield step
        except BaseException:
            if (step.refused or not step.started) and not self.reasoner.stale:
                self._journal.end()
            else:
                self.reasoner.invalidate()
            raise
        if recompute:
            self._journal.clear()
        else:
            self._journal.end()

    def _snapshot(self, graphs: Iterable[URIRef]) -> list[Triple]:
        """The triples of ``graphs`` now; also makes sure the reasoner's state describes the store before a
        write changes it."""
        self.reasoner.ensure_state()
        return [(s, p, o) for g in graphs for s, p, o, _ in self.inner.quads(graph=g)]

    @staticmethod
    def _refuse_owned(graphs: Iterable[URIRef]) -> list[URIRef]:
        names = list(graphs)
        for protected in PROTECTED_GRAPHS:
            if protected in names:
                raise ForbiddenError(
                    f"the graph {protected} is written only by mlkg's access control (append-only audit, "
                    "principals): no upload, Graph Store request or SPARQL Update can change it"
                )
        for owned in _OWNED:
            if owned in names:
                raise InputError(
                    f"the graph {owned} is maintained by mlkg and cannot be written", where=owned
                )
        return names

    def replace_graphs(
        self,
        *,
        graphs: Mapping[URIRef, Iterable[Triple]],
        actor: str | None = None,
        restored_from: Mapping[URIRef, Decimal] | None = None,
    ) -> None:
        """Replace many graphs in one call of the wrapped store (a batch of a load), then apply the difference
        to the inferred graph once. With a history, entity graphs are versioned in the same call
        (:meth:`~mlkg.history.keeper.EntityHistory.plan_replace`, attributed to ``actor``), and one whose
        description did not change is not written: :attr:`versions` says which were."""
        self._refuse_owned(graphs)
        given = {name: list(triples) for name, triples in graphs.items()}
        with self._recorded() as step:
            self.reasoner.ensure_state()
            if self.registry is not None:  # other versions losing an alias, or archived: in the same write
                given = self.registry.adjust(store=self.inner, given=given)
            names = self._refuse_owned(given)
            now = {name: [(s, p, o) for s, p, o, _ in self.inner.quads(graph=name)] for name in names}
            if self.gate is not None:
                self.gate.replacing(given=given, stored=now)
            self.versions = {}
            records: tuple[VersionRecord, ...] = ()
            if self.history is not None:
                planned = self.history.plan_replace(
                    store=self.inner, before=now, given=given, actor=actor, restored_from=restored_from
                )
                given, self.versions, records = planned.graphs, planned.versions, planned.records
                if not given:
                    return
            before = [triple for name in given for triple in now.get(name, ())]
            step.write(lambda: self.inner.replace_graphs(graphs=given))
            self.last = self.reasoner.apply(removed=before, added=self._written(given))
        tell(self.observers, Written(graphs=tuple(n for n in names if n in given), versions=records))

    def _written(self, graphs: Mapping[URIRef, list[Triple]]) -> list[Triple]:
        """The triples now in ``graphs``: as given (each once per graph) for a graph without blank nodes,
        else read back from the store (blank nodes get the store's labels)."""
        written: list[Triple] = []
        for name, triples in graphs.items():
            if any(isinstance(t, BNode) for triple in triples for t in triple):
                written.extend((s, p, o) for s, p, o, _ in self.inner.quads(graph=name))
            else:
                written.extend(dict.fromkeys(triples))
        return written

    def load_graph(self, *, graph: URIRef, triples: Iterable[Triple]) -> int:
        self._refuse_owned([graph])
        if self.gate is not None:
            triples = list(triples)
            self.gate.changing(graph=graph, inserted=triples)
        with self._recorded() as step:
            before = self._snapshot([graph])
            written = step.write(lambda: self.inner.load_graph(graph=graph, triples=triples), atomic=False)
            self.last = self.reasoner.apply(removed=before, added=self._snapshot([graph]))
        tell(self.observers, Written(graphs=(graph,)))
        return written

    def change_graph(self, *, graph: URIRef, delete: Iterable[Triple], insert: Iterable[Triple]) -> None:
        self._refuse_owned([graph])
        if self.gate is not None:
            delete, insert = list(delete), list(insert)
            self.gate.changing(graph=graph, inserted=[*delete, *insert])
        with self._recorded() as step:
            before = self._snapshot([graph])
            step.write(lambda: self.inner.change_graph(graph=graph, delete=delete, insert=insert))
            self.last = self.reasoner.apply(removed=before, added=self._snapshot([graph]))
        tell(self.observers, Written(graphs=(graph,)))

    def delete_graphs(self, *, graphs: Iterable[URIRef], hard: bool = False, actor: str | None = None) -> int:
        """Drop the graphs, in one call of the wrapped store; return how many existed. With a history, each
        entity graph's deletion is recorded as a version marking it deleted (a soft delete, undone by
        restoring a version); ``hard`` drops its recorded versions too."""
        names = self._refuse_owned(graphs)
        if self.gate is not None:
            self.gate.deleting(graphs=names, hard=hard)
        with self._recorded() as step:
            self.reasoner.ensure_state()
            now = {name: [(s, p, o) for s, p, o, _ in self.inner.quads(graph=name)] for name in names}
            existed = sum(1 for triples in now.values() if triples)
            before = [triple for triples in now.values() for triple in triples]
            recorded: tuple[VersionRecord, ...] = ()
            if self.history is None:
                step.write(lambda: self.inner.delete_graphs(graphs=names))
            elif hard:
                records = [
                    r for name in names for r in self.history.record_graphs(store=self.inner, entity=name)
                ]
                step.write(lambda: self.inner.delete_graphs(graphs=[*names, *records]))
            else:
                present = {name: triples for name, triples in now.items() if triples}
                planned = self.history.plan_delete(store=self.inner, before=present, actor=actor)
                recorded = planned.records
                if planned.graphs:
                    step.write(lambda: self.inner.replace_graphs(graphs=planned.graphs))
            self.last = self.reasoner.apply(removed=before, added=[])
        dropped = tuple(name for name, triples in now.items() if triples)
        tell(self.observers, Written(graphs=dropped, versions=recorded, deleted=True))
        return existed

    def update(
        self,
        *,
        update: str,
        using: Sequence[URIRef] = (),
        using_named: Sequence[URIRef] = (),
        gated: bool = True,
    ) -> None:
        """Run a SPARQL Update, then update the inferred graph incrementally: the asserted lineage triples are
        read again and their difference from the reasoner's state is applied (``Reasoner.resync``).

        The update is parsed first (:func:`~mlkg.store.sparqlcheck.check_update`), so the graphs it writes are
        known with ``BASE``, prefixes and escapes resolved as the engine resolves them. An update that
        may write graphs it does not name (``GRAPH ?g`` in a template, ``DROP ALL``, ``CLEAR NAMED``...) can
        change the inferred and ontology graphs themselves: after one, the ontology graph is reinstalled,
        the subscriptions graph written back as it was and the inferred graph recomputed from scratch, so all
        are right again.

        A protocol dataset (``using`` / ``using_named``, SPARQL 1.1 Protocol 2.2.3) is handed to the wrapped
        store: it changes what the WHERE patterns read, not the graphs written.

        ``gated=False``: the update is one mlkg wrote itself for a request whose permission was decided
        already (a Graph Store request on the default graph), so the :attr:`gate` is not asked.

        :raises ForbiddenError: if the update names the audit or the principals graph as one it writes, or
            the :attr:`gate` refuses it.
        :raises InputError: if the update names the inferred, the ontology or the pending graph as one it
            writes.
        :raises QueryError: if the update is malformed, uses ``LOAD`` or ``SERVICE``, has ``USING`` or
            ``WITH`` while a protocol dataset is given, or fails (nothing is written, nothing recomputed).
        :raises StoreError: if the store fails.
        """
        graphs = check_update(update)
        self._refuse_owned(g for g in OWNED_GRAPHS if g in graphs.named)
        if self.gate is not None and gated:
            self.gate.updating(graphs=graphs)
        with self._recorded(recompute=graphs.unnamed) as step:
            if graphs.unnamed:
                kept = {g: [(s, p, o) for s, p, o, _ in self.inner.quads(graph=g)] for g in _KEPT}
                step.write(lambda: self.inner.update(update=update, using=using, using_named=using_named))
                self._journal.begin(again=True)  # the update may have dropped the record with every graph
                if any(kept.values()):  # subscriptions, the audit and the principals: as they were
                    self.inner.replace_graphs(graphs={g: t for g, t in kept.items() if t})
                install_ontology(store=self.inner)
                self.last = self.reasoner.recompute()
            else:
                self.reasoner.ensure_state()  # the state must describe the store before the update (diffed)
                step.write(lambda: self.inner.update(update=update, using=using, using_named=using_named))
                self.last = self.reasoner.resync()
        tell(self.observers, Written(graphs=tuple(graphs.named), everything=graphs.unnamed))

    def recompute(self) -> ReasonStats:
        """Recompute the inferred graph from scratch (``mlkg reason``), writing only the difference, and drop
        every record of an interrupted write (:mod:`mlkg.reasoning.journal`): the inferred graph is exact.

        :raises StoreError: if the store fails (the records stay: the next open repairs again).
        """
        with self._recorded(recompute=True):
            self.last = self.reasoner.recompute()
        return self.last

    def ensure_state(self) -> None:
        """Build the reasoner's state now rather than at the first write (``mlkg serve`` does, before
        serving). This reads only, unless the store has no inferred graph (then it writes the whole graph if
        there is asserted lineage, see :meth:`~mlkg.reasoning.engine.Reasoner.ensure_state`) or an earlier
        write of this process failed; those writes are recorded like any other.

        :raises StoreError: if the store fails.
        """
        if not self.reasoner.stale and self.inner.has_graph(graph=INFERRED_GRAPH):
            self.reasoner.ensure_state()  # trusts the stored inferred graph: writes nothing
            return
        with self._recorded():
            self.reasoner.ensure_state()

    # -- reads -----------------------------------------------------------------------------------------------

    def graph_names(self) -> list[URIRef]:
        return self.inner.graph_names()

    def has_graph(self, *, graph: URIRef) -> bool:
        return self.inner.has_graph(graph=graph)

    def quads(
        self,
        *,
        subject: Subject | None = None,
        predicate: URIRef | None = None,
        object: Object | None = None,
        graph: URIRef | None = None,
    ) -> Iterator[Quad]:
        return self.inner.quads(subject=subject, predicate=predicate, object=object, graph=graph)

    def query(
        self,
        *,
        query: str,
        bindings: Mapping[str, Term] | None = None,
        default_graphs: Sequence[URIRef] | None = None,
        named_graphs: Sequence[URIRef] | None = None,
        timeout: float | None = None,
    ) -> QueryResult:
        return self.inner.query(
            query=query,
            bindings=bindings,
            default_graphs=default_graphs,
            named_graphs=named_graphs,
            timeout=timeout,
        )

    def close(self) -> None:
        self.inner.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def repair_note(stats: ReasonStats) -> str:
    """One line telling the user that opening the store repaired it, and what that cost."""
    return (
        "mlkg: note: a write to this store did not finish (its process stopped); the inferred graph was "
        f"recomputed in {stats.seconds:.2f} s: {stats.inferred_added} triples added, "
        f"{stats.inferred_removed} removed"
    )


def repair_interrupted(*, store: Store, program: Callable[[], LineageProgram]) -> ReasonStats | None:
    """Repair the inferred graph of ``store`` if a write through a :class:`ReasonedStore` did not finish (see
    :mod:`mlkg.reasoning.journal`), for a process that opens a store only to read it: one read when there is
    nothing to repair; ``program`` is called only when there is. Returns what the repair did, or None.

    :raises StoreError: if the store fails.
    """
    if not WriteJournal(store=store).interrupted():
        return None
    return ReasonedStore(inner=store, program=program()).repaired
