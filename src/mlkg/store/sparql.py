"""The remote store: any SPARQL 1.1 engine, through the W3C protocols only.

Implements the :class:`~mlkg.store.base.Store` protocol over SPARQL 1.1 Query and Update (the SPARQL 1.1
Protocol) and, when an endpoint is given, the SPARQL 1.1 Graph Store HTTP Protocol. HTTP, failures and the
retry policy are in :mod:`mlkg.store.sparqlhttp`.

How each part of the contract is kept, with no engine-specific code path:

- **writes**: every write is one update request. ``replace_graphs`` sends ``DROP SILENT GRAPH`` and
  ``INSERT DATA`` for every graph of the call in one request; an engine that runs one request in one
  transaction (Oxigraph server, Fuseki/TDB2, GraphDB, Neptune, Stardog) applies all of it or nothing.
  Terms are written in N-Triples syntax by pyoxigraph, so escaping is the RDF library's; invalid terms are
  refused before anything is sent.
- **union default graph**: the default graph of a query without ``FROM`` must be the union of all graphs, as
  in the embedded store (the ontology graph is not stored: mlkg serves it, :mod:`mlkg.store.ontologygraph`).
  The SPARQL protocols cannot ask for it (listing every graph as ``default-graph-uri`` costs one parameter
  per entity), so mlkg requires the engine's own setting and checks it when the store is opened
  (:meth:`SparqlStore.check_union_default_graph`): an engine that answers otherwise is refused with a message
  naming the setting, rather than answering differently. See the README, "Running on a SPARQL engine".
- **bindings**: bound as RDF terms in a ``VALUES`` block placed first in the WHERE group, or inside the
  sub-select that projects the variable, or last when the group assigns it with ``BIND``, so the answers
  are those of the embedded store's SEP-0007 substitution (:func:`mlkg.store.sparqltext.bind_values`); the
  terms are written by the RDF library, never user text.
- **the reasoner** (:mod:`mlkg.reasoning`) works through this protocol unchanged: after one write it reads
  only the written graphs and sends only the difference of the inferred graph; a full recompute reads the
  stored inferred graph and sends the difference (:meth:`SparqlStore.load_graph`).
- **the engine's own default graph** (only a raw SPARQL Update writes there): read by a Graph Store
  ``GET ?default`` when ``gsp`` is configured, else by a query for the triples of the union that no named
  graph holds.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, Final, Self

import httpx
from rdflib import BNode, URIRef

from mlkg.errors import InputError, QueryError, StoreError
from mlkg.store.base import (
    AskResult,
    GraphResult,
    Object,
    Quad,
    QueryResult,
    SelectResult,
    Subject,
    Term,
    Triple,
)
from mlkg.store.ontologygraph import OntologyGraph, reads_ontology
from mlkg.store.protocoltext import check_protocol_dataset
from mlkg.store.sparqlcheck import check_query, check_update
from mlkg.store.sparqlhttp import Endpoints, SparqlHttp
from mlkg.store.sparqlresults import (
    binding,
    dicts,
    media,
    nt,
    parse_graph,
    result_rows,
    to_quad,
)
from mlkg.store.sparqltext import (
    bind_values,
    dataset_clause,
    looks_like_update,
    query_form,
)
from mlkg.store.updatetext import change_operations, encode_graph, ground_lines
from mlkg.vocab import ONTOLOGY_GRAPH

__all__ = ["Endpoints", "SparqlStore"]

#: A graph name mlkg never writes, sent as the only ``default-graph-uri`` for an empty default graph.
_EMPTY_GRAPH: Final = URIRef("urn:x-mlkg:empty-graph")
#: The graph of the triple that checks an empty engine's union default graph, dropped right after.
_PROBE_GRAPH: Final = URIRef("urn:x-mlkg:union-check")
#: Triples per DELETE DATA / INSERT DATA request of :meth:`SparqlStore.load_graph`.
_INSERT_CHUNK: Final = 20_000


class SparqlStore:
    """A :class:`~mlkg.store.base.Store` on a SPARQL 1.1 engine.

    ``timeout`` is the default time limit of a read (seconds without an answer from the engine); writes
    wait at least ``write_timeout``. Opening does not contact the engine: the first request does.
    ``transport`` replaces httpx's network transport (see :class:`~mlkg.store.sparqlhttp.SparqlHttp`).
    """

    def __init__(
        self,
        *,
        endpoints: Endpoints,
        timeout: float = 30.0,
        write_timeout: float = 600.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.endpoints = endpoints
        self._http: SparqlHttp | None = SparqlHttp(
            endpoints=endpoints,
            timeout=timeout,
            write_timeout=max(timeout, write_timeout),
            transport=transport,
        )
        self._write_lock = threading.Lock()
        self._ontology: OntologyGraph | None = None

    # -- life cycle ---------------------------------------------------------------------------------------

    def _open(self) -> SparqlHttp:
        if self._http is None:
            raise StoreError("the store is closed")
        return self._http

    def close(self) -> None:
        """Close the HTTP connections. Idempotent."""
        http, self._http = self._http, None
        if http is not None:
            http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def check_union_default_graph(self) -> None:
        """Check that a query's default graph is the union of the named graphs: one ground triple of some
        named graph must match without ``GRAPH``. An engine holding no named graph is checked with a probe
        triple written to :data:`_PROBE_GRAPH` and dropped again (two update requests, only then).

        :raises StoreError: if it does not, naming the settings of common engines.
        :raises QueryError: if the engine refuses the probe (an update endpoint that does not take updates).
        """
        ground = "FILTER(!isBlank(?s) && !isBlank(?o))"
        rows = result_rows(
            self._select(f"SELECT ?s ?p ?o WHERE {{ GRAPH ?g {{ ?s ?p ?o {ground} }} }} LIMIT 1")
        )
        if rows:
            s, p, o = rows[0]
            if s is None or p is None or o is None:
                raise StoreError("the SPARQL engine answered a triple pattern with an unbound variable")
            self._check_union(f"{nt(s)} {nt(p)} {nt(o)}")
            return
        probe = nt(_PROBE_GRAPH)
        self._run_update(f"INSERT DATA {{ GRAPH {probe} {{ {probe} {probe} {probe} }} }}")
        try:
            self._check_union(f"{probe} {probe} {probe}")
        finally:
            self._run_update(f"DROP SILENT GRAPH {probe}")

    def _check_union(self, triple: str) -> None:
        ask = self._open().query_json(
            text=f"ASK {{ {triple} }}", default_graphs=None, named_graphs=None, timeout=None
        )
        if ask.get("boolean") is not True:
            raise StoreError(
                f"the SPARQL engine at {self.endpoints.query} does not query the union of its graphs by "
                "default, which mlkg needs (every entity lives in its own named graph). Turn it on: "
                "Oxigraph server `oxigraph serve --union-default-graph`; Fuseki/TDB2 `tdb2:unionDefaultGraph "
                "true`; Stardog `query.all.graphs=true`. GraphDB, Virtuoso and Neptune do it by default. See "
                "the README, 'Running on a SPARQL engine'."
            )

    def drop_stored_ontology(self) -> bool:
        """Delete the copy of the ontology graph that earlier versions of mlkg wrote into the engine (the
        ontology is now served from the shipped file, outside the default graph). True if there was one.

        :raises StoreError: if the engine fails or refuses the update.
        """
        text = f"ASK {{ GRAPH {nt(ONTOLOGY_GRAPH)} {{ ?s ?p ?o }} }}"
        answer = self._open().query_json(text=text, default_graphs=None, named_graphs=None, timeout=None)
        if answer.get("boolean") is not True:
            return False
        self._run_update(f"DROP SILENT GRAPH {nt(ONTOLOGY_GRAPH)}")
        return True

    def _ontology_graph(self) -> OntologyGraph:
        if self._ontology is None:
            self._ontology = OntologyGraph()
        return self._ontology

    # -- writes -------------------------------------------------------------------------------------------

    def _run_update(
        self, text: str, *, using: Sequence[URIRef] = (), using_named: Sequence[URIRef] = ()
    ) -> None:
        http = self._open()
        with self._write_lock:
            http.update(text=text, using=using, using_named=using_named)

    def replace_graphs(self, *, graphs: Mapping[URIRef, Iterable[Triple]]) -> None:
        """Drop each named graph of ``graphs`` and write its triples in one update request (SPARQL 1.1
        Update 3.2.2 ``DROP``, 3.1.1 ``INSERT DATA``); blank nodes are fresh per graph.

        A graph holding blank nodes is written with ``INSERT { ... } WHERE { }`` instead (3.1.3: template
        blank nodes are fresh for the one solution, the same effect), because some engines refuse blank
        nodes in ``INSERT DATA`` (Virtuoso 7.2: "Blank node is not allowed in a constant clause").

        :raises InputError: if a term is not valid RDF; nothing is sent.
        :raises StoreError: if the engine fails (see :mod:`mlkg.store.sparqlhttp`); the engine applies the
            request whole or not at all when it runs one request in one transaction.
        """
        iris: dict[str, str] = {}
        operations = []
        for i, (g, triples) in enumerate(graphs.items()):
            listed = list(triples)
            encoded = encode_graph(i, g, listed, iris)
            if len(encoded) == 2 and any(isinstance(t, BNode) for triple in listed for t in triple):
                encoded[1] = "INSERT " + encoded[1].removeprefix("INSERT DATA ") + " WHERE { }"
            operations.extend(encoded)
        if operations:
            self._run_update(" ;\n".join(operations))

    def load_graph(self, *, graph: URIRef, triples: Iterable[Triple]) -> int:
        """Make ``graph`` hold exactly ``triples`` (the inferred graph on a full recompute), writing only the
        difference: see :meth:`sync_graph`. Returns the number of triples given.

        :raises InputError: if a term is not valid RDF or is a blank node; nothing is sent.
        :raises StoreError: if the engine fails.
        """
        listed = list(triples)
        self.sync_graph(graph=graph, triples=listed)
        return len(listed)

    def sync_graph(self, *, graph: URIRef, triples: Iterable[Triple]) -> tuple[int, int]:
        """Make ``graph`` hold exactly ``triples``: the graph's current triples are read, and only the
        difference is sent, as ``DELETE DATA`` then ``INSERT DATA`` requests of 20,000 triples (SPARQL 1.1
        Update 3.1.2, 3.1.1). Not one transaction, like the embedded bulk load: a reader may see part of the
        change, and a failure leaves the graph partly written (a recompute repairs it). Returns
        ``(added, removed)``: how many triples were inserted and deleted.

        Replacing the graph in one request (a Graph Store ``PUT``, or ``DROP`` + ``INSERT DATA``) is
        atomic but makes one huge engine transaction: measured on Oxigraph server 0.5 with 680,000 inferred
        triples, a ``PUT`` took 63 s and a ``DROP GRAPH`` 41 s, chunked ``INSERT DATA`` 19 s, and a recompute
        that changes nothing costs only the read.

        :raises InputError: if a term is not valid RDF or is a blank node; nothing is sent.
        :raises StoreError: if the engine fails.
        """
        wanted = set(triples)
        ground_lines(wanted, graph)  # refuses blank nodes and invalid terms before anything is sent
        current = {(s, p, o) for s, p, o, _ in self.quads(graph=graph)}
        gone, new = list(current - wanted), list(wanted - current)
        with self._write_lock:
            for i in range(0, len(gone), _INSERT_CHUNK):
                (text,) = change_operations(graph, delete=gone[i : i + _INSERT_CHUNK], insert=())
                self._open().update(text=text)
            for i in range(0, len(new), _INSERT_CHUNK):
                (text,) = change_operations(graph, delete=(), insert=new[i : i + _INSERT_CHUNK])
                self._open().update(text=text)
        return len(new), len(gone)

    def change_graph(self, *, graph: URIRef, delete: Iterable[Triple], insert: Iterable[Triple]) -> None:
        """Remove ``delete`` from and add ``insert`` to ``graph`` in one update request (``DELETE DATA``
        then ``INSERT DATA``, SPARQL 1.1 Update 3.1.2 and 3.1.1).

        :raises InputError: if a term is not valid RDF or a triple holds a blank node; nothing is sent.
        :raises StoreError: if the engine fails.
        """
        operations = change_operations(graph, delete=delete, insert=insert)
        if operations:
            self._run_update(" ;\n".join(operations))

    def delete_graphs(self, *, graphs: Iterable[URIRef]) -> int:
        """Drop the named graphs in one update request; return how many of them held a triple.

        :raises InputError: if a graph name is not a valid IRI.
        :raises StoreError: if the engine fails.
        """
        names = {nt(g): g for g in graphs}
        if not names:
            return 0
        values = " ".join(names)
        found = self._select(
            f"SELECT ?g WHERE {{ VALUES ?g {{ {values} }} FILTER EXISTS {{ GRAPH ?g {{ ?s ?p ?o }} }} }}"
        )
        self._run_update(" ;\n".join(f"DROP SILENT GRAPH {name}" for name in names))
        return len(result_rows(found))

    def update(
        self, *, update: str, using: Sequence[URIRef] = (), using_named: Sequence[URIRef] = ()
    ) -> None:
        """Run a SPARQL 1.1 Update as one request (one transaction on the engines named in the module doc).

        Its default graph is the engine's own default graph (SPARQL 1.1 Update, section 3). A protocol
        dataset is sent as the protocol's ``using-graph-uri`` / ``using-named-graph-uri`` (section 2.2.3).

        :raises QueryError: if the engine refuses the update (with its message), it uses ``LOAD`` or
            ``SERVICE`` (refused before sending: mlkg never makes an engine fetch remote data), or it has
            ``USING`` / ``WITH`` while a protocol dataset is given.
        :raises StoreError: if the engine fails.
        """
        if using or using_named:
            check_protocol_dataset(update)
        else:
            check_update(update)
        self._run_update(update, using=using, using_named=using_named)

    # -- reads --------------------------------------------------------------------------------------------

    def _select(self, text: str, *, timeout: float | None = None) -> dict[str, Any]:
        return self._open().query_json(text=text, default_graphs=None, named_graphs=None, timeout=timeout)

    def graph_names(self) -> list[URIRef]:
        """Every named graph holding at least one triple, sorted (graphs named by blank nodes left out).

        :raises StoreError: if the engine fails.
        """
        found = self._select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        return sorted(g for (g,) in result_rows(found) if isinstance(g, URIRef))

    def has_graph(self, *, graph: URIRef) -> bool:
        """True if the named graph holds at least one triple.

        :raises InputError: if ``graph`` is not a valid IRI.
        :raises StoreError: if the engine fails.
        """
        if graph == ONTOLOGY_GRAPH:
            self._open()
            return True  # served from the shipped ontology (mlkg.store.ontologygraph)
        text = f"ASK {{ GRAPH {nt(graph)} {{ ?s ?p ?o }} }}"
        answer = self._open().query_json(text=text, default_graphs=None, named_graphs=None, timeout=None)
        return answer.get("boolean") is True

    def quads(
        self,
        *,
        subject: Subject | None = None,
        predicate: URIRef | None = None,
        object: Object | None = None,
        graph: URIRef | None = None,
    ) -> Iterator[Quad]:
        """The quads matching the pattern (None = any), read by one query when called (so errors raise
        here), then iterated.

        ``graph=None`` matches every graph, the engine's default graph included (its quads have graph
        None); graphs named by blank nodes are left out. A blank node in the pattern is matched here, not by
        the engine (a query cannot name a blank node). ``graph=ONTOLOGY_GRAPH`` reads the ontology mlkg
        serves (:mod:`mlkg.store.ontologygraph`); ``graph=None`` does not include it.

        :raises InputError: if a pattern term is not valid RDF.
        :raises StoreError: if the engine fails.
        """
        pattern: dict[str, Term | None] = {"s": subject, "p": predicate, "o": object}
        if predicate is not None and not isinstance(predicate, URIRef):
            raise InputError(f"invalid quad pattern: predicate {predicate!r} is not an IRI")
        if graph == ONTOLOGY_GRAPH:
            self._open()
            return iter(
                list(self._ontology_graph().quads(subject=subject, predicate=predicate, object=object))
            )
        terms = {k: f"?{k}" if v is None or isinstance(v, BNode) else nt(v) for k, v in pattern.items()}
        where = f"{terms['s']} {terms['p']} {terms['o']}"
        name = "?g" if graph is None else nt(graph)
        named = self._select(f"SELECT * WHERE {{ GRAPH {name} {{ {where} }} }}")
        found: list[Quad] = []
        for row in dicts(named):
            g = row.get("g", graph)
            if not isinstance(g, URIRef):
                continue
            quad = to_quad(pattern, row, g)
            if quad is not None:
                found.append(quad)
        if graph is None:
            found.extend(self._default_graph_quads(pattern, where))
        return iter(found)

    def _default_graph_quads(self, pattern: dict[str, Term | None], where: str) -> list[Quad]:
        http = self._open()
        rows: list[dict[str, Term]]
        if self.endpoints.gsp is not None:
            response = http.gsp_get(graph=None)
            if response is None:
                return []
            rows = [{"s": s, "p": p, "o": o} for s, p, o in parse_graph(response.content, media(response))]
        else:
            rows = dicts(
                self._select(f"SELECT * WHERE {{ {where} FILTER NOT EXISTS {{ GRAPH ?g {{ {where} }} }} }}")
            )
        found = []
        for row in rows:
            if all(pattern[k] is None or row.get(k, pattern[k]) == pattern[k] for k in "spo"):
                quad = to_quad(pattern, row, None)
                if quad is not None:
                    found.append(quad)
        return found

    def query(
        self,
        *,
        query: str,
        bindings: Mapping[str, Term] | None = None,
        default_graphs: Sequence[URIRef] | None = None,
        named_graphs: Sequence[URIRef] | None = None,
        timeout: float | None = None,
    ) -> QueryResult:
        """Run a SPARQL 1.1 query (SELECT, ASK, CONSTRUCT, DESCRIBE) on the engine.

        The RDF dataset (SPARQL 1.1 Protocol, section 2.1.4): ``default_graphs`` / ``named_graphs`` are sent
        as ``default-graph-uri`` / ``named-graph-uri``; else the query's ``FROM`` clauses; else the engine's
        default graph, which mlkg requires to be the union of all graphs; a query of the ontology graph is
        answered from it alone (:func:`~mlkg.store.ontologygraph.reads_ontology`). (With ``named_graphs``
        alone, the protocol makes the default graph empty; the embedded store keeps the union.) ``bindings``
        are bound as RDF terms in a ``VALUES`` block (:func:`~mlkg.store.sparqltext.bind_values`).

        ``timeout`` (seconds) bounds the wait for the engine's answer; the engine may go on evaluating:
        give the engine its own limit too (README, "Running on a SPARQL engine").

        :raises QueryError: if the query is an update, uses ``SERVICE``, binds a variable it cannot bind or
            a blank node, or the engine refuses it (with the engine's message).
        :raises QueryTimeoutError: if the engine does not answer within ``timeout``.
        :raises StoreError: if the engine is unreachable, refuses the credentials or fails.
        """
        http = self._open()
        check_query(query)
        if reads_ontology(query=query, default_graphs=default_graphs, named_graphs=named_graphs):
            return self._ontology_graph().queries.query(
                self._ontology_graph().store,
                query=query,
                bindings=bindings,
                default_graphs=default_graphs,
                named_graphs=named_graphs,
                timeout=timeout,
            )
        form = query_form(query)
        if form is None and looks_like_update(query):
            raise QueryError("malformed SPARQL query: this is a SPARQL Update: run it as an update")
        text = query
        if bindings:
            text = bind_values(query, {name: binding(name, term) for name, term in bindings.items()})
        for g in [*(default_graphs or ()), *(named_graphs or ())]:
            nt(g)
        if default_graphs is None and named_graphs is None:
            clause = dataset_clause(query)
            if clause is not None:
                default_graphs, named_graphs = clause
        if default_graphs is not None and not default_graphs:
            # The protocol has no way to say "an empty default graph": name a graph nothing writes.
            default_graphs = [_EMPTY_GRAPH]
        if form in ("construct", "describe"):
            response = http.query(
                text=text,
                graph_result=True,
                default_graphs=default_graphs,
                named_graphs=named_graphs,
                timeout=timeout,
            )
            return GraphResult(triples=parse_graph(response.content, media(response)))
        decoded = http.query_json(
            text=text, default_graphs=default_graphs, named_graphs=named_graphs, timeout=timeout
        )
        if "boolean" in decoded:
            return AskResult(value=decoded["boolean"] is True)
        variables = list(decoded.get("head", {}).get("vars", []))
        return SelectResult(variables=variables, rows=result_rows(decoded, variables))
