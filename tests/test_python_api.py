"""``mlkg.open`` and the :class:`~mlkg.Catalog`, as a Python user drives them (issue 12, point 1)."""

from __future__ import annotations

import doctest
import gc
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
import rdflib
from bench.generate import generate_documents

import mlkg
import mlkg.catalog
from mlkg.reasoning.store import ReasonedStore
from mlkg.store import SelectResult
from mlkg.vocab import INFERRED_GRAPH

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "demo"
CUSTOMERS = "postgres_prod.ecommerce.public.customers"
CHURN = "http://localhost:8000/id/model/mlflow_prod.customer_churn_predictor"


@pytest.fixture(scope="module")
def demo() -> mlkg.Catalog:
    catalog = mlkg.open(store="memory:")
    report = catalog.load(DEMO)
    assert not report.rejected
    return catalog


def test_the_public_names_are_the_catalog_and_the_error_tree() -> None:
    assert set(mlkg.__all__) == {
        "Catalog",
        "open",
        "__version__",
        *(name for name in dir(mlkg.errors) if name.endswith("Error")),
    }
    for name in mlkg.__all__:
        assert getattr(mlkg, name) is not None
    assert all(issubclass(getattr(mlkg, n), mlkg.MlkgError) for n in mlkg.__all__ if n.endswith("Error"))


def test_the_docstring_examples_run() -> None:
    failures, tried = doctest.testmod(mlkg.catalog)
    assert tried > 0
    assert failures == 0


