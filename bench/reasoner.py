"""Benchmark of mlkg's lineage reasoner against owlrl, on generated catalogs, in one run.

For each catalog size it times, on the same catalog in an on-disk embedded store:

- owlrl's OWL 2 RL closure (the reference; skipped above ``--owlrl-max`` triples), and whether mlkg's inferred
  lineage triples are exactly owlrl's;
- mlkg's full recompute, end to end (read the asserted edges, compute, write the inferred graph);
- the same recompute again right away, over the inferred graph it just wrote (``mlkg reason`` re-run on a
  store whose inferred graph is already right), and once more after 1,000 inferred triples were deleted and
  1,000 wrong ones added around the reasoner (a repair);
- one incremental single-entity update: re-uploading a model document without one of its features, and then
  with it again (40 updates over 20 models, through the same write path as ``mlkg load``);
- a raw SPARQL Update deleting and re-inserting one feature edge (10 updates), after which the reasoner
  re-reads the asserted lineage and applies the difference;
- three queries, median and p90 over 20 start nodes: "downstream of T" (T a raw table), "raw upstream of P"
  (P a prediction table), and "models using PII" (the named query ``models-using-sensitive-data``).

Each size runs in its own process so that its peak memory (resident set, store caches included) is its own.

    python bench/reasoner.py --sizes 10000 100000 1000000 --owlrl-max 100000
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import rdflib
from rdflib import RDF, URIRef

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.generate import generate_catalog  # noqa: E402
from mlkg.queries import QueryCatalog  # noqa: E402
from mlkg.reasoning import load_ontology, owlrl_lineage  # noqa: E402
from mlkg.reasoning.program import LineageProgram  # noqa: E402
from mlkg.reasoning.store import ReasonedStore  # noqa: E402
from mlkg.store import install_ontology  # noqa: E402
from mlkg.store.base import SelectResult  # noqa: E402
from mlkg.store.oxigraph import OxigraphStore  # noqa: E402
from mlkg.vocab import INFERRED_GRAPH, MLKG, ONTOLOGY_GRAPH  # noqa: E402

# Lineage lives only in the inferred graph, which is a set: naming it skips the union of every graph (a
# multiset, so DISTINCT would be needed) and halves the latency.
DOWNSTREAM_OF_T = (
    "PREFIX mlkg: <https://w3id.org/mlkg#>\n"
    "SELECT ?t ?x WHERE { GRAPH <https://w3id.org/mlkg/graph/inferred> { ?t mlkg:downstream ?x } }"
)
RAW_UPSTREAM_OF_P = (
    "PREFIX mlkg: <https://w3id.org/mlkg#>\n"
    "SELECT ?p ?x WHERE { GRAPH <https://w3id.org/mlkg/graph/inferred> {\n"
    "  ?p mlkg:upstream ?x FILTER NOT EXISTS { ?x mlkg:upstream ?y } } }"
)


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return {"median_ms": statistics.median(ordered) * 1000, "p90_ms": p90 * 1000}


def _time_query(store: Any, query: str, bindings: list[dict[str, URIRef]]) -> tuple[dict[str, float], int]:
    samples = []
    rows = 0
    for binding in bindings:
        started = time.perf_counter()
        result = store.query(query=query, bindings=binding)
        assert isinstance(result, SelectResult)
        samples.append(time.perf_counter() - started)
        rows += len(result.rows)
    return _ms(samples), rows // max(len(bindings), 1)


def _corrupt(inner: OxigraphStore, *, count: int) -> None:
    """Delete the first ``count`` inferred triples and add ``count`` wrong ones, around the reasoner."""
    victims = []
    for s, p, o, _ in inner.quads(graph=INFERRED_GRAPH):
        victims.append(f"<{s}> <{p}> <{o}> .")
        if len(victims) >= count:
            break
    wrong = [f"<{MLKG}bench-wrong-{i}> <{MLKG}upstream> <{MLKG}bench-wrong-{i + 1}> ." for i in range(count)]
    graph = f"<{INFERRED_GRAPH}>"
    inner.update(
        update=f"DELETE DATA {{ GRAPH {graph} {{ {' '.join(victims)} }} }} ;\n"
        f"INSERT DATA {{ GRAPH {graph} {{ {' '.join(wrong)} }} }}"
    )


def run_size(*, triples: int, seed: int, owlrl_max: int) -> dict[str, Any]:
    """Everything for one catalog size (run in a fresh process by :func:`main`)."""
    out: dict[str, Any] = {"target_triples": triples}
    program = LineageProgram.from_ontology(load_ontology())
    with tempfile.TemporaryDirectory() as folder:
        inner = OxigraphStore(path=str(Path(folder) / "store"))
        # As every store mlkg opens has it: the sensitive-data queries read the class hierarchy from it.
        install_ontology(store=inner)
        started = time.perf_counter()
        # Only the model documents are kept (the incremental updates re-upload 20 of them): holding the whole
        # catalog as rdflib tuples would add the benchmark's own 212 MB at 1M to the measured peak.
        documents: dict[URIRef, list[Any]] = {}
        batch: dict[URIRef, list[Any]] = {}
        quads = 0
        for graph, doc in generate_catalog(target_triples=triples, seed=seed):
            quads += len(doc)
            if (graph, RDF.type, MLKG.Model) in doc:
                documents[graph] = doc
            batch[graph] = doc
            if len(batch) >= 500:
                inner.replace_graphs(graphs=batch)
                batch = {}
        inner.replace_graphs(graphs=batch)
        del batch
        out["load_s"] = time.perf_counter() - started
        out["asserted_quads"] = quads
        documents = {model: documents[model] for model in sorted(documents)[:20]}
        store = ReasonedStore(inner=inner, program=program)

        stats = store.recompute()
        out["mlkg_recompute_s"] = stats.seconds
        out["inferred_triples"] = stats.inferred_added
        out["asserted_lineage"] = stats.asserted

        again = store.recompute()
        out["recompute_again_s"] = again.seconds
        out["recompute_again_changed"] = again.inferred_added + again.inferred_removed
        _corrupt(inner, count=1000)
        repair = store.recompute()
        out["recompute_repair_s"] = repair.seconds
        out["recompute_repair_added"] = repair.inferred_added
        out["recompute_repair_removed"] = repair.inferred_removed

        if triples <= owlrl_max:
            data = rdflib.Graph()
            for s, p, o, g in inner.quads():
                if g not in (INFERRED_GRAPH, ONTOLOGY_GRAPH):
                    data.add((s, p, o))
            started = time.perf_counter()
            oracle = owlrl_lineage(ontology=load_ontology(), data=data)
            out["owlrl_s"] = time.perf_counter() - started
            mine = {(s, p, o) for s, p, o, _ in inner.quads(graph=INFERRED_GRAPH) if p != RDF.type}
            out["same_as_owlrl"] = mine == oracle

        models = sorted(documents)
        samples = []
        for model in models:
            doc = documents[model]
            feature = next(t for t in doc if t[1] == MLKG.usesFeature)
            for version in ([t for t in doc if t != feature], doc):
                started = time.perf_counter()
                store.replace_graphs(graphs={model: version})
                samples.append(time.perf_counter() - started)
        out["incremental_update"] = _ms(samples)
        out["incremental_updates"] = len(samples)

        # A raw SPARQL Update says nothing of what it changed: the reasoner re-reads the asserted lineage and
        # applies the difference. Delete one feature edge of a model and put it back, for 5 models.
        samples = []
        for model in models[:5]:
            feature = next(t for t in documents[model] if t[1] == MLKG.usesFeature)
            edge = f"GRAPH <{model}> {{ <{model}> <{MLKG.usesFeature}> <{feature[2]}> }}"
            for verb in ("DELETE", "INSERT"):
                started = time.perf_counter()
                store.update(update=f"{verb} DATA {{ {edge} }}")
                samples.append(time.perf_counter() - started)
        out["sparql_update"] = _ms(samples)

        raw_tables = [
            URIRef(r["t"])
            for r in inner.query(
                query="PREFIX mlkg: <https://w3id.org/mlkg#>\nSELECT DISTINCT ?t WHERE { ?t a mlkg:Table "
                "FILTER NOT EXISTS { ?t mlkg:upstream ?u } FILTER EXISTS { ?t mlkg:downstream ?d } } "
                "ORDER BY ?t LIMIT 20"
            ).dicts()  # type: ignore[union-attr]
        ]
        predictions = [
            URIRef(r["p"])
            for r in inner.query(
                query="PREFIX mlkg: <https://w3id.org/mlkg#>\n"
                "SELECT DISTINCT ?p WHERE { ?p a mlkg:PredictionTable } ORDER BY ?p LIMIT 20"
            ).dicts()  # type: ignore[union-attr]
        ]
        out["q_downstream_of_t"], out["q_downstream_rows"] = _time_query(
            inner, DOWNSTREAM_OF_T, [{"t": t} for t in raw_tables]
        )
        out["q_raw_upstream_of_p"], out["q_raw_upstream_rows"] = _time_query(
            inner, RAW_UPSTREAM_OF_P, [{"p": p} for p in predictions]
        )
        pii = QueryCatalog.load().get(name="models-using-sensitive-data")
        out["q_models_using_pii"], out["q_pii_rows"] = _time_query(inner, pii.text, [{} for _ in range(20)])
        inner.close()
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def _row(label: str, values: list[str]) -> str:
    return f"{label:<42}" + "".join(f"{v:>16}" for v in values)


def report(results: list[dict[str, Any]]) -> str:
    lines = [_row("catalog (target triples)", [f"{r['target_triples']:,}" for r in results])]

    def fmt(key: str, spec: str = "{:.2f}", sub: str | None = None) -> list[str]:
        values = []
        for r in results:
            value = r.get(key)
            if sub is not None and isinstance(value, dict):
                value = value.get(sub)
            values.append("-" if value is None else spec.format(value))
        return values

    lines += [
        _row("asserted quads", fmt("asserted_quads", "{:,}")),
        _row("inferred triples", fmt("inferred_triples", "{:,}")),
        _row("owlrl closure (s)", fmt("owlrl_s")),
        _row("mlkg full recompute (s)", fmt("mlkg_recompute_s")),
        _row("recompute again, inferred graph right (s)", fmt("recompute_again_s")),
        _row("  inferred triples it changed", fmt("recompute_again_changed", "{:,}")),
        _row("recompute repairing 1,000 + 1,000 (s)", fmt("recompute_repair_s")),
        _row(
            "  inferred triples it added / removed",
            [
                f"{r['recompute_repair_added']:,} / {r['recompute_repair_removed']:,}"
                if "recompute_repair_s" in r
                else "-"
                for r in results
            ],
        ),
        _row(
            "speed-up over owlrl (x)",
            [f"{r['owlrl_s'] / r['mlkg_recompute_s']:.0f}" if "owlrl_s" in r else "-" for r in results],
        ),
        _row("same lineage triples as owlrl", [str(r.get("same_as_owlrl", "-")) for r in results]),
        _row("incremental update median (ms)", fmt("incremental_update", "{:.1f}", "median_ms")),
        _row("incremental update p90 (ms)", fmt("incremental_update", "{:.1f}", "p90_ms")),
        _row("SPARQL Update, re-read + diff median (ms)", fmt("sparql_update", "{:.0f}", "median_ms")),
        _row("downstream of T median (ms)", fmt("q_downstream_of_t", "{:.2f}", "median_ms")),
        _row("downstream of T p90 (ms)", fmt("q_downstream_of_t", "{:.2f}", "p90_ms")),
        _row("raw upstream of P median (ms)", fmt("q_raw_upstream_of_p", "{:.2f}", "median_ms")),
        _row("raw upstream of P p90 (ms)", fmt("q_raw_upstream_of_p", "{:.2f}", "p90_ms")),
        _row("models using PII median (ms)", fmt("q_models_using_pii", "{:.2f}", "median_ms")),
        _row("models using PII p90 (ms)", fmt("q_models_using_pii", "{:.2f}", "p90_ms")),
        _row("peak memory, whole process (MB)", fmt("peak_rss_mb", "{:.0f}")),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--owlrl-max", type=int, default=100_000, help="largest catalog owlrl is run on")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the raw results to this file")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_size(triples=args.one, seed=args.seed, owlrl_max=args.owlrl_max)))
        return 0
    results = []
    for size in args.sizes:
        print(f"catalog of {size:,} triples ...", file=sys.stderr, flush=True)
        done = subprocess.run(
            [
                sys.executable,
                __file__,
                "--one",
                str(size),
                "--seed",
                str(args.seed),
                "--owlrl-max",
                str(args.owlrl_max),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
