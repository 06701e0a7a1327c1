"""Bulk reads and writes of the embedded store with terms as N-Triples text (the
:class:`~mlkg.store.base.BulkTriples` fast path of :class:`~mlkg.store.oxigraph.OxigraphStore`).

Reading: one SPARQL SELECT per predicate returns only the subject and object (the graph name is never
decoded), and each term is turned into its N-Triples text, not into an rdflib object: about three times
faster than :meth:`~mlkg.store.oxigraph.OxigraphStore.quads` with rdflib terms (measured 0.22 s against
0.65 s for the 46k lineage edges of the 100k benchmark catalog).

Writing: ``Store.bulk_load`` releases the GIL, so the N-Triples text is loaded chunk by chunk in a worker
thread while the caller builds the next chunks (the reasoner computes and formats the inferred triples in
Python while RocksDB writes the previous ones). Chunks of a few MB load faster than one big input (measured on
680k inferred triples, 143 MB: 3.5-4.4 s in chunks of 25-50k lines, 5.0 s in one call); the queue holds at
most two pending chunks, so memory stays bounded.

Reading one graph back: one SELECT per predicate, terms as N-Triples text (2.7 s for the 523k inferred
triples of the 100k catalog on disk; ``Store.dump`` of the graph took 3.9 s, ``quads_for_pattern`` 3.6 s).
Changing one graph by lines: one SPARQL Update ``DELETE DATA`` / ``INSERT DATA`` (one transaction), or several
for a very large change.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Collection, Iterable, Iterator, Sequence

import pyoxigraph as ox
from rdflib import BNode, URIRef

from mlkg.errors import InputError, StoreError
from mlkg.ntriples import term_nt
from mlkg.store.base import Term, Triple

__all__ = ["change_ntriples", "graph_ntriples", "load_ntriples", "ntriples_text", "pairs_ntriples"]

#: Bytes of N-Triples text per ``bulk_load`` call (about 40k inferred triples).
CHUNK_BYTES = 32 << 20

#: Lines per transaction of :func:`change_ntriples`: a larger change is split.
TRANSACTION_LINES = 200_000


def pairs_ntriples(
    store: ox.Store, *, predicate: URIRef, exclude_graphs: Collection[URIRef]
) -> Iterator[tuple[str, str]]:
    """See :meth:`mlkg.store.base.BulkTriples.pairs_ntriples`.

    :raises InputError: if ``predicate`` or a graph name is not a valid IRI.
    :raises StoreError: if the store fails.
    """
    pred = term_nt(predicate)
    skipped = ", ".join(term_nt(g) for g in exclude_graphs)
    keep = f"isIRI(?g) && ?g NOT IN ({skipped})" if skipped else "isIRI(?g)"
    text = (
        f"SELECT ?s ?o WHERE {{ {{ ?s {pred} ?o }} UNION {{ GRAPH ?g {{ ?s {pred} ?o }} FILTER({keep}) }} }}"
    )
    try:
        for s, o in store.query(text):  # type: ignore[union-attr]
            yield str(s), str(o)
    except (OSError, RuntimeError) as exc:
        raise StoreError(f"the store failed while reading {predicate}: {exc}") from exc


def load_ntriples(store: ox.Store, *, graph: URIRef, chunks: Iterable[str], compact: bool) -> int:
    """Clear ``graph`` and bulk-load the N-Triples lines of ``chunks`` into it, loading in a worker thread
    while ``chunks`` is still being produced. Not one transaction (see
    :meth:`~mlkg.store.oxigraph.OxigraphStore.load_graph`). Returns the number of lines loaded.

    ``compact``: call ``Store.optimize()`` afterwards (on-disk stores). Each ``bulk_load`` call adds its own
    sorted files to RocksDB's first level, and until they are compacted every read looks through all of
    them: after loading the 1M catalog's inferred graph, "raw upstream of P" took 9.9 ms (median) and
    reading one predicate 0.81 s; after ``optimize()`` (11.8 s) 3.7 ms and 0.21 s (at 100k: 3.8 -> 1.2 ms
    for 1.1 s). Incremental updates read the store too, so the compaction is part of the load.

    :raises InputError: if the text is not valid N-Triples.
    :raises StoreError: if the store fails.
    """
    try:
        target = ox.NamedNode(graph)
    except ValueError as exc:
        raise InputError(f"invalid graph IRI {str(graph)!r}: {exc}") from exc
    pending: queue.Queue[bytes | None] = queue.Queue(maxsize=1)
    failure: list[BaseException] = []

    def work() -> None:
        while (data := pending.get()) is not None:
            if failure:
                continue  # drain, so the producer never blocks on a dead consumer
            try:
                store.bulk_load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=target, lenient=True)
            except BaseException as exc:  # handed to the calling thread below
                failure.append(exc)

    try:
        store.clear_graph(target)
    except OSError as exc:
        raise StoreError(f"the store failed while clearing {graph}: {exc}") from exc
    worker = threading.Thread(target=work, name="mlkg-bulk-load", daemon=True)
    worker.start()
    written = 0
    parts: list[str] = []
    size = 0
    try:
        for chunk in chunks:
            parts.append(chunk)
            size += len(chunk)
            if size >= CHUNK_BYTES:
                data = "".join(parts)
                written += data.count("\n")
                pending.put(data.encode("utf-8"))
                parts, size = [], 0
                if failure:
                    break
        if parts and not failure:
            data = "".join(parts)
            written += data.count("\n")
            pending.put(data.encode("utf-8"))
    finally:
        pending.put(None)
        worker.join()
    if compact and not failure:
        try:
            store.optimize()
        except OSError as exc:
            raise StoreError(f"the store failed while compacting after loading {graph}: {exc}") from exc
    if failure:
        error = failure[0]
        if isinstance(error, (SyntaxError, ValueError)):
            raise InputError(f"invalid N-Triples for {graph}: {error}") from error
        if isinstance(error, OSError):
            raise StoreError(f"the store failed while loading {graph}: {error}") from error
        raise error
    return written


def graph_ntriples(store: ox.Store, *, graph: URIRef) -> Iterator[str]:
    """See :meth:`mlkg.store.base.BulkTriples.graph_ntriples`: one SPARQL SELECT for the graph's predicates,
    then one per predicate for its subjects and objects. Not one snapshot: a write to the graph during the
    read may be seen in part.

    :raises InputError: if ``graph`` is not a valid IRI.
    :raises StoreError: if the store fails.
    """
    name = term_nt(graph)
    try:
        found = store.query(f"SELECT DISTINCT ?p {{ GRAPH {name} {{ ?s ?p ?o }} }}")
        assert isinstance(found, ox.QuerySolutions)
        for p in [str(solution[0]) for solution in found]:
            middle = f" {p} "
            pairs = store.query(f"SELECT ?s ?o {{ GRAPH {name} {{ ?s {p} ?o }} }}")
            assert isinstance(pairs, ox.QuerySolutions)
            for s, o in pairs:
                yield f"{s}{middle}{o} .\n"
    except (OSError, RuntimeError) as exc:
        raise StoreError(f"the store failed while reading {graph}: {exc}") from exc


def change_ntriples(store: ox.Store, *, graph: URIRef, delete: Sequence[str], insert: Sequence[str]) -> None:
    """Remove the N-Triples lines ``delete`` from ``graph`` and add ``insert``: one SPARQL Update
    (``DELETE DATA`` then ``INSERT DATA``, SPARQL 1.1 Update 3.1.2 and 3.1.1; one transaction) when the two
    hold at most :data:`TRANSACTION_LINES` lines together, else one update per that many lines, deletions
    first, so a reader may then see part of the change. Each line ends with a newline and holds no blank
    node (DELETE DATA may not).

    :raises InputError: if a line is not a valid triple; nothing of its transaction is written.
    :raises StoreError: if the store fails; nothing of its transaction is written.
    """
    name = term_nt(graph)
    size = TRANSACTION_LINES
    if len(delete) + len(insert) <= size:
        batches = [(delete, insert)]
    else:
        batches = [(delete[i : i + size], insert[:0]) for i in range(0, len(delete), size)]
        batches += [(delete[:0], insert[i : i + size]) for i in range(0, len(insert), size)]
    for gone, new in batches:
        operations = [
            f"{keyword} {{ GRAPH {name} {{\n{''.join(lines)}\n}} }}"
            for keyword, lines in (("DELETE DATA", gone), ("INSERT DATA", new))
            if lines
        ]
        if not operations:
            continue
        try:
            store.update(" ;\n".join(operations))
        except (SyntaxError, RuntimeError) as exc:
            raise InputError(f"invalid N-Triples change for {graph}: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"the store failed while changing {graph}: {exc}") from exc


def ntriples_text(triples: Iterable[Triple], *, size: int = 20_000) -> Iterator[str]:
    """rdflib triples as N-Triples text (:func:`~mlkg.ntriples.term_nt`), ``size`` lines per item; each
    distinct term is encoded once (IRIs repeat a lot).

    :raises InputError: on a blank node (a bulk load would merge it with other documents' nodes) or a term
        RDF cannot carry.
    """
    cache: dict[Term, str] = {}
    lines: list[str] = []

    def text(term: Term) -> str:
        found = cache.get(term)
        if found is None:
            if isinstance(term, BNode):
                raise InputError(f"blank node {term} cannot be bulk-loaded")
            found = cache[term] = term_nt(term)
            if len(cache) > 1_000_000:
                cache.clear()
        return found

    for s, p, o in triples:
        lines.append(f"{text(s)} {text(p)} {text(o)} .")
        if len(lines) >= size:
            yield "\n".join(lines) + "\n"
            lines = []
    if lines:
        yield "\n".join(lines) + "\n"
