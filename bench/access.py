"""Access-control benchmark (issue 15's targets), both ways in one run on this machine:

1. **Authorization on /sparql**: the same query sent to the app's ``/sparql`` fast lane, in-process through
   ASGI (no sockets, so the difference is mlkg's own work), as alternating rounds of ``--requests`` requests
   each: an open server (no principal, no credentials: the demo's path), a server with principals and no
   credentials (reads open), a viewer's ``Bearer`` token, a viewer's HTTP Basic, and ``--auth-reads`` with a
   Bearer token. Reported: the median time per request of each, and what each adds to the open server's
   (target: at most 0.2 ms).
2. **Audit recording on ingest**: ``--documents`` generated catalog documents (``bench/generate.py``) loaded
   into a fresh on-disk store as ``mlkg load`` loads them, with the attempt recorded in the audit (as the
   command does) and without, alternating (ABBA, after a warm-up load), ``--rounds`` times each; and
   ``--posts`` one-document uploads (``POST /entities``, in-process) with and without recording. Reported:
   medians and the overhead (target: at most 10%).

    .venv/bin/python bench/access.py                          # 10k documents, 2,000 requests a round
    .venv/bin/python bench/access.py --documents 20000 --rounds 3

Numbers go to stdout as JSON. Stores live in ``bench/out/`` (git-ignored).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import shutil
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402

from bench.generate import generate_documents  # noqa: E402
from mlkg.access import Permission, Role  # noqa: E402
from mlkg.access.audit import Attempt, AuditTrail  # noqa: E402
from mlkg.access.gate import PermissionGate  # noqa: E402
from mlkg.api import create_app  # noqa: E402
from mlkg.catalog import Catalog  # noqa: E402
from mlkg.config import MEMORY_STORE, Settings  # noqa: E402
from mlkg.ingest import InputFormat, Source  # noqa: E402

OUT = ROOT / "bench" / "out"
#: Seconds spent recording each audited load's attempt (its work alone, apart from the machine's noise).
RECORDING: list[float] = []
QUERY = (
    "SELECT ?x WHERE { GRAPH <https://w3id.org/mlkg/graph/inferred> { "
    "<http://localhost:8000/id/table/postgres_prod.ecommerce.public.customers> "
    "<https://w3id.org/mlkg#downstream> ?x } }"
)


async def _call(app: Any, headers: list[tuple[bytes, bytes]]) -> int:
    """One GET /sparql through the app's ASGI interface; returns the status."""
    from urllib.parse import quote

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/sparql",
        "raw_path": b"/sparql",
        "query_string": ("query=" + quote(QUERY)).encode(),
        "headers": [(b"host", b"localhost:8000"), (b"accept", b"application/sparql-results+json"), *headers],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def _round(app: Any, headers: list[tuple[bytes, bytes]], requests: int) -> float:
    """Seconds per request over ``requests`` sequential requests."""
    started = time.perf_counter()
    for _ in range(requests):
        status = await _call(app, headers)
        assert status == 200, status
    return (time.perf_counter() - started) / requests


def authorization(requests: int, rounds: int) -> dict[str, Any]:
    open_app = create_app(Settings(store=MEMORY_STORE), demo=True)
    closed_app = create_app(Settings(store=MEMORY_STORE), demo=True)
    guarded_app = create_app(Settings(store=MEMORY_STORE, auth_reads=True), demo=True)
    token = closed_app.state.mlkg.catalog.principals.add(name="reader", role=Role.VIEWER)
    guarded = guarded_app.state.mlkg.catalog.principals.add(name="reader", role=Role.VIEWER)
    basic = base64.b64encode(f"reader:{token}".encode())
    variants: dict[str, tuple[Any, list[tuple[bytes, bytes]]]] = {
        "open server, no credentials": (open_app, []),
        "principals, no credentials (reads open)": (closed_app, []),
        "viewer, Bearer": (closed_app, [(b"authorization", f"Bearer {token}".encode())]),
        "viewer, Basic": (closed_app, [(b"authorization", b"Basic " + basic)]),
        "--auth-reads, viewer, Bearer": (guarded_app, [(b"authorization", f"Bearer {guarded}".encode())]),
    }
    times: dict[str, list[float]] = {name: [] for name in variants}

    async def drive() -> None:
        for app, headers in variants.values():  # warm up (first queries, caches, the principals read)
            await _round(app, headers, 200)
        for _ in range(rounds):
            for name, (app, headers) in variants.items():
                times[name].append(await _round(app, headers, requests))

    asyncio.run(drive())
    base = statistics.median(times["open server, no credentials"])
    return {
        "requests_per_round": requests,
        "rounds": rounds,
        "per_request_ms": {name: round(statistics.median(t) * 1000, 4) for name, t in times.items()},
        "added_ms": {name: round((statistics.median(t) - base) * 1000, 4) for name, t in times.items()},
    }


