"""Time named queries (or any query files) on a generated catalog kept on disk between runs.

The first run for a size generates the catalog (``bench.generate``), loads it into an embedded on-disk store
under ``bench/out/store-<size>`` (opened as ``mlkg.store.open_store`` opens a store: a copy of the ontology
graph an earlier version stored is dropped) and computes the inferred graph; later runs reuse that store, so
one query can be measured against another in seconds rather than minutes. Each query runs ``--repeat`` times
after one warm-up run; the median, p90 and row count are printed, and the answers of all the queries given are
compared with the first one's (same variables, same rows in the same order), so a rewrite can be checked
against the original on a large catalog.

    python bench/queries.py --size 1000000 models-using-sensitive-data sensitive-assets
    python bench/queries.py --size 1000000 queries/sensitive-assets.rq /tmp/variant.rq --same
    python bench/queries.py downstream --bind entity=http://localhost:8000/id/table/postgres_prod.x.public.y

``--bind NAME=IRI`` binds a parameter as the named-query catalog does (by the store, never in the text).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from rdflib import URIRef

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.generate import generate_catalog  # noqa: E402
from mlkg.queries import QueryCatalog  # noqa: E402
from mlkg.reasoning import load_ontology  # noqa: E402
from mlkg.reasoning.program import LineageProgram  # noqa: E402
from mlkg.reasoning.store import ReasonedStore  # noqa: E402
from mlkg.store import install_ontology  # noqa: E402
from mlkg.store.base import SelectResult, Term, Triple  # noqa: E402
from mlkg.store.oxigraph import OxigraphStore  # noqa: E402

OUT = ROOT / "bench" / "out"


def open_catalog(*, size: int, seed: int) -> OxigraphStore:
    """The reasoned catalog of ``size`` triples, built on first use under ``bench/out``."""
    folder = OUT / f"store-{size}-seed{seed}"
    done = folder / "READY"
    if done.exists():
        kept = OxigraphStore(path=str(folder / "store"))
        install_ontology(store=kept)
        return kept
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    store = OxigraphStore(path=str(folder / "store"))
    batch: dict[URIRef, list[Triple]] = {}
    for graph, doc in generate_catalog(target_triples=size, seed=seed):
        batch[graph] = doc
        if len(batch) >= 500:
            store.replace_graphs(graphs=batch)
            batch = {}
    store.replace_graphs(graphs=batch)
    install_ontology(store=store)
    ReasonedStore(inner=store, program=LineageProgram.from_ontology(load_ontology())).recompute()
    done.write_text("")
    print(f"built {folder} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return store


def query_text(spec: str, catalog: QueryCatalog) -> tuple[str, str]:
    """A named query's text, or a query file's."""
    if spec in catalog.names():
        return spec, catalog.get(name=spec).text
    return Path(spec).name, Path(spec).read_text(encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("queries", nargs="+", help="named queries or .rq files")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--same", action="store_true", help="fail unless every query gives the same rows")
    parser.add_argument(
        "--bind", action="append", default=[], metavar="NAME=IRI", help="bind a parameter to an IRI"
    )
    args = parser.parse_args(argv)
    bindings: dict[str, Term] = {}
    for item in args.bind:
        name, _, value = item.partition("=")
        bindings[name] = URIRef(value)
    catalog = QueryCatalog.load()
    store = open_catalog(size=args.size, seed=args.seed)
    answers: list[tuple[str, list[str], list[tuple[Term | None, ...]]]] = []
    try:
        for spec in args.queries:
            label, text = query_text(spec, catalog)
            samples = []
            result = store.query(query=text, bindings=bindings)
            for _ in range(args.repeat):
                started = time.perf_counter()
                result = store.query(query=text, bindings=bindings)
                samples.append(time.perf_counter() - started)
            assert isinstance(result, SelectResult)
            ordered = sorted(samples)
            p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
            print(
                f"{label:<40} median {statistics.median(ordered) * 1000:10.1f} ms"
                f"   p90 {p90 * 1000:10.1f} ms   rows {len(result.rows):,}"
            )
            answers.append((label, list(result.variables), [tuple(row) for row in result.rows]))
    finally:
        store.close()
    same = True
    first_label, first_vars, first_rows = answers[0]
    for label, variables, rows in answers[1:]:
        if variables != first_vars:
            print(f"{label}: variables {variables} differ from {first_label}'s {first_vars}")
            same = False
        elif rows != first_rows:
            mine, theirs = Counter(rows), Counter(first_rows)
            print(
                f"{label}: rows differ from {first_label}'s ({sum((mine - theirs).values())} extra, "
                f"{sum((theirs - mine).values())} missing; same multiset: {mine == theirs})"
            )
            same = False
        else:
            print(f"{label}: same rows in the same order as {first_label}")
    return 1 if args.same and not same else 0


if __name__ == "__main__":
    raise SystemExit(main())
