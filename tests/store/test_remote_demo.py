"""Issue 5, "done when": the demo catalog loaded through mlkg (``mlkg load``) into a remote Oxigraph server
answers the same impact questions as the embedded store, byte for byte after sorting."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import pytest
from rdflib import URIRef
from tests.remote_server import OxigraphServer
from typer.testing import CliRunner

from mlkg.cli import app
from mlkg.config import Settings
from mlkg.queries.catalog import QueryCatalog
from mlkg.store import open_store
from mlkg.store.base import SelectResult, Store
from mlkg.vocab import INFERRED_GRAPH, MLKG, ONTOLOGY_GRAPH

ROOT = Path(__file__).resolve().parents[2]
DEMO = sorted(str(p) for p in (ROOT / "examples" / "demo").glob("*.json"))
CUSTOMERS = "http://localhost:8000/id/table/postgres_prod.ecommerce.public.customers"
KINDS = ["feature", "model", "version", "deployment", "prediction_table", "dashboard", "nothing"]


def remote_options(server: OxigraphServer) -> list[str]:
    endpoints = server.endpoints
    options = ["--sparql-endpoint", endpoints.query, "--update-endpoint", endpoints.update]
    return options + (["--gsp-endpoint", endpoints.gsp] if endpoints.gsp else [])


@pytest.fixture(scope="module")
def loaded(
    fresh_remote: OxigraphServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Store]]:
    """The demo loaded by ``mlkg load`` into an embedded store directory and into a fresh Oxigraph server."""
    runner = CliRunner()
    server = fresh_remote
    directory = str(tmp_path_factory.mktemp("embedded") / "store")
    impact: dict[str, list[str]] = {"downstream": [], "upstream": []}
    start = {"downstream": CUSTOMERS, "upstream": "snowflake.prod.churn_scores"}
    for options in (["--store", directory], remote_options(server)):
        result = runner.invoke(app, [*options, "load", *DEMO], catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
        assert "rejected 0" in result.stderr
        for direction, outputs in impact.items():
            command = [*options, "impact", start[direction], "-d", direction, "--explain", "-f", "json"]
            result = runner.invoke(app, command, catch_exceptions=False)
            assert result.exit_code == 0, result.stderr
            outputs.append(result.stdout)
    with (
        open_store(settings=Settings(store=directory)) as embedded,
        open_store(settings=server.settings()) as remote,
    ):
        yield {"embedded": embedded, "remote": remote, "impact": impact}  # type: ignore[dict-item]


def canonical(result: object) -> bytes:
    """A result set as bytes: one line per row, terms in N-Triples syntax, rows sorted."""
    assert isinstance(result, SelectResult)
    lines = sorted(" ".join("UNDEF" if t is None else t.n3() for t in row) for row in result.rows)
    return ("\t".join(result.variables) + "\n" + "\n".join(lines)).encode("utf-8")


def arguments(store: Store) -> dict[str, list[dict[str, str]]]:
    """Arguments for every parameter of every named query, from the demo itself."""
    entities = [str(g) for g in store.graph_names() if g not in (INFERRED_GRAPH, ONTOLOGY_GRAPH)]
    pairs = [
        {"from": str(o), "to": str(s)}
        for s, _, o, _ in islice(store.quads(predicate=MLKG.upstream, graph=INFERRED_GRAPH), 0, None, 7)
        if isinstance(s, URIRef) and isinstance(o, URIRef)
    ]
    plenty = [{"x": e} for e in entities]
    return {"entities": plenty, "pairs": pairs}


def test_the_inferred_graphs_are_the_same(loaded: dict[str, Store]) -> None:
    embedded, remote = loaded["embedded"], loaded["remote"]
    left = {q[:3] for q in embedded.quads(graph=INFERRED_GRAPH)}
    right = {q[:3] for q in remote.quads(graph=INFERRED_GRAPH)}
    assert left and left == right


def test_every_named_query_gives_the_same_bytes_on_both_backends(loaded: dict[str, Store]) -> None:
    embedded, remote = loaded["embedded"], loaded["remote"]
    sample = arguments(embedded)
    entities = [a["x"] for a in sample["entities"]]
    assert len(entities) > 40 and len(sample["pairs"]) > 20
    compared = nonempty = 0
    for query in QueryCatalog.load():
        names = [p.name for p in query.parameters]
        runs: list[dict[str, str]]
        if names == ["from", "to"]:
            runs = sample["pairs"]
        elif names == ["first", "second"]:
            runs = [{"first": p["from"], "second": p["to"]} for p in sample["pairs"]]
        elif names == ["kind"]:
            runs = [{}] + [{"kind": k} for k in KINDS]
        elif names:
            runs = [{names[0]: e} for e in entities]
        else:
            runs = [{}]
        for args in runs:
            left = canonical(query.run(store=embedded, arguments=args))
            right = canonical(query.run(store=remote, arguments=args))
            assert left == right, (query.name, args)
            compared += 1
            nonempty += left.count(b"\n") > 0
    assert compared > 400 and nonempty > 150


@pytest.mark.parametrize("direction", ["downstream", "upstream"])
def test_mlkg_impact_prints_the_same_on_both_backends(loaded: dict[str, Store], direction: str) -> None:
    embedded, remote = loaded["impact"][direction]  # type: ignore[index]
    assert embedded == remote
    assert len(embedded) > 200
