"""OpenLineage intake benchmark: events per second through ``POST /api/v1/lineage`` in batches, the
inferred lineage graph exact afterwards, against the floor: the plain upload (``POST /entities``) of the same
documents.

Events are generated, the same for the same seed: ``--jobs`` jobs in a chain of layers (a job of layer L reads
1-2 tables of layer L-1 and writes 1-2 tables of layer L), each table with ``--columns`` columns in its
``schema`` facet and every output column lineage-linked (``columnLineage``) to one or two input columns; each
job runs ``--runs`` times, a run being a START and a COMPLETE event carrying the same datasets. The events are
posted in ``--batch`` events a request (``application/x-ndjson``) to ``mlkg serve`` on a fresh on-disk store;
then the server is stopped and ``mlkg reason`` recomputes the inferred graph from scratch: it must add and
remove nothing (the incremental reasoning after each batch was exact).

The floor: the same events mapped to mlkg documents here (the pipeline document and the run document of each
event, what the intake writes before folding runs) and uploaded as ``application/x-ndjson`` to
``POST /entities`` on another fresh store, in requests of the same number of documents per event.

    .venv/bin/python bench/openlineage.py                     # 200 jobs x 5 runs = 2,000 events
    .venv/bin/python bench/openlineage.py --jobs 500 --runs 4 --batch 1000
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from tests.serving import launch  # noqa: E402

from mlkg.ingest.openlineage.mapping import map_event, run_document  # noqa: E402
from mlkg.ingest.openlineage.naming import NamespaceMap  # noqa: E402

OUT = ROOT / "bench" / "out"
TOKEN = "bench-token"
NAMESPACE = "postgres://warehouse:5432"


def generate(*, jobs: int, runs: int, columns: int, seed: int) -> list[dict[str, Any]]:
    """The events: for each run of each job, START then COMPLETE (runs of different jobs interleaved)."""
    rng = random.Random(seed)
    layers = max(2, min(8, jobs // 10))
    tables_by_layer: list[list[str]] = [[f"raw.public.t{i}" for i in range(max(4, jobs // 4))]]
    plans: list[tuple[str, list[str], list[str]]] = []
    for j in range(jobs):
        layer = 1 + j * (layers - 1) // jobs
        while len(tables_by_layer) <= layer:
            tables_by_layer.append([])
        below = tables_by_layer[layer - 1] or tables_by_layer[0]
        inputs = rng.sample(below, k=min(len(below), rng.randint(1, 2)))
        outputs = [f"l{layer}.public.job{j}_out{k}" for k in range(rng.randint(1, 2))]
        tables_by_layer[layer].extend(outputs)
        plans.append((f"etl.job{j}", inputs, outputs))
    fields = [f"c{i}" for i in range(columns)]

    def dataset(name: str, lineage_from: list[str] | None) -> dict[str, Any]:
        facets: dict[str, Any] = {"schema": {"fields": [{"name": f, "type": "VARCHAR"} for f in fields]}}
        if lineage_from is not None:
            facets["columnLineage"] = {
                "fields": {
                    f: {
                        "inputFields": [
                            {
                                "namespace": NAMESPACE,
                                "name": rng.choice(lineage_from),
                                "field": rng.choice(fields),
                            }
                            for _ in range(rng.randint(1, 2))
                        ]
                    }
                    for f in fields
                }
            }
        return {"namespace": NAMESPACE, "name": name, "facets": facets}

    # a job reads and writes the same datasets, with the same schemas and column lineage, in every run
    datasets = {
        job: ([dataset(name, None) for name in inputs], [dataset(name, inputs) for name in outputs])
        for job, inputs, outputs in plans
    }
    events: list[dict[str, Any]] = []
    for run in range(runs):
        for job, _, _ in plans:
            run_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            body = {
                "producer": "https://example.org/bench",
                "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
                "run": {"runId": run_id},
                "job": {"namespace": "airflow", "name": job},
                "inputs": datasets[job][0],
                "outputs": datasets[job][1],
            }
            for state, minute in (("START", 0), ("COMPLETE", 7)):
                events.append(
                    {**body, "eventType": state, "eventTime": f"2024-06-{1 + run:02d}T02:{minute:02d}:00Z"}
                )
    return events


def documents(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The documents the intake maps the events to (pipeline and run of each event, runs not folded)."""
    names = NamespaceMap()
    out: list[dict[str, Any]] = []
    for event in events:
        mapped = map_event(event, names=names)
        out.extend(body for _, body in mapped.documents)
        if mapped.run is not None and mapped.run_state is not None:
            out.append(run_document(mapped.run, mapped.run_state))
    return out


