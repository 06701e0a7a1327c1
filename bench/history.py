"""History benchmark: what keeping entity history costs on the write path, and how fast one entity's history
reads (issue 14's targets), measured in one run on this machine, each store on disk.

1. Generate the catalog (``bench/generate.py``, ``--triples``, seed 1) as JSON documents.
2. Load it into two empty on-disk stores through the same ingest path: ``plain`` keeps no history (a
   ``ReasonedStore`` without one: the write path before history), ``history`` is a ``Catalog`` (every write
   versioned). Then reload the whole catalog into both with ``--changed`` (10%) of the documents changed
   (their description): the target is history costing at most 25% more time than the plain reload.
   Then reload it unchanged into the history store: storage (quads) must not grow.
3. Give ``--models`` models ``--versions`` versions each (description changes) in the history store, then
   time ``versions``, ``diff`` (first to last), ``version`` (the first) and ``as_of`` (the entity at the time
   of its middle version, ``Catalog.version_at``) of each: median and p95 in milliseconds (target: under
   20 ms).

    .venv/bin/python bench/history.py                      # 100k triples
    .venv/bin/python bench/history.py --triples 25000

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.generate import generate_documents  # noqa: E402
from mlkg.catalog import Catalog  # noqa: E402
from mlkg.config import DEFAULT_BASE_IRI, Settings  # noqa: E402
from mlkg.ids import IriMinter  # noqa: E402
from mlkg.ingest import Ingestor, InputFormat, Source  # noqa: E402
from mlkg.reasoning import load_ontology  # noqa: E402
from mlkg.reasoning.program import LineageProgram  # noqa: E402
from mlkg.reasoning.store import ReasonedStore  # noqa: E402
from mlkg.store.oxigraph import OxigraphStore  # noqa: E402

Json = Any


def _timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _sources(documents: list[Json]) -> list[Source]:
    data = json.dumps(documents).encode("utf-8")
    return [Source(name="catalog.json", data=data, format=InputFormat.JSON)]


def _changed(documents: list[Json], share: float) -> list[Json]:
    """The documents with every ``1/share``-th one's description changed."""
    step = max(1, round(1 / share))
    out = copy.deepcopy(documents)
    for index in range(0, len(out), step):
        out[index]["description"] = f"changed in the benchmark ({index})"
    return out


def _quads(store: OxigraphStore) -> int:
    return sum(1 for _ in store.quads())


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000, 2),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, default=100_000)
    parser.add_argument("--changed", type=float, default=0.10, help="Share of documents changed on reload.")
    parser.add_argument("--models", type=int, default=20, help="Models given --versions versions each.")
    parser.add_argument("--versions", type=int, default=10)
    args = parser.parse_args(argv)

    documents = [d.json for d in generate_documents(target_triples=args.triples, seed=1)]
    changed = _changed(documents, args.changed)
    settings = Settings(store="memory:")
    ingestor = Ingestor(minter=IriMinter.from_ontology(base=DEFAULT_BASE_IRI), max_bytes=1 << 30)
    results: dict[str, Any] = {
        "triples": args.triples,
        "documents": len(documents),
        "changed": sum(1 for a, b in zip(documents, changed, strict=True) if a != b),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg()[0],
    }
    with tempfile.TemporaryDirectory(prefix="mlkg-history-") as folder:
        plain_inner = OxigraphStore(path=Path(folder) / "plain")
        plain = ReasonedStore(inner=plain_inner, program=LineageProgram.from_ontology(load_ontology()))
        history_inner = OxigraphStore(path=Path(folder) / "history")
        catalog = Catalog(settings=settings, store=history_inner, actor="bench")

        def load_plain(docs: list[Json]) -> None:
            report = ingestor.ingest(store=plain, sources=_sources(docs))
            assert not report.rejected, report.rejected[:1]

        def load_history(docs: list[Json]) -> None:
            report = catalog.ingestor.ingest(store=catalog.store, sources=_sources(docs))
            assert not report.rejected, report.rejected[:1]

        results["load_s"] = {
            "plain": round(_timed(lambda: load_plain(documents)), 2),
            "history": round(_timed(lambda: load_history(documents)), 2),
        }
        results["quads_after_load"] = {"plain": _quads(plain_inner), "history": _quads(history_inner)}
        reload_plain = _timed(lambda: load_plain(changed))
        reload_history = _timed(lambda: load_history(changed))
        results["reload_changed_s"] = {
            "plain": round(reload_plain, 2),
            "history": round(reload_history, 2),
            "history_over_plain": round(reload_history / reload_plain, 3),
        }
        before = _quads(history_inner)
        results["reload_unchanged_s"] = round(_timed(lambda: load_history(changed)), 2)
        results["quads_history"] = {
            "after_changed_reload": before,
            "after_unchanged_reload": _quads(history_inner),
        }

        models = [d for d in documents if d.get("type") == "mlmodel"][: args.models]
        for round_ in range(1, args.versions):
            load_history([dict(m, description=f"version {round_} of the benchmark") for m in models])
        reads: dict[str, list[float]] = {"versions": [], "diff": [], "version": [], "as_of": []}
        for model in models:
            fqn = model["fullyQualifiedName"]
            versions = catalog.versions(fqn)
            first, last = versions[-1].version, versions[0].version
            middle = versions[len(versions) // 2].at
            assert middle is not None
            for _ in range(5):
                reads["versions"].append(_timed(lambda f=fqn: catalog.versions(f)))
                reads["diff"].append(_timed(lambda f=fqn, a=first, b=last: catalog.diff(f, a, b)))
                reads["version"].append(_timed(lambda f=fqn, a=first: catalog.version(f, a)))
                reads["as_of"].append(_timed(lambda f=fqn, t=middle: catalog.version_at(f, t)))
        results["versions_per_model"] = len(catalog.versions(models[0]["fullyQualifiedName"]))
        results["reads"] = {name: _ms(samples) for name, samples in reads.items()}
        catalog.close()
        plain.close()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
