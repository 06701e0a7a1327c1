"""HTTP benchmark: ``mlkg serve`` against Oxigraph server and rdflib-endpoint on the same generated catalog.

The three servers hold the same data: the generated catalog (``bench/generate.py``) loaded with ``mlkg load``
into an on-disk store (so mlkg computes the inferred lineage graph), then exported from that store as N-Quads,
inferred and ontology graphs included, and that export loaded into Oxigraph server (``oxigraph load``) and
rdflib-endpoint (an rdflib ``Dataset``). A fourth server, ``bare`` (``bench/bare_app.py``), is a bare
Starlette app answering from mlkg's store opened read-only with pyoxigraph and nothing else: the yardstick of
what a Python server on this engine can do here. The "downstream of T" query is a materialized lookup in the
inferred graph on all of them:

    SELECT ?x WHERE { GRAPH <https://w3id.org/mlkg/graph/inferred> { <T> mlkg:downstream ?x } }

with T rotating over the first 20 raw tables by IRI (the start nodes of ``bench/reasoner.py``). Each server is
started alone (the others stopped), the answers are checked (same row count for every T on every server),
then driven by the same bounded load: ``--connections`` keep-alive connections for ``--duration`` seconds
after a ``--warmup``, GET ``/sparql?query=...`` with ``Accept: application/sparql-results+json``. One more
run drives mlkg the same way while another client uploads catalog documents (``POST /entities``, one at a
time, re-uploading the catalog's own documents) for the whole run.

The load generator is ``wrk`` (Debian package ``wrk``, a Lua script rotates the start nodes; ``--wrk``), or,
with ``--load-generator python`` or when ``wrk`` is not installed, a Python one (threads + ``http.client``),
which needs more CPU per request and so caps lower on a small machine. Peak memory is the server process's
``VmHWM`` from ``/proc/PID/status`` after its runs.

Oxigraph server and rdflib-endpoint come from PyPI, installed in a separate virtual environment (not mlkg's):

    python3 -m venv /work/benchenv && /work/benchenv/bin/pip install oxigraph rdflib-endpoint
    .venv/bin/python bench/server.py --benchenv /work/benchenv       # or MLKG_BENCHENV=/work/benchenv

Generated files and stores go to ``bench/out/`` (git-ignored) and are reused by later runs (``--rebuild``).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.generate import generate_documents  # noqa: E402

MLKG = "https://w3id.org/mlkg#"
INFERRED = "https://w3id.org/mlkg/graph/inferred"
TOKEN = "bench-write-token"
RESULTS_JSON = "application/sparql-results+json"
START_NODES = (
    f"PREFIX mlkg: <{MLKG}>\nSELECT DISTINCT ?t WHERE {{ ?t a mlkg:Table "
    "FILTER NOT EXISTS { ?t mlkg:upstream ?u } FILTER EXISTS { ?t mlkg:downstream ?d } } ORDER BY ?t LIMIT 20"
)


def downstream_query(table: str) -> str:
    return f"SELECT ?x WHERE {{ GRAPH <{INFERRED}> {{ <{table}> <{MLKG}downstream> ?x }} }}"


# --------------------------------------------------------------------------------------------- servers


@dataclass
class Server:
    """One server under test: how to start it and where it answers SPARQL queries."""

    name: str
    command: list[str]
    query_path: str
    log: Path
    environment: dict[str, str] = field(default_factory=dict)
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, ready_within: float) -> None:
        with self.log.open("wb") as sink:
            self.process = subprocess.Popen(
                self.command, stdout=sink, stderr=subprocess.STDOUT, env={**os.environ, **self.environment}
            )
        deadline = time.monotonic() + ready_within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(
                    f"{self.name} exited with {self.process.returncode}:\n{self.log.read_text()}"
                )
            try:
                select(self, "ASK { }")
                return
            except (OSError, http.client.HTTPException):
                time.sleep(0.2)
        self.stop()
        raise SystemExit(f"{self.name} did not answer within {ready_within:g} s:\n{self.log.read_text()}")

    def peak_rss_mb(self) -> float:
        """The peak resident memory of the server process plus that of each process it started that is still
        running (mlkg's query worker processes and the fork server they come from), in MB."""
        assert self.process is not None
        return sum(_peak_rss_mb(pid) for pid in [self.process.pid, *_descendants(self.process.pid)])

    def stop(self) -> None:
        """Stop the process by its pid: SIGTERM, then SIGKILL after 20 s."""
        if self.process is None or self.process.poll() is not None:
            return
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()


def _peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _descendants(pid: int) -> list[int]:
    """The ids of the running processes below ``pid`` (from the parent ids in ``/proc/*/stat``)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        below = children.get(todo.pop(), [])
        found += below
        todo += below
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def select(server: Server, query: str) -> Any:
    url = f"{server.base}{server.query_path}?{urllib.parse.urlencode({'query': query})}"
    request = urllib.request.Request(url, headers={"Accept": RESULTS_JSON})
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        raise SystemExit(
            f"{server.name} answered {error.code} to {query!r}: {error.read()[:2000]!r}"
        ) from error


def run(command: Sequence[str], *, environment: dict[str, str] | None = None) -> None:
    print("$", " ".join(command), file=sys.stderr)
    subprocess.run(command, check=True, env={**os.environ, **(environment or {})})


# --------------------------------------------------------------------------------------------- load


@dataclass
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


WRK_SCRIPT = """
local paths = {%(paths)s}
local headers = { ["Accept"] = "%(accept)s" }
local counter = 0
local next_offset = 0

function setup(thread)
  thread:set("offset", next_offset)
  next_offset = next_offset + 7
end

function request()
  counter = counter + 1
  return wrk.format("GET", paths[((counter + (offset or 0)) %% #paths) + 1], headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, "errors": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def wrk_load(
    wrk: str, server: Server, paths: list[str], *, connections: int, seconds: float, script: Path
) -> LoadResult:
    script.write_text(
        WRK_SCRIPT % {"paths": ", ".join(json.dumps(p) for p in paths), "accept": RESULTS_JSON},
        encoding="utf-8",
    )
    threads = min(connections, os.cpu_count() or 1)
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
    ]
    output = subprocess.run([*command, server.base], check=True, capture_output=True, text=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    data = json.loads(line.removeprefix("RESULT "))
    return LoadResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1e3,
        p99_ms=data["p99_us"] / 1e3,
        errors=data["errors"],
    )


def python_load(server: Server, paths: list[str], *, connections: int, seconds: float) -> LoadResult:
    """The same load from Python threads, each with one keep-alive ``http.client`` connection."""
    latencies: list[list[float]] = [[] for _ in range(connections)]
    errors = Counter[int]()
    deadline = time.perf_counter() + seconds

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        count = index * 7
        mine = latencies[index]
        while time.perf_counter() < deadline:
            path = paths[count % len(paths)]
            count += 1
            started = time.perf_counter()
            connection.request("GET", path, headers={"Accept": RESULTS_JSON})
            response = connection.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            if response.status != 200:
                errors[response.status] += 1
        connection.close()

    started = time.perf_counter()
    workers = [threading.Thread(target=client, args=(i,)) for i in range(connections)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    samples = sorted(x for xs in latencies for x in xs)
    return LoadResult(
        requests=len(samples),
        seconds=elapsed,
        p50_ms=statistics.median(samples) * 1e3,
        p99_ms=samples[min(len(samples) - 1, int(len(samples) * 0.99))] * 1e3,
        errors=sum(errors.values()),
    )


@dataclass
class Uploads:
    """A client posting catalog documents to ``/entities`` one after another until stopped."""

    server: Server
    bodies: list[bytes]
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    stopping: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run)
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        assert self.thread is not None
        self.thread.join()

    def _run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=60)
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
        index = 0
        while not self.stopping.is_set():
            body = self.bodies[index % len(self.bodies)]
            index += 1
            started = time.perf_counter()
            connection.request("POST", "/entities", body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            self.latencies.append(time.perf_counter() - started)
            self.statuses[response.status] += 1
        connection.close()


# --------------------------------------------------------------------------------------------- the run


def prepare(args: argparse.Namespace) -> tuple[Path, Path, Path]:
    """The catalog's N-Quads, mlkg's store holding it (inferred graph computed), and the export of that store
    with every graph (what Oxigraph and rdflib-endpoint load)."""
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    size = f"{args.triples // 1000}k" if args.triples % 1000 == 0 else str(args.triples)
    catalog = out / f"catalog-{size}-seed{args.seed}.nq"
    store = out / f"mlkg-store-{size}-seed{args.seed}"
    export = out / f"catalog-{size}-seed{args.seed}-with-inferred.nq"
    python = sys.executable
    if args.rebuild or not catalog.exists():
        generate = [python, str(ROOT / "bench" / "generate.py"), "--triples", str(args.triples)]
        run([*generate, "--seed", str(args.seed), "--out", str(catalog)])
    if args.rebuild or not (store / "LOADED").exists():
        shutil.rmtree(store, ignore_errors=True)
        started = time.perf_counter()
        run(
            [python, "-m", "mlkg", "load", "--store", str(store), str(catalog)],
            environment={"MLKG_MAX_DOCUMENT_BYTES": "100000000"},
        )
        (store / "LOADED").write_text(f"{time.perf_counter() - started:.1f} s\n")
        export.unlink(missing_ok=True)
    if not export.exists():
        run(
            [python, "-m", "mlkg", "export", "--store", str(store), "--format", "nq", "--output", str(export)]
        )
    return catalog, store, export


def servers(args: argparse.Namespace, *, store: Path, export: Path) -> list[Server]:
    out: Path = args.out
    oxigraph_dir = out / f"oxigraph-{store.name.removeprefix('mlkg-store-')}"
    if "oxigraph" not in args.skip and (args.rebuild or not (oxigraph_dir / "LOADED").exists()):
        shutil.rmtree(oxigraph_dir, ignore_errors=True)
        run([args.oxigraph, "load", "--location", str(oxigraph_dir), "--file", str(export)])
        (oxigraph_dir / "LOADED").write_text("ok\n")
    made = []
    if "mlkg" not in args.skip and args.baseline is not None:
        port = free_port()
        command = [sys.executable, "-m", "mlkg", "serve", "--store", str(store), "--port", str(port)]
        made.append(
            Server(
                "mlkg (baseline)",
                [*command, "--write-token", TOKEN],
                "/sparql",
                out / "mlkg-baseline-serve.log",
                environment={"PYTHONPATH": str(args.baseline.resolve() / "src")},
                port=port,
            )
        )
    if "mlkg" not in args.skip:
        for isolation in args.isolation or [None]:
            port = free_port()
            command = [sys.executable, "-m", "mlkg", "serve", "--store", str(store), "--port", str(port)]
            name = "mlkg" if isolation is None else f"mlkg ({isolation})"
            made.append(
                Server(
                    name,
                    [*command, "--write-token", TOKEN],
                    "/sparql",
                    out / f"mlkg-{isolation}-serve.log",
                    environment={} if isolation is None else {"MLKG_QUERY_ISOLATION": isolation},
                    port=port,
                )
            )
    if "bare" not in args.skip:
        port = free_port()
        command = [sys.executable, str(ROOT / "bench" / "bare_app.py"), "--store", str(store)]
        command += ["--port", str(port)]
        made.append(Server("bare", command, "/sparql", out / "bare-serve.log", port=port))
    if "oxigraph" not in args.skip:
        port = free_port()
        command = [args.oxigraph, "serve", "--location", str(oxigraph_dir), "--bind", f"127.0.0.1:{port}"]
        made.append(Server("oxigraph", command, "/query", out / "oxigraph-serve.log", port=port))
    if "rdflib-endpoint" not in args.skip:
        port = free_port()
        command = [args.rdflib_endpoint, "serve", "--host", "127.0.0.1", "--port", str(port), str(export)]
        made.append(Server("rdflib-endpoint", command, "/", out / "rdflib-endpoint-serve.log", port=port))
    return made


def measure(
    args: argparse.Namespace, server: Server, tables: list[str], load: Callable[..., LoadResult]
) -> LoadResult:
    paths = [f"{server.query_path}?{urllib.parse.urlencode({'query': downstream_query(t)})}" for t in tables]
    if args.warmup > 0:
        load(server, paths, connections=args.connections, seconds=args.warmup)
    return load(server, paths, connections=args.connections, seconds=args.duration)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--triples", type=int, default=100_000, help="catalog size (default 100000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per measured run (default 20)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of load before each run")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument(
        "--benchenv",
        type=Path,
        default=Path(os.environ.get("MLKG_BENCHENV", "/work/benchenv")),
        help="virtual environment with the PyPI packages oxigraph and rdflib-endpoint [env MLKG_BENCHENV]",
    )
    parser.add_argument("--oxigraph", help="oxigraph executable (default: BENCHENV/bin/oxigraph)")
    parser.add_argument("--rdflib-endpoint", help="rdflib-endpoint executable (default: BENCHENV/bin/...)")
    parser.add_argument("--wrk", default=shutil.which("wrk"), help="wrk executable (default: wrk on PATH)")
    parser.add_argument("--load-generator", choices=["wrk", "python"], default=None)
    names = ["mlkg", "bare", "oxigraph", "rdflib-endpoint"]
    parser.add_argument("--skip", nargs="*", default=[], choices=names)
    parser.add_argument("--no-uploads", action="store_true", help="skip the mlkg run with uploads")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="also run mlkg from this source tree first (e.g. `git archive COMMIT | tar -x -C DIR`), "
        "as 'mlkg (baseline)': its src/ goes first on PYTHONPATH, so compare two commits in one run",
    )
    parser.add_argument(
        "--isolation",
        nargs="+",
        choices=["process", "thread"],
        help="run mlkg once per value, with MLKG_QUERY_ISOLATION set to it (default: once, as configured)",
    )
    parser.add_argument("--rebuild", action="store_true", help="regenerate the catalog and reload the stores")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    args.oxigraph = args.oxigraph or str(args.benchenv / "bin" / "oxigraph")
    args.rdflib_endpoint = args.rdflib_endpoint or str(args.benchenv / "bin" / "rdflib-endpoint")
    generator = args.load_generator or ("wrk" if args.wrk else "python")
    if generator == "wrk":
        if not args.wrk:
            parser.error("wrk is not installed (apt-get install wrk), use --load-generator python")
        script = args.out / "downstream.lua"

        def load(server: Server, paths: list[str], *, connections: int, seconds: float) -> LoadResult:
            return wrk_load(args.wrk, server, paths, connections=connections, seconds=seconds, script=script)
    else:
        load = python_load

    catalog, store, export = prepare(args)
    tables: list[str] = []
    counts: dict[str, list[int]] = {}
    results: dict[str, LoadResult] = {}
    memory: dict[str, float] = {}
    uploads: dict[str, Uploads] = {}
    for server in servers(args, store=store, export=export):
        print(f"{server.name}: starting", file=sys.stderr)
        started = time.perf_counter()
        server.start(ready_within=1800)
        print(f"{server.name}: ready after {time.perf_counter() - started:.1f} s", file=sys.stderr)
        try:
            if not tables:
                tables = [b["t"]["value"] for b in select(server, START_NODES)["results"]["bindings"]]
            counts[server.name] = [
                len(select(server, downstream_query(t))["results"]["bindings"]) for t in tables
            ]
            results[server.name] = measure(args, server, tables, load)
            print(f"{server.name}: {results[server.name]}", file=sys.stderr)
            if server.name.startswith("mlkg") and not args.no_uploads:
                bodies = [
                    json.dumps(d.json).encode("utf-8")
                    for d in generate_documents(target_triples=args.triples, seed=args.seed)
                ]
                uploader = uploads[server.name] = Uploads(server=server, bodies=bodies)
                uploader.start()
                try:
                    results[f"{server.name} + uploads"] = measure(args, server, tables, load)
                finally:
                    uploader.stop()
                print(f"{server.name} + uploads: {results[f'{server.name} + uploads']}", file=sys.stderr)
                print(f"uploads: {uploader.statuses}", file=sys.stderr)
            memory[server.name] = server.peak_rss_mb()
        finally:
            server.stop()

    reference = next(iter(counts.values()))
    agree = {name: found == reference for name, found in counts.items()}
    report(args, generator, tables, reference, agree, results, memory, uploads, catalog)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "results": {k: {**vars(v), "per_second": v.per_second} for k, v in results.items()},
                    "peak_rss_mb": memory,
                    "rows": reference,
                    "same_answers": agree,
                },
                indent=2,
            )
        )
    return 0 if all(agree.values()) else 1


