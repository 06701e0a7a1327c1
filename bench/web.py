"""Web pages benchmark (issue 17): how long the pages a browser asks for take on a generated catalog, through
the real app (``create_app`` over an on-disk store, requests over ASGI in-process, so HTTP parsing is left
out), measured in one run on this machine.

1. Generate the catalog (``bench/generate.py``, ``--triples``, seed 1) and load it through a ``Catalog``
   (history on, as ``mlkg serve`` writes).
2. Ask each page ``--repeat`` times with a browser's ``Accept``: the landing page ``/`` (counts by kind over
   every entity graph, the latest changes), a model's page ``/id/model/...`` (its description, referrers and
   lineage lists; the graph itself is ``/lineage``, timed too at depth 2 both ways as the page's script asks),
   ``/impact`` of a raw table (grouped by kind, owners to notify), and a named question as a table
   (``/queries/downstream``). Median and p95 in milliseconds.

    .venv/bin/python bench/web.py                      # 100k triples
    .venv/bin/python bench/web.py --triples 25000

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402

from bench.generate import generate_documents  # noqa: E402
from mlkg.api import create_app  # noqa: E402
from mlkg.config import Settings  # noqa: E402
from mlkg.ingest import InputFormat, Source  # noqa: E402

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def _times(client: TestClient, path: str, *, repeat: int, accept: str = BROWSER) -> dict[str, float]:
    spent = []
    for _ in range(repeat):
        started = time.perf_counter()
        answer = client.get(path, headers={"Accept": accept})
        spent.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
    spent.sort()
    return {
        "median_ms": round(statistics.median(spent), 1),
        "p95_ms": round(spent[max(0, int(len(spent) * 0.95) - 1)], 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, default=100_000, help="Size of the generated catalog.")
    parser.add_argument("--repeat", type=int, default=20, help="Requests per page.")
    args = parser.parse_args(argv)

    documents = [d.json for d in generate_documents(target_triples=args.triples, seed=1)]
    model = next(d for d in documents if d.get("type") == "mlmodel")["fullyQualifiedName"]
    raw = next(
        d["fullyQualifiedName"]
        for d in documents
        if d.get("type") == "table" and str(d.get("fullyQualifiedName", "")).startswith("postgres_prod.")
    )
    results: dict[str, Any] = {
        "triples": args.triples,
        "documents": len(documents),
        "repeat": args.repeat,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg()[0],
    }
    with tempfile.TemporaryDirectory(prefix="mlkg-web-") as folder:
        settings = Settings(store=str(Path(folder) / "store"), write_token="bench", query_isolation="thread")
        app = create_app(settings)
        with TestClient(app) as client:
            catalog = app.state.mlkg.catalog
            data = json.dumps(documents).encode("utf-8")
            started = time.perf_counter()
            report = catalog.ingestor.ingest(
                store=catalog.store, sources=[Source(name="catalog.json", data=data, format=InputFormat.JSON)]
            )
            assert not report.rejected, report.rejected[:1]
            results["load_s"] = round(time.perf_counter() - started, 1)
            entity = f"/id/model/{model}"
            pages = {
                "landing": "/",
                "entity": entity,
                "lineage_upstream_depth2": f"/lineage?entity={model}&direction=upstream&depth=2",
                "lineage_downstream_depth2": f"/lineage?entity={model}&direction=downstream&depth=2",
                "impact_of_raw_table": f"/impact?entity={raw}",
                "named_query_table": f"/queries/downstream?entity={raw}",
            }
            for name, path in pages.items():
                accept = "application/json" if name.startswith("lineage") else BROWSER
                _times(client, path, repeat=1, accept=accept)  # warm
                results[name] = _times(client, path, repeat=args.repeat, accept=accept)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
