"""A :class:`~mlkg.store.base.Store` that keeps the inferred lineage graph correct after every write.

Every write goes to the wrapped store first; then the reasoner is told which asserted triples the write
removed and added (read from the store before and after, so blank nodes carry the labels the store gave them)
and updates the inferred graph with exactly the difference. Writes to the inferred graph and to the ontology
graph are refused: mlkg maintains both (DESIGN.md habit 6; the ontology graph is installed on the wrapped
store by :func:`mlkg.store.install_ontology`). A raw SPARQL Update does not say which triples it changed,
so after one the reasoner reads the asserted lineage triples again and applies their difference from its state
(:meth:`~mlkg.reasoning.engine.Reasoner.resync`): no full rewrite of the inferred graph.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Self

from rdflib import BNode, URIRef

from mlkg.errors import InputError
from mlkg.reasoning.engine import Reasoner, ReasonStats
from mlkg.reasoning.program import LineageProgram
from mlkg.store import install_ontology
from mlkg.store.base import Object, Quad, QueryResult, Store, Subject, Term, Triple
from mlkg.store.sparqltext import writes_unnamed_graphs
from mlkg.vocab import INFERRED_GRAPH, ONTOLOGY_GRAPH

__all__ = ["ReasonedStore"]

#: The graphs mlkg maintains: nothing written through a ReasonedStore may touch them.
_OWNED = (INFERRED_GRAPH, ONTOLOGY_GRAPH)


class ReasonedStore:
    """Wraps ``inner`` so that its inferred graph follows every write made through this object."""

    def __init__(self, *, inner: Store, program: LineageProgram) -> None:
        self.inner = inner
        self.reasoner = Reasoner(store=inner, program=program)
        self.last: ReasonStats | None = None

    # -- writes ----------------------------------------------------------------------------------------------

    def _snapshot(self, graphs: Iterable[URIRef]) -> list[Triple]:
        """The triples of ``graphs`` now; also makes sure the reasoner's state describes the store before a
        write changes it."""
        self.reasoner.ensure_state()
        return [(s, p, o) for g in graphs for s, p, o, _ in self.inner.quads(graph=g)]

    @staticmethod
    def _refuse_owned(graphs: Iterable[URIRef]) -> list[URIRef]:
        names = list(graphs)
        for owned in _OWNED:
            if owned in names:
                raise InputError(
                    f"the graph {owned} is maintained by mlkg and cannot be written", where=owned
                )
        return names

    def replace_graphs(self, *, graphs: Mapping[URIRef, Iterable[Triple]]) -> None:
        """Replace many entity graphs in one call of the wrapped store (a batch of a load), then apply the
        difference to the inferred graph once."""
        names = self._refuse_owned(graphs)
        given = {name: list(triples) for name, triples in graphs.items()}
        before = self._snapshot(names)
        self.inner.replace_graphs(graphs=given)
        self.last = self.reasoner.apply(removed=before, added=self._written(given))

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
        before = self._snapshot([graph])
        written = self.inner.load_graph(graph=graph, triples=triples)
        self.last = self.reasoner.apply(removed=before, added=self._snapshot([graph]))
        return written

    def change_graph(self, *, graph: URIRef, delete: Iterable[Triple], insert: Iterable[Triple]) -> None:
        self._refuse_owned([graph])
        before = self._snapshot([graph])
        self.inner.change_graph(graph=graph, delete=delete, insert=insert)
        self.last = self.reasoner.apply(removed=before, added=self._snapshot([graph]))

    def delete_graphs(self, *, graphs: Iterable[URIRef]) -> int:
        names = self._refuse_owned(graphs)
        before = self._snapshot(names)
        existed = self.inner.delete_graphs(graphs=names)
        self.last = self.reasoner.apply(removed=before, added=[])
        return existed

    def update(self, *, update: str) -> None:
        """Run a SPARQL Update, then update the inferred graph incrementally: the asserted lineage triples are
        read again and their difference from the reasoner's state is applied (``Reasoner.resync``).

        An update that may write graphs it does not name (``GRAPH ?g``, ``DROP ALL``, ``CLEAR NAMED``...) can
        change the inferred and ontology graphs themselves: after one, the ontology graph is reinstalled and
        the inferred graph recomputed from scratch, so both are right again.

        :raises InputError: if the text names the inferred or the ontology graph.
        :raises QueryError: if the update is malformed or fails (nothing is written, nothing recomputed).
        :raises StoreError: if the store fails.
        """
        # A conservative check: the text names a graph only mlkg writes.
        self._refuse_owned(g for g in _OWNED if g in update)
        if writes_unnamed_graphs(update):
            self.inner.update(update=update)
            install_ontology(store=self.inner)
            self.last = self.reasoner.recompute()
            return
        self.reasoner.ensure_state()  # the state must describe the store before the update, to be diffed
        self.inner.update(update=update)
        self.last = self.reasoner.resync()

    def recompute(self) -> ReasonStats:
        """Recompute the inferred graph from scratch (``mlkg reason``)."""
        self.last = self.reasoner.recompute()
        return self.last

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
