"""The Oxigraph server (PyPI package ``oxigraph``) the remote backend's tests run against: started on a free
loopback port with a throw-away directory, stopped by its process id."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from mlkg.config import Settings
from mlkg.store.sparql import Endpoints, SparqlStore

__all__ = ["BACKENDS", "ExternalEngine", "OxigraphServer", "ServerFactory", "oxigraph_binary"]

#: The two store backends every contract test runs on.
BACKENDS = ["embedded", "remote"]


class OxigraphServer:
    """One ``oxigraph serve`` process on a free loopback port; ``stop()`` ends it by its process id."""

    def __init__(self, *, binary: str, location: Path, union: bool = True) -> None:
        self.location = location
        self.log = location.with_suffix(".log")
        for _ in range(5):
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            args = [binary, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"]
            if union:
                args.append("--union-default-graph")
            with self.log.open("ab") as log:
                self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
            if self._wait_ready(port):
                self.url = f"http://127.0.0.1:{port}"
                return
            self.stop()
        raise RuntimeError(f"oxigraph server did not start: {self._stderr()}")

    def _wait_ready(self, port: int) -> bool:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return True
            except OSError:
                time.sleep(0.05)
        return False

    def _stderr(self) -> str:
        return self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""

    @property
    def endpoints(self) -> Endpoints:
        return Endpoints(query=f"{self.url}/query", update=f"{self.url}/update", gsp=f"{self.url}/store")

    def settings(self, **overrides: object) -> Settings:
        values: dict[str, object] = {
            "sparql_endpoint": f"{self.url}/query",
            "update_endpoint": f"{self.url}/update",
            "gsp_endpoint": f"{self.url}/store",
        }
        values.update(overrides)
        return Settings(**values)  # type: ignore[arg-type]

    def clear(self) -> None:
        with SparqlStore(endpoints=self.endpoints) as remote:
            remote.update(update="DROP ALL")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def oxigraph_binary() -> str | None:
    beside = Path(sys.executable).parent / "oxigraph"
    return str(beside) if beside.exists() else shutil.which("oxigraph")


ServerFactory = Callable[..., OxigraphServer]


class ExternalEngine(OxigraphServer):
    """Another SPARQL engine already running, named by ``MLKG_TEST_SPARQL_ENDPOINT`` (with
    ``MLKG_TEST_UPDATE_ENDPOINT``, ``MLKG_TEST_GSP_ENDPOINT``): the remote half of the suite runs on it
    instead of Oxigraph server (run by hand; see the README of bench/). ``clear()`` drops every graph that
    was not there when the session began (an engine's own system graphs stay)."""

    def __init__(self, *, query: str, update: str | None, gsp: str | None) -> None:
        self.url = query
        self._endpoints = Endpoints(query=query, update=update or query, gsp=gsp)
        with SparqlStore(endpoints=self._endpoints) as remote:
            self.baseline = set(remote.graph_names())

    @property
    def endpoints(self) -> Endpoints:
        return self._endpoints

    def settings(self, **overrides: object) -> Settings:
        values: dict[str, object] = {
            "sparql_endpoint": self._endpoints.query,
            "update_endpoint": self._endpoints.update,
            "gsp_endpoint": self._endpoints.gsp,
        }
        values.update(overrides)
        return Settings(**values)  # type: ignore[arg-type]

    def clear(self) -> None:
        with SparqlStore(endpoints=self._endpoints) as remote:
            graphs = [g for g in remote.graph_names() if g not in self.baseline]
            if graphs:
                remote.delete_graphs(graphs=graphs)

    def stop(self) -> None:
        pass