def chunks(lines: list[str], size: int) -> Iterator[bytes]:
    for start in range(0, len(lines), size):
        yield ("\n".join(lines[start : start + size]) + "\n").encode("utf-8")


def post_all(url: str, bodies: list[bytes]) -> float:
    """Post every body in turn; the wall time in seconds. Fails on any answer but 201."""
    headers = {"authorization": f"Bearer {TOKEN}", "content-type": "application/x-ndjson"}
    with httpx.Client(timeout=600) as client:
        started = time.perf_counter()
        for body in bodies:
            answer = client.post(url, content=body, headers=headers)
            if answer.status_code != 201:
                raise SystemExit(f"{url}: {answer.status_code} {answer.text[:2000]}")
        return time.perf_counter() - started


def serve_and_post(name: str, route: str, parts: list[list[bytes]]) -> tuple[list[float], Path]:
    """Each part's bodies posted to a fresh server; the seconds each part took, and the store."""
    store = OUT / f"openlineage-{name}"
    shutil.rmtree(store, ignore_errors=True)
    started = launch(log=OUT / f"openlineage-{name}.log", demo=False, token=TOKEN, store=str(store))
    try:
        server = started.ready()
        seconds = [post_all(server.url + route, bodies) for bodies in parts]
    finally:
        started.stop()
    return seconds, store


def exact(store: Path) -> str:
    """``mlkg reason`` on the store: what a recompute from scratch changes (nothing if it was exact)."""
    done = subprocess.run(
        [sys.executable, "-m", "mlkg", "reason", "--store", str(store)],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stderr.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--columns", type=int, default=8)
    parser.add_argument("--batch", type=int, default=500, help="events per request")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-floor", action="store_true", help="do not measure the plain upload")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)

    events = generate(jobs=args.jobs, runs=args.runs, columns=args.columns, seed=args.seed)
    lines = [json.dumps(e) for e in events]
    first = 2 * args.jobs  # the first run of every job: new pipelines, tables and columns
    print(
        f"{len(events)} events ({args.jobs} jobs x {args.runs} runs x START/COMPLETE), {args.batch} a request"
    )
    parts = [list(chunks(lines[:first], args.batch)), list(chunks(lines[first:], args.batch))]
    (cold, warm), store = serve_and_post("events", "api/v1/lineage", parts)
    total = cold + warm
    print(f"POST /api/v1/lineage: {total:.2f} s, {len(events) / total:,.0f} events/s")
    print(f"  first run of each job ({first} events, all new): {first / cold:,.0f} events/s")
    if warm:
        later = len(events) - first
        print(f"  later runs ({later} events, known jobs): {later / warm:,.0f} events/s")
    print(f"  inferred graph: {exact(store)}")
    if args.skip_floor:
        return
    docs = documents(events)
    per_event = len(docs) / len(events)
    size = round(args.batch * per_event)
    floor_parts, store = serve_and_post(
        "documents", "entities", [list(chunks([json.dumps(d) for d in docs], size))]
    )
    floor = floor_parts[0]
    print(
        f"floor, POST /entities of the same {len(docs)} documents: {floor:.2f} s, "
        f"{len(events) / floor:,.0f} events/s ({len(docs) / floor:,.0f} documents/s)"
    )
    print(f"  inferred graph: {exact(store)}")
    print(f"intake / floor: {total / floor:.2f}x the time")


if __name__ == "__main__":
    main()