def report(
    args: argparse.Namespace,
    generator: str,
    tables: list[str],
    rows: list[int],
    agree: dict[str, bool],
    results: dict[str, LoadResult],
    memory: dict[str, float],
    uploads: dict[str, Uploads],
    catalog: Path,
) -> None:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"\n{now}, {os.cpu_count()} CPUs, catalog {catalog.name}, load generator {generator}")
    print(
        f"'downstream of T' over {len(tables)} raw tables ({min(rows)}-{max(rows)} rows, "
        f"{sum(rows) / len(rows):.0f} on average), {args.connections} connections, "
        f"{args.duration:g} s per run after {args.warmup:g} s of warm-up"
    )
    print("same answers on every server:", ", ".join(f"{k} {v}" for k, v in agree.items()))
    names = list(results)
    print("\n| | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    print("| requests/s | " + " | ".join(f"{results[n].per_second:,.0f}" for n in names) + " |")
    print("| p50 latency (ms) | " + " | ".join(f"{results[n].p50_ms:.2f}" for n in names) + " |")
    print("| p99 latency (ms) | " + " | ".join(f"{results[n].p99_ms:.2f}" for n in names) + " |")
    print("| errors | " + " | ".join(str(results[n].errors) for n in names) + " |")
    print(
        "| server peak RSS (MB) | "
        + " | ".join(f"{memory[n]:,.0f}" if n in memory else "(same process)" for n in names)
        + " |"
    )
    mlkg = results.get("mlkg")
    if mlkg:
        for peer in ("bare", "oxigraph", "rdflib-endpoint"):
            if peer in results:
                print(f"mlkg / {peer} requests/s: {mlkg.per_second / results[peer].per_second:.2f}")
    for name, uploader in uploads.items():
        if not uploader.latencies:
            continue
        done = sorted(uploader.latencies)
        p99 = done[min(len(done) - 1, int(len(done) * 0.99))]
        print(
            f"uploads during the {name} run: {len(done)} POST /entities ({dict(uploader.statuses)}), median "
            f"{statistics.median(done) * 1e3:.0f} ms, p99 {p99 * 1e3:.0f} ms"
        )


if __name__ == "__main__":
    raise SystemExit(main())
