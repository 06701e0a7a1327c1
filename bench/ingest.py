"""Ingest benchmark: ``mlkg load`` of a generated catalog against ``mlkg reason`` on the result, one-document
uploads and an NDJSON stream over HTTP, all in one run on this machine (issue 10's targets).

Steps, each ``mlkg`` command in its own process (wall time and peak resident memory from ``os.wait4``):

1. generate the catalog (``bench/generate.py``) of ``--triples`` triples and one of a quarter of that, each as
   one JSON array file and as one NDJSON file (``bench/out/ingest-<N>.json|.ndjson``, reused when present);
2. ``mlkg load`` of the small and of the large JSON array into empty on-disk stores, then ``mlkg reason`` on
   the large store (the ratio load / reason is the first target, small / large the linearity one);
3. ``mlkg serve`` on the large store: ``--posts`` one-document ``POST /entities``, 20 model documents each
   uploaded without one of its features and then whole again; p50 / p99; after the server stops, ``mlkg
   reason`` must find nothing to add or remove (the inferred graph stayed exact);
4. ``mlkg serve`` on an empty store: the large catalog's NDJSON file as one ``application/x-ndjson`` request,
   sent in 64 KB chunks; documents per second end to end.

    .venv/bin/python bench/ingest.py                       # 100k triples (and 25k)
    .venv/bin/python bench/ingest.py --triples 1000000 --skip-http

Numbers go to stdout as JSON (and to ``--json FILE``). Outputs live in ``bench/out/`` (git-ignored).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.generate import generate_documents  # noqa: E402

OUT = ROOT / "bench" / "out"


@dataclass(frozen=True)
class Run:
    """One finished command: its wall time, its peak resident memory and its stderr."""

    seconds: float
    peak_mb: float
    stderr: str


def mlkg_command() -> list[str]:
    return [sys.executable, "-m", "mlkg"]


def run(args: Sequence[str], *, env: dict[str, str] | None = None) -> Run:
    """Run one command, measuring its wall time and peak RSS (``ru_maxrss`` of this child alone).

    :raises RuntimeError: if the command fails (exit code other than 0).
    """
    started = time.perf_counter()
    process = subprocess.Popen(
        list(args), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env or dict(os.environ)
    )
    assert process.stderr is not None
    err = process.stderr.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {process.returncode}: {err[-2000:]}")
    return Run(seconds=seconds, peak_mb=usage.ru_maxrss / 1024, stderr=err)


def write_catalog(triples: int, seed: int) -> tuple[Path, Path, int]:
    """The catalog as one JSON array and as NDJSON (reused if present); returns the paths and documents."""
    OUT.mkdir(parents=True, exist_ok=True)
    array, lines = OUT / f"ingest-{triples}.json", OUT / f"ingest-{triples}.ndjson"
    count_file = OUT / f"ingest-{triples}.count"
    if array.exists() and lines.exists() and count_file.exists():
        return array, lines, int(count_file.read_text())
    count = 0
    with array.open("w", encoding="utf-8") as a, lines.open("w", encoding="utf-8") as n:
        a.write("[\n")
        for document in generate_documents(target_triples=triples, seed=seed):
            text = json.dumps(document.json, ensure_ascii=False)
            a.write(("" if count == 0 else ",\n") + text)
            n.write(text + "\n")
            count += 1
        a.write("\n]\n")
    count_file.write_text(str(count))
    return array, lines, count


def fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Server:
    """``mlkg serve`` on a store, started and stopped by the benchmark."""

    def __init__(self, store: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [*mlkg_command(), "--store", str(store), "serve", "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("mlkg serve did not answer /health within 120 s")

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)

    def peak_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)


def model_documents(path: Path, count: int) -> list[dict[str, Any]]:
    """The first ``count`` model documents with at least two features, from the NDJSON file."""
    found: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            document = json.loads(line)
            if document.get("type") == "mlmodel" and len(document.get("mlFeatures", [])) >= 2:
                found.append(document)
                if len(found) == count:
                    break
    return found


def post_one(connection: http.client.HTTPConnection, document: dict[str, Any]) -> float:
    body = json.dumps(document).encode("utf-8")
    started = time.perf_counter()
    connection.request("POST", "/entities", body=body, headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    response.read()
    elapsed = time.perf_counter() - started
    if response.status != 201:
        raise RuntimeError(f"POST /entities answered {response.status}")
    return elapsed


def one_document_posts(store: Path, ndjson: Path, posts: int, env: dict[str, str]) -> dict[str, Any]:
    models = model_documents(ndjson, 20)
    variants: list[dict[str, Any]] = []
    for model in models:
        without = copy.deepcopy(model)
        without["mlFeatures"] = without["mlFeatures"][:-1]
        variants += [without, model]
    server = Server(store, env)
    try:
        connection = server.connection()
        for document in variants[:4]:  # warm-up
            post_one(connection, document)
        times = [post_one(connection, variants[i % len(variants)]) for i in range(posts)]
        # end on whole documents, so the store holds the catalog as generated
        for document in variants[1::2]:
            post_one(connection, document)
        peak = server.peak_mb()
    finally:
        server.stop()
    times.sort()
    check = run([*mlkg_command(), "--store", str(store), "reason"], env=env)
    return {
        "posts": posts,
        "p50_ms": 1000 * statistics.median(times),
        "p99_ms": 1000 * times[min(len(times) - 1, round(0.99 * (len(times) - 1)))],
        "server_peak_mb": peak,
        "reason_after": check.stderr.strip().splitlines()[-1],
    }


def ndjson_stream(store: Path, ndjson: Path, documents: int, env: dict[str, str]) -> dict[str, Any]:
    server = Server(fresh(store), env)
    try:
        connection = server.connection()
        started = time.perf_counter()
        connection.putrequest("POST", "/entities")
        connection.putheader("Content-Type", "application/x-ndjson")
        connection.putheader("Transfer-Encoding", "chunked")
        connection.endheaders()
        with ndjson.open("rb") as handle:
            while chunk := handle.read(1 << 16):
                connection.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        connection.send(b"0\r\n\r\n")
        response = connection.getresponse()
        body = response.read()
        seconds = time.perf_counter() - started
        peak = server.peak_mb()
    finally:
        server.stop()
    accepted = None
    with contextlib.suppress(ValueError, AttributeError):
        accepted = len(json.loads(body).get("accepted", []))
    return {
        "status": response.status,
        "documents": documents,
        "accepted": accepted,
        "seconds": seconds,
        "documents_per_s": (accepted or 0) / seconds,
        "server_peak_mb": peak,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, default=100_000, help="catalog size (default 100000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--posts", type=int, default=200, help="one-document uploads (default 200)")
    parser.add_argument("--skip-http", action="store_true", help="only mlkg load / mlkg reason")
    parser.add_argument("--skip-small", action="store_true", help="no quarter-size load (linearity)")
    parser.add_argument("--json", type=Path, help="also write the numbers to this JSON file")
    options = parser.parse_args(argv)

    env = dict(os.environ)
    results: dict[str, Any] = {"triples": options.triples, "load_average_start": os.getloadavg()[0]}
    array, ndjson, documents = write_catalog(options.triples, options.seed)
    results["documents"] = documents
    store = fresh(OUT / f"ingest-store-{options.triples}")
    if not options.skip_small:
        small_array, _, small_docs = write_catalog(options.triples // 4, options.seed)
        small = run(
            [*mlkg_command(), "--store", str(fresh(OUT / "ingest-store-small")), "load", str(small_array)],
            env=env,
        )
        results["small"] = {"documents": small_docs, "seconds": small.seconds, "peak_mb": small.peak_mb}
    load = run([*mlkg_command(), "--store", str(store), "load", str(array)], env=env)
    reason = run([*mlkg_command(), "--store", str(store), "reason"], env=env)
    results["load"] = {"seconds": load.seconds, "peak_mb": load.peak_mb}
    results["reason"] = {"seconds": reason.seconds, "peak_mb": reason.peak_mb}
    results["load_over_reason"] = load.seconds / reason.seconds
    if "small" in results:
        small_result = results["small"]
        results["linearity"] = {
            "documents_ratio": documents / small_result["documents"],
            "time_ratio": load.seconds / small_result["seconds"],
        }
    if not options.skip_http:
        results["post_one"] = one_document_posts(store, ndjson, options.posts, env)
        try:
            results["ndjson"] = ndjson_stream(OUT / "ingest-store-ndjson", ndjson, documents, env)
        except (OSError, http.client.HTTPException) as error:  # a server without NDJSON may hang up
            results["ndjson"] = {"error": repr(error)}
    results["load_average_end"] = os.getloadavg()[0]
    print(json.dumps(results, indent=2))
    if options.json:
        options.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