def _documents(count: int) -> bytes:
    documents = []
    for document in generate_documents(target_triples=count * 12, seed=1):
        documents.append(document.json)
        if len(documents) == count:
            break
    return json.dumps(documents).encode()


def _load(data: bytes, *, audited: bool) -> float:
    path = OUT / f"access-{uuid.uuid4().hex[:8]}"
    try:
        with Catalog(settings=Settings(store=str(path))) as catalog:
            source = Source(name="catalog.json", data=data, format=InputFormat.JSON)
            started = time.perf_counter()
            if audited:  # as mlkg load records its attempt (mlkg.cli_open.writing)
                attempt = Attempt(agent="bench", action="mlkg load", request_id=uuid.uuid4().hex)
                record = catalog.audit.record

                def timed(made: Attempt) -> None:
                    begun = time.perf_counter()
                    record(made)
                    RECORDING.append(time.perf_counter() - begun)

                catalog.audit.record = timed  # type: ignore[method-assign]
                gate = PermissionGate(permissions=frozenset(Permission), who="bench")  # as the command
                with catalog.audit.recording(store=catalog.store, attempt=attempt, gate=gate):
                    report = catalog.ingestor.ingest(store=catalog.store, sources=[source])
            else:
                report = catalog.ingestor.ingest(store=catalog.store, sources=[source])
            spent = time.perf_counter() - started
            assert not report.rejected, report.rejected[:3]
            return spent
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _posts(documents: list[dict[str, Any]], *, audited: bool) -> float:
    """Median seconds of one-document uploads (in-process); without recording, the trail writes nothing."""
    app = create_app(Settings(store=MEMORY_STORE))
    catalog = app.state.mlkg.catalog
    if not audited:
        catalog.audit = AuditTrail(store=catalog.access_store)
        catalog.audit.record = lambda attempt: None  # type: ignore[method-assign]
    spent: list[float] = []
    with TestClient(app) as client:
        for document in documents:
            started = time.perf_counter()
            answer = client.post("/entities", json=document)
            spent.append(time.perf_counter() - started)
            assert answer.status_code == 201, answer.text
    return statistics.median(spent)


def ingest(documents: int, posts: int, rounds: int) -> dict[str, Any]:
    OUT.mkdir(parents=True, exist_ok=True)
    data = _documents(documents)
    _load(_documents(500), audited=True)  # warm up: imports, shapes, the first store's files
    loads: dict[bool, list[float]] = {False: [], True: []}
    for number in range(rounds):  # ABBA: neither way always goes first
        for audited in (False, True) if number % 2 == 0 else (True, False):
            loads[audited].append(_load(data, audited=audited))
    singles = [d for d in json.loads(data)][:posts]
    uploads: dict[bool, list[float]] = {False: [], True: []}
    for number in range(rounds):
        for audited in (False, True) if number % 2 == 0 else (True, False):
            uploads[audited].append(_posts(singles, audited=audited))
    plain, audited = statistics.median(loads[False]), statistics.median(loads[True])
    one, one_audited = statistics.median(uploads[False]), statistics.median(uploads[True])
    return {
        "documents": documents,
        "load_seconds": {"without_audit": round(plain, 3), "with_audit": round(audited, 3)},
        "load_samples": {
            k: [round(t, 2) for t in v] for k, v in (("without", loads[False]), ("with", loads[True]))
        },
        "load_overhead_percent": round((audited / plain - 1) * 100, 1),
        "recording_seconds": round(statistics.median(RECORDING[1:] or RECORDING), 3),
        "recording_percent_of_load": round(statistics.median(RECORDING[1:] or RECORDING) / plain * 100, 2),
        "posts": len(singles),
        "upload_p50_ms": {"without_audit": round(one * 1000, 2), "with_audit": round(one_audited * 1000, 2)},
        "upload_overhead_percent": round((one_audited / one - 1) * 100, 1),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000, help="requests per round (default 2000)")
    parser.add_argument("--documents", type=int, default=10_000, help="documents loaded (default 10000)")
    parser.add_argument("--posts", type=int, default=200, help="one-document uploads (default 200)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of each (default 3)")
    parser.add_argument("--skip", nargs="*", default=[], choices=["authorization", "ingest"])
    args = parser.parse_args(argv)
    steps: dict[str, Callable[[], dict[str, Any]]] = {
        "authorization": lambda: authorization(args.requests, max(args.rounds, 5)),
        "ingest": lambda: ingest(args.documents, args.posts, args.rounds),
    }
    results = {name: step() for name, step in steps.items() if name not in args.skip}
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