def test_impact_counts_what_the_cli_counts(demo: mlkg.Catalog, tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    files = sorted(str(p) for p in DEMO.glob("*.json"))
    cli = [sys.executable, "-m", "mlkg"]
    assert subprocess.run([*cli, "load", "--store", store, *files], capture_output=True).returncode == 0
    done = subprocess.run(
        [*cli, "impact", CUSTOMERS, "--store", store, "--format", "json"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    count = json.loads(done.stdout)["count"]
    report = demo.impact(CUSTOMERS)
    assert len(report) == count > 0
    assert {a.kind for a in report} >= {"feature", "model", "deployment"}


def test_every_catalog_keeps_the_inferred_graph(tmp_path: Path) -> None:
    """The trap the issue names: impact on a store nobody reasoned over answered 0 and raised nothing."""
    with mlkg.open(store=str(tmp_path / "s")) as catalog:
        assert isinstance(catalog.store, ReasonedStore)
        catalog.load(DEMO / "02-ecommerce-tables.json", DEMO / "10-churn-features.json")
        assert len(catalog.impact(CUSTOMERS)) > 0
        inferred = set(catalog.store.quads(graph=INFERRED_GRAPH))
        catalog.reason()
        assert set(catalog.store.quads(graph=INFERRED_GRAPH)) == inferred


def test_a_read_only_catalog_reads_beside_a_writer_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    with pytest.raises(mlkg.InputError, match="no mlkg store here"):
        mlkg.open(store=str(missing), read_only=True)
    assert not missing.exists()
    path = str(tmp_path / "s")
    with mlkg.open(store=path) as writer:  # holds the directory, as mlkg serve does
        writer.load(DEMO / "02-ecommerce-tables.json", DEMO / "10-churn-features.json")
        with pytest.raises(mlkg.StoreInUseError):
            mlkg.open(store=path)
        with mlkg.open(store=path, read_only=True) as reader:
            assert len(reader.impact(CUSTOMERS)) == len(writer.impact(CUSTOMERS)) > 0
            with pytest.raises(mlkg.StoreError, match="read-only"):
                reader.load({"type": "table", "name": "t", "fullyQualifiedName": "pg.db.s.t"})
            with pytest.raises(mlkg.StoreError, match="read-only"):
                reader.reason()


def test_closing_a_catalog_frees_its_directory_at_once(tmp_path: Path) -> None:
    """Loading parses SPARQL with rdflib, whose backtracking leaves garbage cycles reaching the store: a
    closed catalog must still free the directory before the next garbage collection, for another
    process and for this one."""
    path = str(tmp_path / "s")
    gc.disable()
    try:
        with mlkg.open(store=path) as catalog:
            catalog.load([d.json for d in generate_documents(target_triples=3000, seed=4)][:30])
            catalog.load(DEMO / "02-ecommerce-tables.json", DEMO / "10-churn-features.json")
        other = subprocess.run(
            [sys.executable, "-m", "mlkg", "impact", "--store", path, CUSTOMERS, "--format", "json"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert other.returncode == 0, other.stderr
        with mlkg.open(store=path) as again:
            assert len(again.impact(CUSTOMERS)) > 0
    finally:
        gc.enable()


def test_load_takes_directories_globs_and_parsed_documents(tmp_path: Path) -> None:
    with mlkg.open(store="memory:") as catalog:
        assert len(catalog.load(str(DEMO / "0*.json")).accepted) > 0
        table = {"type": "table", "name": "t", "fullyQualifiedName": "pg.db.s.t"}
        assert (
            len(catalog.load(table, [dict(table, name="t2", fullyQualifiedName="pg.db.s.t2")]).accepted) == 2
        )
        report = catalog.load({"type": "mlmodel", "name": "no algorithm"})
        assert report.rejected and not report.accepted
        with pytest.raises(mlkg.InputError, match="no such file"):
            catalog.load(tmp_path / "missing.json")


def test_names_must_name_one_entity(demo: mlkg.Catalog) -> None:
    with pytest.raises(mlkg.NotFoundError):
        demo.impact("no_such_asset")
    assert len(demo.impact(CHURN, direction="upstream")) > 0


def test_query_update_explain_lineage_export_delete() -> None:
    with mlkg.open(store="memory:") as catalog:
        catalog.load(DEMO)
        result = catalog.query(
            "SELECT ?m WHERE { ?m <https://w3id.org/mlkg#algorithm> ?a }",
        )
        assert isinstance(result, SelectResult)
        assert len(result.rows) >= 4
        hops = catalog.explain(downstream=CHURN, upstream=CUSTOMERS)
        assert hops, "the churn model is downstream of the customers table"
        graph = catalog.lineage(CUSTOMERS, depth=2)
        assert graph.nodes and graph.edges
        trig = catalog.export(format="trig")
        assert trig is not None
        dataset = rdflib.Dataset()
        dataset.parse(data=trig, format="trig")
        assert len(dataset) > 0
        sink = io.BytesIO()
        assert catalog.export(format="nt", entity=CHURN, output=sink) is None
        assert sink.getvalue()
        catalog.update("INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:b> <urn:c> } }")
        assert catalog.query("ASK { <urn:a> <urn:b> <urn:c> }").value  # type: ignore[union-attr]
        with pytest.raises(mlkg.QueryError, match="SERVICE"):
            catalog.query("SELECT * WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }")
        assert catalog.delete(CHURN)
        assert not catalog.store.has_graph(graph=rdflib.URIRef(CHURN))
        assert not catalog.delete(CHURN)  # still named by the documents that refer to it, but gone itself


def test_the_http_app_serves_a_catalog_and_agrees_with_it(demo: mlkg.Catalog) -> None:
    """The app is built on the same front door: what it serves is what the catalog answers."""
    from fastapi.testclient import TestClient

    from mlkg.api import create_app
    from mlkg.config import Settings

    app = create_app(Settings(store="memory:"), demo=True)
    with TestClient(app) as client:
        served = app.state.mlkg.catalog
        assert isinstance(served, mlkg.Catalog)
        assert isinstance(served.store, ReasonedStore)
        answer = client.get(
            "/queries/downstream",
            params={"entity": str(demo.resolve(CUSTOMERS))},
            headers={"accept": "application/sparql-results+json"},
        )
        assert answer.status_code == 200, answer.text
        assets = {row["asset"]["value"] for row in answer.json()["results"]["bindings"]}
        assert (
            assets
            == {str(a.iri) for a in served.impact(CUSTOMERS)}
            == {str(a.iri) for a in demo.impact(CUSTOMERS)}
        )


def test_the_demo_loads_from_python(demo: mlkg.Catalog, tmp_path: Path) -> None:
    with mlkg.open(store="memory:") as catalog:
        report = catalog.load_demo()
        assert not report.rejected
        graphs = demo.query(
            f"SELECT DISTINCT ?g {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{INFERRED_GRAPH}>) "
            # not the version records
            "FILTER NOT EXISTS { GRAPH ?g { ?g a <https://w3id.org/mlkg#EntityVersion> } } }"
        )
        assert isinstance(graphs, SelectResult)
        assert len(report.accepted) == len(graphs.rows)  # one graph per entity document
        assert len(catalog.impact(CUSTOMERS)) == len(demo.impact(CUSTOMERS))
        assert catalog.location is None
    with mlkg.open(store=str(tmp_path / "s")) as catalog:
        assert catalog.location == tmp_path / "s"


def test_every_demo_entity_has_a_json_form_that_reads_back_as_its_graph() -> None:
    """The JSON form PATCH edits is the entity's document: read back unchanged, or uploaded as it is, it is
    the same graph (so neither writes anything), for every entity document of the demo catalog."""
    with mlkg.open(store="memory:") as catalog:
        catalog.load(DEMO)
        entities = catalog.query(
            "PREFIX mlkg: <https://w3id.org/mlkg#> "
            "SELECT DISTINCT ?g { GRAPH ?g { ?g a ?kind FILTER NOT EXISTS { ?g a mlkg:EntityVersion } } }"
        )
        assert isinstance(entities, SelectResult) and len(entities.rows) > 20
        for (graph,) in entities.rows:
            document = catalog.document(str(graph))
            assert document["@id"] == str(graph)
            assert catalog.patch(str(graph), []) is None, graph
            assert not catalog.load(document).rejected, graph  # uploaded as it is: the same graph again
        assert all(len(catalog.versions(str(g))) == 1 for (g,) in entities.rows)
        record = f"{entities.rows[0][0]}/versions/0.1"
        with pytest.raises(mlkg.InputError, match="a version record is never changed"):
            catalog.patch(record, [])
