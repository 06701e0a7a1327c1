"""Search benchmark: what the search index costs on the write path and how fast a search answers on a
generated catalog (issue 17, point 2: under 20 ms for a search on the 1M-triple catalog), in one run.

1. Generate the catalog (``bench/generate.py``, ``--triples``, seed 1) as ``(graph, triples)`` documents.
2. Write it, in batches of 500 documents (the batch size of ``mlkg load``), through ``Catalog.store`` (the
   store every write goes through: reasoning and history included, JSON parsing and SHACL left out, so the
   index's share is measured against the cheapest write path) into two empty on-disk stores: one with the
   search index observing, one with the observer removed. Then 40 one-document writes (a model's
   description changed) in each: a write of a few documents reads them into the index at once. The
   observer's own time is also measured apart (the two loads run one after the other on a shared machine, so
   their difference holds the machine's noise as well).
3. The first search after the bulk load reads every graph in one query (the batches named more than
   ``BULK_DIRTY`` graphs): the index build. Then ``Catalog.reindex`` once more, and the index file's size.
4. ``--rounds`` rounds of a set of realistic searches (words, prefixes, a column name, filters by kind, tag
   and owner, a word found nowhere, a one-letter prefix) through ``Catalog.search``, then through
   ``GET /search`` of ``mlkg serve`` on the same store (one keep-alive connection): p50 / p95 / max in ms.

    .venv/bin/python bench/search.py                        # 1M triples
    .venv/bin/python bench/search.py --triples 100000 --skip-http

Prints one JSON object. Stores live in ``bench/out/search-*`` (git-ignored), removed at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import sys
import time
import urllib.parse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.generate import generate_catalog  # noqa: E402
from bench.ingest import Server  # noqa: E402
from mlkg.catalog import Catalog  # noqa: E402
from mlkg.config import Settings  # noqa: E402
from mlkg.search.location import INDEX_FILE  # noqa: E402
from mlkg.vocab import MLKG  # noqa: E402

OUT = ROOT / "bench" / "out"
BATCH = 500

#: (q, filters): what people type into a catalog's search box.
SEARCHES: list[tuple[str, dict[str, str]]] = [
    ("churn", {}),
    ("chur", {}),
    ("churn predictor", {}),
    ("fraud classifier", {}),
    ("customers", {}),
    ("order_items", {}),
    ("email", {}),
    ("customer_id", {}),
    ("postgres_prod sales", {}),
    ("refunds", {"type": "table"}),
    ("ranker", {"type": "model"}),
    ("customers", {"tag": "PII.Sensitive"}),
    ("demand", {"owner": "data-science"}),
    ("", {"type": "dashboard"}),
    ("xyzzy", {}),
    ("c", {}),
]


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


def _timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _load(catalog: Catalog, documents: list[tuple[Any, Any]]) -> float:
    started = time.perf_counter()
    for start in range(0, len(documents), BATCH):
        catalog.store.replace_graphs(graphs=dict(documents[start : start + BATCH]))
    return time.perf_counter() - started


def _one_document_writes(catalog: Catalog, documents: list[tuple[Any, Any]], count: int) -> list[float]:
    models = [(g, t) for g, t in documents if (g, MLKG.Model) in {(s, o) for s, _, o in t}][:count]
    samples = []
    for n, (graph, triples) in enumerate(models):
        changed = [*(t for t in triples if not (t[0] == graph and t[1] == MLKG.description))]
        changed.append((graph, MLKG.description, _literal(f"changed by the benchmark ({n})")))
        samples.append(_timed(lambda g=graph, c=changed: catalog.store.replace_graphs(graphs={g: c})))
    return samples


def _literal(text: str) -> Any:
    from rdflib import Literal

    return Literal(text)


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def _searches(call: Callable[[str, dict[str, str]], object], rounds: int) -> dict[str, Any]:
    samples: list[float] = []
    per: dict[str, list[float]] = {}
    for q, filters in SEARCHES:  # once, unmeasured: caches warm
        call(q, filters)
    for _ in range(rounds):
        for q, filters in SEARCHES:
            took = _timed(lambda q=q, f=filters: call(q, f))
            samples.append(took)
            per.setdefault(f"{q!r} {filters}" if filters else repr(q), []).append(took)
    slowest = sorted(per.items(), key=lambda item: -statistics.median(item[1]))[:3]
    return {
        **_stats(samples),
        "searches": len(samples),
        "slowest_p50_ms": {k: round(statistics.median(v) * 1000, 2) for k, v in slowest},
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--writes", type=int, default=40)
    parser.add_argument("--skip-http", action="store_true")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    documents = list(generate_catalog(target_triples=args.triples, seed=args.seed))
    result: dict[str, Any] = {
        "triples": sum(len(t) for _, t in documents),
        "documents": len(documents),
        "generate_s": round(time.perf_counter() - started, 1),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    stores = {name: OUT / f"search-{name}" for name in ("plain", "indexed")}
    for path in stores.values():
        shutil.rmtree(path, ignore_errors=True)
    try:
        for name, path in stores.items():
            with Catalog(settings=Settings(store=str(path))) as catalog:
                observe = catalog.search_index.observe
                catalog.store.observers.remove(observe)
                spent: list[float] = []
                if name == "indexed":  # the observer's own time, measured apart from the machine's noise

                    def timed(written: Any, observe: Any = observe, spent: list[float] = spent) -> None:
                        spent.append(_timed(lambda: observe(written)))

                    catalog.store.observe(timed)
                load = _load(catalog, documents)
                result[f"{name}_load_s"] = round(load, 1)
                if name == "indexed":
                    result["index_observer_during_load_s"] = round(sum(spent), 2)
                    spent.clear()
                if name == "indexed":  # built before the one-document writes, so that each reads
                    result["first_search_after_load_s"] = round(
                        _timed(lambda c=catalog: c.search("churn")), 1
                    )
                    rebuilt = time.perf_counter()
                    result["entities_indexed"] = catalog.reindex()
                    result["reindex_s"] = round(time.perf_counter() - rebuilt, 1)
                writes = _one_document_writes(catalog, documents, args.writes)
                result[f"{name}_one_document_write"] = _stats(writes)
                if name == "indexed":
                    result["index_observer_per_one_document_write"] = _stats(spent)
                    result["catalog_search"] = _searches(
                        lambda q, f, c=catalog: c.search(q, **f),
                        args.rounds,  # type: ignore[misc]
                    )
            if name == "indexed":
                result["index_mb"] = round(_size(path / INDEX_FILE) / 1e6, 1)
                result["store_mb"] = round(
                    sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6, 1
                )
        result["index_share_of_load"] = round(result["indexed_load_s"] / result["plain_load_s"] - 1, 3)
        if not args.skip_http:
            server = Server(
                stores["indexed"], {k: v for k, v in os.environ.items() if not k.startswith("MLKG_")}
            )
            try:
                connection = server.connection()

                def get(q: str, filters: dict[str, str]) -> None:
                    connection.request("GET", "/search?" + urllib.parse.urlencode({"q": q, **filters}))
                    response = connection.getresponse()
                    body = response.read()
                    if response.status != 200:
                        raise RuntimeError(f"GET /search answered {response.status}: {body[:300]!r}")

                result["http_search"] = _searches(get, args.rounds)
            except (OSError, http.client.HTTPException) as error:
                result["http_search"] = f"failed: {error}"
            finally:
                server.stop()
    finally:
        for path in stores.values():
            shutil.rmtree(path, ignore_errors=True)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
