"""Change-events benchmark: what the event observer adds to each write, and how long a webhook takes to arrive
(issue 15, point 4), measured in one run on this machine, the store on disk.

1. Generate the catalog (``bench/generate.py``, ``--triples``, seed 1) and load it into an empty on-disk
   ``Catalog``.
2. ``--writes`` single-document writes (a table's description changed), each timed, with no change events.
3. The whole catalog reloaded with every description changed (one upload), no change events.
4. The same number of single writes with change events on (``mlkg.events.ChangeEvents``, its delivery
   thread running, one subscription with no filter posting to a loopback receiver): each write timed, the
   observer's own time in the write timed apart, and the time from the write's return to the receiver
   having the signed POST (the next write waits for it, so deliveries never overlap writes).
5. The whole catalog reloaded again, events on: the observer's total time in it.

    .venv/bin/python bench/events.py                       # 25k triples, 200 writes
    .venv/bin/python bench/events.py --triples 100000 --writes 500

Prints one JSON object; medians and p95 in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.generate import generate_documents  # noqa: E402
from mlkg.catalog import Catalog  # noqa: E402
from mlkg.config import Settings  # noqa: E402
from mlkg.events import ChangeEvents, EventFilter  # noqa: E402
from mlkg.ingest import InputFormat, Source  # noqa: E402
from mlkg.queries import QueryCatalog  # noqa: E402
from mlkg.reasoning.written import Written  # noqa: E402


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 3),
        "p95_ms": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000, 3),
    }


def _receiver() -> tuple[ThreadingHTTPServer, list[float]]:
    arrived: list[float] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", "0")))
            arrived.append(time.perf_counter())
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, arrived


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, default=25_000)
    parser.add_argument("--writes", type=int, default=200)
    args = parser.parse_args(argv)

    documents = [d.json for d in generate_documents(target_triples=args.triples, seed=1)]
    tables = [d for d in documents if d.get("type") == "table"]
    results: dict[str, Any] = {
        "triples": args.triples,
        "documents": len(documents),
        "writes": args.writes,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg()[0],
    }
    server, arrived = _receiver()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    with tempfile.TemporaryDirectory(prefix="mlkg-events-") as folder:
        settings = Settings(store=str(Path(folder) / "store"), webhook_allow=[url])
        with Catalog(settings=settings, actor="bench") as catalog:
            data = json.dumps(documents).encode("utf-8")
            report = catalog.ingestor.ingest(
                store=catalog.store, sources=[Source(name="c.json", data=data, format=InputFormat.JSON)]
            )
            assert not report.rejected, report.rejected[:1]

            def write(index: int, round_: str) -> float:
                table = tables[index % len(tables)]
                started = time.perf_counter()
                done = catalog.load({**table, "description": f"{round_} {index}"})
                assert not done.rejected, done.rejected[:1]
                return time.perf_counter() - started

            plain = [write(i, "plain") for i in range(args.writes)]

            def reload(round_: str) -> float:
                changed = [{**d, "description": f"{round_} {i}"} for i, d in enumerate(documents)]
                data = json.dumps(changed).encode("utf-8")
                started = time.perf_counter()
                done = catalog.ingestor.ingest(
                    store=catalog.store, sources=[Source(name="c.json", data=data, format=InputFormat.JSON)]
                )
                assert not done.rejected, done.rejected[:1]
                return time.perf_counter() - started

            reload_plain = reload("bulk-plain")

            events = ChangeEvents(catalog=catalog, settings=settings, queries=QueryCatalog.load())
            observer = catalog.store.observers.pop()  # timed by a wrapper instead
            spent: list[float] = []

            def timed(written: Written) -> None:
                started = time.perf_counter()
                observer(written)
                spent.append(time.perf_counter() - started)

            catalog.store.observe(timed)
            events.start()
            events.subscribe(url=url, filter=EventFilter())
            with_events: list[float] = []
            latency: list[float] = []
            for i in range(args.writes):
                before = len(arrived)
                with_events.append(write(i, "events"))
                returned = time.perf_counter()
                deadline = returned + 10
                while len(arrived) == before and time.perf_counter() < deadline:
                    time.sleep(0.0002)
                assert len(arrived) > before, "a delivery did not arrive within 10 s"
                latency.append(arrived[-1] - returned)
            before = len(spent)
            reload_events = reload("bulk-events")
            observer_bulk = sum(spent[before:])
            events.close()
    server.shutdown()
    results["write_without_events"] = _ms(plain)
    results["write_with_events"] = _ms(with_events)
    results["observer_in_write"] = _ms(spent)
    results["write_return_to_webhook_received"] = _ms(latency)
    results["bulk_reload_every_document_changed_s"] = {
        "without_events": round(reload_plain, 2),
        "with_events": round(reload_events, 2),
        "observer_s": round(observer_bulk, 3),
        "observer_ms_per_document": round(observer_bulk / len(documents) * 1000, 3),
    }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
