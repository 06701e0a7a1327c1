"""Benchmark of the remote SPARQL backend against the embedded store, on one generated catalog, in one run.

It starts an Oxigraph server (the PyPI package ``oxigraph``, on 127.0.0.1, in a throw-away directory, with
``--union-default-graph``), and on the embedded store (on disk) and on that server, through mlkg's ``Store``
backends, it times:

- loading the catalog (documents written 500 per request) and the full recompute of the inferred graph;
- the named impact queries (``queries/*.rq``) with bound parameters, median and p90 over 20 start nodes:
  ``downstream`` of a raw table (the point impact query), ``downstream-summary``, ``raw-sources`` of a
  prediction table, ``dashboards-affected`` by a raw table, ``models-using-sensitive-data``;
- a 1,000-document upload through :class:`mlkg.reasoning.store.ReasonedStore` (the write path of
  ``mlkg load``, SHACL validation left out: it costs the same on both backends), one document per write:
  model documents without one of their features, other documents unchanged. The first write of a process
  also builds the reasoner's state (it reads the lineage edges once); it is timed apart.

After the upload it checks that the inferred graph is correct on both: equal to a full recompute, and the
same on both backends. It prints both columns and the ratio remote / embedded.

    python bench/remote.py --triples 100000
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rdflib import RDF, URIRef

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.generate import generate_catalog  # noqa: E402
from mlkg.queries import QueryCatalog  # noqa: E402
from mlkg.reasoning import load_ontology  # noqa: E402
from mlkg.reasoning.program import LineageProgram  # noqa: E402
from mlkg.reasoning.store import ReasonedStore  # noqa: E402
from mlkg.store import install_ontology  # noqa: E402
from mlkg.store.base import SelectResult, Store, Triple  # noqa: E402
from mlkg.store.oxigraph import OxigraphStore  # noqa: E402
from mlkg.store.sparql import Endpoints, SparqlStore  # noqa: E402
from mlkg.vocab import INFERRED_GRAPH, MLKG  # noqa: E402

PREFIX = "PREFIX mlkg: <https://w3id.org/mlkg#>\n"
UPLOAD = 1000
STARTS = 20


def start_server(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    """An Oxigraph server on a free loopback port; stop it with ``terminate()`` on the returned process."""
    binary = Path(sys.executable).parent / "oxigraph"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [
            str(binary),
            "serve",
            "--location",
            str(folder),
            "--bind",
            f"127.0.0.1:{port}",
            "--union-default-graph",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    process.terminate()
    raise RuntimeError("the Oxigraph server did not start")


def stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return {"median_ms": statistics.median(ordered) * 1000, "p90_ms": p90 * 1000}


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def starts(store: Store, query: str) -> list[URIRef]:
    result = store.query(query=PREFIX + query)
    assert isinstance(result, SelectResult)
    return [row[0] for row in result.rows if isinstance(row[0], URIRef)]


def run_backend(
    name: str, inner: Store, documents: dict[URIRef, list[Triple]], upload: list[tuple[URIRef, list[Triple]]]
) -> dict[str, Any]:
    print(f"{name}: loading ...", file=sys.stderr, flush=True)
    out: dict[str, Any] = {}
    install_ontology(store=inner)
    if isinstance(inner, SparqlStore):
        inner.check_union_default_graph()
    items = list(documents.items())

    def load() -> None:
        for i in range(0, len(items), 500):
            inner.replace_graphs(graphs=dict(items[i : i + 500]))

    out["load_s"] = timed(load)
    program = LineageProgram.from_ontology(load_ontology())
    reasoned = ReasonedStore(inner=inner, program=program)
    started = time.perf_counter()
    stats_ = reasoned.recompute()
    out["recompute_s"] = time.perf_counter() - started
    out["store_quads"] = sum(1 for _ in inner.quads())
    out["lineage_read"] = stats_.asserted

    raw = starts(
        inner,
        "SELECT DISTINCT ?t WHERE { ?t a mlkg:Table FILTER NOT EXISTS { ?t mlkg:upstream ?u } "
        f"FILTER EXISTS {{ ?t mlkg:downstream ?d }} }} ORDER BY ?t LIMIT {STARTS}",
    )
    predictions = starts(
        inner, f"SELECT DISTINCT ?p WHERE {{ ?p a mlkg:PredictionTable }} ORDER BY ?p LIMIT {STARTS}"
    )
    catalog = QueryCatalog.load()
    runs: dict[str, list[dict[str, str]]] = {
        "downstream": [{"entity": str(t)} for t in raw],
        "downstream-summary": [{"entity": str(t)} for t in raw],
        "raw-sources": [{"entity": str(p)} for p in predictions],
        "dashboards-affected": [{"table": str(t)} for t in raw],
        "models-using-sensitive-data": [{} for _ in range(STARTS)],
    }
    for query_name, arguments in runs.items():
        query = catalog.get(name=query_name)
        query.run(store=inner, arguments=arguments[0])  # warm up
        samples = [timed(lambda q=query, a=a: q.run(store=inner, arguments=a)) for a in arguments]  # type: ignore[misc]
        out[f"q:{query_name}"] = stats(samples)

    print(f"{name}: uploading {len(upload)} documents ...", file=sys.stderr, flush=True)
    # a new reasoner, as in a new `mlkg load` process: its first write reads the lineage edges once
    reasoned = ReasonedStore(inner=inner, program=program)
    first_graph, first_doc = upload[0]
    out["first_write_s"] = timed(lambda: reasoned.replace_graphs(graphs={first_graph: first_doc}))
    samples = [timed(lambda g=g, d=d: reasoned.replace_graphs(graphs={g: d})) for g, d in upload[1:]]  # type: ignore[misc]
    out["upload_s"] = sum(samples)
    out["uploaded"] = len(upload)
    out["upload_per_doc"] = stats(samples)
    incremental = {q[:3] for q in inner.quads(graph=INFERRED_GRAPH)}
    out["recompute_after_s"] = timed(reasoned.recompute)
    out["inferred"] = {q[:3] for q in inner.quads(graph=INFERRED_GRAPH)}
    out["inferred_correct"] = incremental == out["inferred"]
    return out


def upload_documents(documents: dict[URIRef, list[Triple]]) -> list[tuple[URIRef, list[Triple]]]:
    """1,000 documents to write: models lose one feature (the inferred graph changes), others unchanged."""
    models = [g for g, doc in documents.items() if (g, RDF.type, MLKG.Model) in doc]
    others = [g for g in documents if g not in set(models)]
    chosen = (models + others)[:UPLOAD]
    upload = []
    for graph in chosen:
        doc = documents[graph]
        feature = next((t for t in doc if t[1] == MLKG.usesFeature), None)
        upload.append((graph, [t for t in doc if t != feature]))
    return upload


def report(embedded: dict[str, Any], remote: dict[str, Any], triples: int) -> str:
    def row(label: str, left: float, right: float, unit: str) -> str:
        return f"{label:<44}{left:>12.2f}{right:>12.2f}{right / left:>9.2f}x  {unit}"

    lines = [
        f"{'catalog: ' + format(triples, ',') + ' triples':<44}{'embedded':>12}{'remote':>12}{'ratio':>10}"
    ]
    lines.append(row("load the catalog", embedded["load_s"], remote["load_s"], "s"))
    lines.append(
        row("full recompute (empty inferred graph)", embedded["recompute_s"], remote["recompute_s"], "s")
    )
    lines.append(
        row(
            "full recompute (after the upload)",
            embedded["recompute_after_s"],
            remote["recompute_after_s"],
            "s",
        )
    )
    for key in [k for k in embedded if k.startswith("q:")]:
        for stat in ("median_ms", "p90_ms"):
            label = f"{key[2:]} {stat.removesuffix('_ms')}"
            lines.append(row(label, embedded[key][stat], remote[key][stat], "ms"))
    lines.append(
        row(
            "upload: first write (reads lineage edges)",
            embedded["first_write_s"],
            remote["first_write_s"],
            "s",
        )
    )
    more = f"upload: {remote['uploaded'] - 1} more documents"
    lines.append(row(more, embedded["upload_s"], remote["upload_s"], "s"))
    for stat in ("median_ms", "p90_ms"):
        label = f"upload per document {stat.removesuffix('_ms')}"
        lines.append(row(label, embedded["upload_per_doc"][stat], remote["upload_per_doc"][stat], "ms"))
    lines.append(
        f"quads in the store: {remote['store_quads']:,}; lineage and type quads the reasoner reads to "
        f"build its state: {remote['lineage_read']:,}"
    )
    lines.append(
        f"inferred graph after the upload equals a recompute: embedded {embedded['inferred_correct']}, "
        f"remote {remote['inferred_correct']}; same on both backends: "
        f"{embedded['inferred'] == remote['inferred']} ({len(remote['inferred']):,} triples)"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--triples", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    documents = dict(generate_catalog(target_triples=args.triples, seed=args.seed))
    upload = upload_documents(documents)
    with tempfile.TemporaryDirectory() as folder:
        with OxigraphStore(path=str(Path(folder) / "embedded")) as embedded_store:
            embedded = run_backend("embedded", embedded_store, documents, upload)
        process, url = start_server(Path(folder) / "server")
        try:
            endpoints = Endpoints(query=f"{url}/query", update=f"{url}/update", gsp=f"{url}/store")
            with SparqlStore(endpoints=endpoints) as remote_store:
                remote = run_backend("remote", remote_store, documents, upload)
        finally:
            process.terminate()
            process.wait(timeout=30)
    print(report(embedded, remote, args.triples))
    ok = (
        embedded["inferred_correct"]
        and remote["inferred_correct"]
        and embedded["inferred"] == remote["inferred"]
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
