"""The ``mlkg`` command as a user runs it: exit codes, one-line errors, data on stdout, the store untouched on
bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import rdflib
from typer.testing import CliRunner

from mlkg.cli import app, main

ROOT = Path(__file__).resolve().parents[1]
DEMO = sorted(str(p) for p in (ROOT / "examples" / "demo").glob("*.json"))
CHURN = "http://localhost:8000/id/model/mlflow_prod.customer_churn_predictor"
COLUMN = "http://localhost:8000/id/column/postgres_prod.ecommerce.public.customers.last_purchase_date"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run(runner: CliRunner, *args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), input=stdin, catch_exceptions=False)


def dump(runner: CliRunner, store_dir: str) -> rdflib.Dataset:
    result = run(runner, "export", "--store", store_dir, "--format", "nq", "--asserted-only")
    assert result.exit_code == 0, result.stderr
    dataset = rdflib.Dataset()
    dataset.parse(data=result.stdout, format="nquads")
    return dataset


def test_load_demo_then_query_feature_sources(runner: CliRunner, store_dir: str) -> None:
    result = run(runner, "load", "--store", store_dir, *DEMO)
    assert result.exit_code == 0, result.stderr
    assert "rejected 0" in result.stderr
    query = (ROOT / "examples" / "queries" / "churn-feature-sources.rq").read_text()
    result = run(runner, "query", query, "--store", store_dir, "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)["results"]["bindings"]
    # A column referenced from several documents is stated in each of their graphs; the answer must still be
    # three rows, not one per copy (regression: the quick start printed 54 rows).
    assert len(rows) == 3
    pairs = {(r["featureName"]["value"], r["column"]["value"].rsplit("/", 1)[1]) for r in rows}
    assert pairs == {
        ("recency", "postgres_prod.ecommerce.public.customers.last_purchase_date"),
        ("frequency", "postgres_prod.ecommerce.public.orders.count_30d"),
        ("monetary", "postgres_prod.ecommerce.public.orders.total_amount_30d"),
    }


def test_store_option_before_subcommand_and_from_environment(
    runner: CliRunner, store_dir: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(runner, "--store", store_dir, "load", *DEMO).exit_code == 0
    monkeypatch.setenv("MLKG_STORE", store_dir)
    result = run(runner, "query", f"ASK {{ <{CHURN}> ?p ?o }}")
    assert result.exit_code == 0
    assert result.stdout.strip() == "true"


def test_query_formats(runner: CliRunner, store_dir: str) -> None:
    assert run(runner, "load", "--store", store_dir, *DEMO).exit_code == 0
    select = f"SELECT ?name WHERE {{ <{CHURN}> <https://w3id.org/mlkg#name> ?name }}"
    csv_out = run(runner, "query", select, "--store", store_dir, "--format", "csv")
    assert csv_out.stdout_bytes == b"name\r\ncustomer_churn_predictor\r\n"
    tsv_out = run(runner, "query", select, "--store", store_dir, "--format", "tsv")
    assert tsv_out.stdout.splitlines() == ["?name", '"customer_churn_predictor"']
    table = run(runner, "query", select, "--store", store_dir)
    assert "customer_churn_predictor" in table.stdout and "(1 row)" in table.stdout
    construct = f"CONSTRUCT {{ <{CHURN}> ?p ?o }} WHERE {{ <{CHURN}> ?p ?o }}"
    ttl = run(runner, "query", construct, "--store", store_dir, "--format", "ttl")
    assert ttl.exit_code == 0
    graph = rdflib.Graph().parse(data=ttl.stdout, format="turtle")
    assert (rdflib.URIRef(CHURN), None, None) in graph


@pytest.mark.parametrize(
    ("make_input", "message"),
    [
        (lambda d: d.joinpath("bad.json").write_text('{"name": "x",'), "bad.json"),
        (lambda d: d.joinpath("empty.json").write_text(""), "empty"),
        (lambda d: d.joinpath("model.yaml").write_text("name: x"), "yaml"),
        (
            lambda d: d.joinpath("remote.jsonld").write_text(
                json.dumps({"@context": "https://example.org/ctx.jsonld", "name": "x"})
            ),
            "https://example.org/ctx.jsonld",
        ),
        (
            lambda d: d.joinpath("noalgo.json").write_text(
                json.dumps({"type": "mlmodel", "name": "m", "fullyQualifiedName": "svc.m"})
            ),
            "algorithm",
        ),
    ],
    ids=["malformed-json", "empty-file", "unsupported-format", "remote-context", "shacl-violation"],
)
def test_bad_input_exits_2_and_changes_nothing(
    runner: CliRunner,
    store_dir: str,
    tmp_path: Path,
    make_input,
    message: str,
    same_dataset,  # type: ignore[no-untyped-def]
) -> None:
    assert run(runner, "load", "--store", store_dir, *DEMO).exit_code == 0
    before = dump(runner, store_dir)
    make_input(tmp_path)
    bad = next(p for p in tmp_path.iterdir() if p.is_file())
    result = run(runner, "load", "--store", store_dir, str(bad))
    assert result.exit_code == 2
    assert message in result.stderr
    assert same_dataset(dump(runner, store_dir), before)


def test_missing_file_is_bad_input(runner: CliRunner, store_dir: str) -> None:
    result = run(runner, "load", "--store", store_dir, "no/such/file.json")
    assert result.exit_code == 2
    assert result.stderr.strip() == "mlkg: error: no/such/file.json: no such file"


def test_batch_with_one_bad_document_stores_the_good_ones(
    runner: CliRunner, store_dir: str, tmp_path: Path
) -> None:
    docs = [
        {"type": "table", "name": "good", "fullyQualifiedName": "db.good"},
        {"type": "mlmodel", "name": "no_algorithm", "fullyQualifiedName": "svc.no_algorithm"},
    ]
    path = tmp_path / "batch.json"
    path.write_text(json.dumps(docs))
    result = run(runner, "load", "--store", store_dir, str(path))
    assert result.exit_code == 2
    assert "batch.json#/1" in result.stderr
    ask = run(runner, "query", "ASK { <http://localhost:8000/id/table/db.good> ?p ?o }", "--store", store_dir)
    assert ask.stdout.strip() == "true"
    ask = run(
        runner,
        "query",
        "ASK { <http://localhost:8000/id/model/svc.no_algorithm> ?p ?o }",
        "--store",
        store_dir,
    )
    assert ask.stdout.strip() == "false"


def test_validate_writes_nothing(runner: CliRunner, store_dir: str) -> None:
    result = run(runner, "--store", store_dir, "validate", *DEMO)
    assert result.exit_code == 0, result.stderr
    assert not Path(store_dir).exists() or len(dump(runner, store_dir)) == 0


def test_malformed_query_is_bad_input(runner: CliRunner, store_dir: str) -> None:
    result = run(runner, "query", "SELECT WHERE {", "--store", store_dir)
    assert result.exit_code == 2
    assert result.stderr.startswith("mlkg: error:")
    assert len(result.stderr.strip().splitlines()) == 1


def test_export_entity_and_load_back(runner: CliRunner, store_dir: str, tmp_path: Path, same_dataset) -> None:  # type: ignore[no-untyped-def]
    assert run(runner, "load", "--store", store_dir, *DEMO).exit_code == 0
    out = tmp_path / "export.trig"
    result = run(runner, "export", "--store", store_dir, "--format", "trig", "--output", str(out))
    assert result.exit_code == 0
    other = str(tmp_path / "other")
    assert run(runner, "load", "--store", other, str(out)).exit_code == 0
    assert same_dataset(dump(runner, other), dump(runner, store_dir))
    entity = run(runner, "export", "--store", store_dir, "--format", "ttl", "--entity", CHURN)
    graph = rdflib.Graph().parse(data=entity.stdout, format="turtle")
    assert (rdflib.URIRef(CHURN), None, None) in graph
    missing = run(runner, "export", "--store", store_dir, "--entity", "http://localhost:8000/id/model/nope")
    assert missing.exit_code == 2 and "no entity" in missing.stderr  # an unknown entity is bad input
    by_name = run(runner, "export", "--store", store_dir, "-f", "ttl", "--entity", "customer_churn_predictor")
    assert by_name.exit_code == 0 and by_name.stdout == entity.stdout  # one resolver: names work too


def test_python_dash_m_and_stdin(tmp_path: Path) -> None:
    doc = json.dumps({"type": "table", "name": "t", "fullyQualifiedName": "db.t"})
    store = str(tmp_path / "s")
    done = subprocess.run(
        [sys.executable, "-m", "mlkg", "load", "-", "--format", "json", "--store", store],
        input=doc,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mlkg",
            "query",
            "SELECT ?n WHERE { ?t <https://w3id.org/mlkg#name> ?n }",
            "--store",
            store,
            "--format",
            "csv",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.stdout.splitlines() == ["n", "t"]


def test_impact_lists_what_a_table_change_affects_with_paths(runner: CliRunner, store_dir: str) -> None:
    assert run(runner, "load", "--store", store_dir, *DEMO).exit_code == 0
    table = "postgres_prod.ecommerce.public.customers"
    result = run(runner, "impact", table, "--store", store_dir)
    assert result.exit_code == 0, result.stderr
    for expected in (
        "snowflake.prod.customer_features",
        "mlflow_prod.customer_churn_predictor.recency",
        "mlflow_prod.customer_churn_predictor.v3",
        "mlflow_prod.churn_batch_scoring",
        "prediction_table (2)",
        "snowflake.prod.churn_scores",
    ):
        assert expected in result.stdout
    explained = json.loads(
        run(runner, "impact", table, "--explain", "-f", "json", "--store", store_dir).stdout
    )
    assert explained["by_kind"]["version"] == 3
    assert all(asset["path"] for asset in explained["assets"])
    upstream = json.loads(
        run(
            runner,
            "impact",
            "snowflake.prod.churn_scores",
            "-d",
            "upstream",
            "-f",
            "json",
            "--store",
            store_dir,
        ).stdout
    )
    assert {a["name"] for a in upstream["assets"] if a["kind"] == "column"} == {
        "postgres_prod.ecommerce.public.customers.last_purchase_date",
        "postgres_prod.ecommerce.public.orders.count_30d",
        "postgres_prod.ecommerce.public.orders.total_amount_30d",
    }
    # an unknown entity is bad input (README: exit 2), one line, no traceback
    missing = run(runner, "impact", "no_such_table", "--store", store_dir)
    assert missing.exit_code == 2 and "no entity named 'no_such_table'" in missing.stderr
    assert missing.stderr.count("\n") == 1


def test_reason_recomputes_the_same_inferred_graph(runner: CliRunner, store_dir: str) -> None:
    assert run(runner, "load", "--store", store_dir, *DEMO).exit_code == 0
    query = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://w3id.org/mlkg/graph/inferred> { ?s ?p ?o } }"
    before = run(runner, "query", query, "--store", store_dir, "-f", "csv").stdout
    result = run(runner, "reason", "--store", store_dir)
    assert result.exit_code == 0 and "inferred" in result.stderr
    # the stored inferred graph was already right: nothing is written, and the message says so
    assert "0 triples added, 0 removed" in result.stderr
    assert run(runner, "query", query, "--store", store_dir, "-f", "csv").stdout == before
    assert int(before.split()[-1]) > 1000


def test_an_rdf_file_over_the_size_limit_is_refused_with_its_real_size(
    runner: CliRunner, store_dir: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLKG_MAX_DOCUMENT_BYTES", "100")
    big = tmp_path / "big.ttl"
    big.write_text("".join(f"<urn:x:{i}> <urn:x:p> {i} .\n" for i in range(20)))
    result = run(runner, "load", "--store", store_dir, str(big))
    assert result.exit_code == 2
    assert f"file is {big.stat().st_size} bytes, more than the limit of 100 bytes" in result.stderr


def test_the_size_limit_applies_to_each_streamed_json_document(
    runner: CliRunner, store_dir: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLKG_MAX_DOCUMENT_BYTES", "100")
    tables = [{"type": "table", "name": f"t{i}", "fullyQualifiedName": f"db.t{i}"} for i in range(20)]
    big = tmp_path / "big.json"
    big.write_text(json.dumps(tables))
    assert big.stat().st_size > 100
    result = run(runner, "load", "--store", store_dir, str(big), "--json")
    assert result.exit_code == 0, result.stderr
    assert len(json.loads(result.stdout)["accepted"]) == 20

    tables[3]["description"] = "x" * 200
    lines = tmp_path / "big.ndjson"
    lines.write_text("".join(json.dumps(t) + "\n" for t in tables))
    result = run(runner, "load", "--store", store_dir, str(lines), "--json")
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert len(report["accepted"]) == 19
    [rejected] = report["rejected"]
    assert (rejected["where"], rejected["kind"]) == (f"{lines}#/3", "too_large")


def test_every_store_option_works_after_the_subcommand(
    store_dir: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression: only the options a command declared itself were accepted after its name
    (docs/architecture.md says
    store options may come before or after the sub-command); typer parses them in both places, through
    ``main(argv)`` as given (no argument rewriting)."""
    with pytest.raises(SystemExit) as exited:
        main(["load", "--quiet", *DEMO[:2], "--base-iri", "http://x.org/id/", "--store", store_dir])
    assert exited.value.code == 0
    with pytest.raises(SystemExit) as exited:
        main(
            [
                "export",
                "--format",
                "nt",
                "--sparql-user",
                "someone",
                "--update-endpoint=http://unused.example/",
                "--store",
                store_dir,
            ]
        )
    assert exited.value.code == 0
    assert "<http://x.org/id/" in capsys.readouterr().out  # --base-iri after the command took effect
    # given before and after, the one after the command wins
    with pytest.raises(SystemExit) as exited:
        main(["--store", "/nonexistent/mlkg", "query", "ASK {}", "--store", store_dir, "-f", "json"])
    assert exited.value.code == 0
    # '--' ends the options: what follows is an argument, never a store option
    with pytest.raises(SystemExit) as exited:
        main(["--store", store_dir, "impact", "--", "--store"])
    assert exited.value.code == 2
    assert "no entity named '--store'" in capsys.readouterr().err


def test_help_shows_flags_as_flags_and_keeps_the_variable_notes(runner: CliRunner) -> None:
    """Regression (issue 13.5): flags were shown as taking a <bool>, and rich markup ate '[env ...]'."""
    root = " ".join(run(runner, "--help").stdout.split())  # lines wrap with the terminal's width
    assert "(env MLKG_STORE)" in root and "'memory:' ." not in root
    impact = run(runner, "impact", "--help").stdout
    assert "<bool>" not in impact
    assert " --explain " in impact


def test_an_ill_typed_metric_is_reported_once_without_rdflib_traceback(tmp_path: Path) -> None:
    """Regression (issue 13.5): rdflib's 'Failed to convert Literal lexical form' traceback came first."""
    model = {
        "type": "mlmodel",
        "name": "m1",
        "fullyQualifiedName": "svc.m1",
        "algorithm": "XGBoost",
        "metrics": [{"name": "auc", "value": "high"}],
    }
    path = tmp_path / "m.json"
    path.write_text(json.dumps(model))
    done = subprocess.run(
        [sys.executable, "-m", "mlkg", "load", str(path), "--store", str(tmp_path / "s")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "a metric value must be a number" in done.stderr
    assert "Traceback" not in done.stderr and "Failed to convert" not in done.stderr


def test_lineage_and_explain_name_entities_as_impact_does(runner: CliRunner, store_dir: str) -> None:
    assert run(runner, "load", "--store", store_dir, *DEMO).exit_code == 0
    graph = json.loads(
        run(runner, "lineage", "customer_churn_predictor", "-d", "upstream", "--store", store_dir).stdout
    )
    assert graph["entity"] == CHURN
    assert COLUMN in {node["id"] for node in graph["nodes"]}
    column = "postgres_prod.ecommerce.public.customers.last_purchase_date"
    hops = json.loads(run(runner, "explain", CHURN, column, "--json", "--store", store_dir).stdout)
    assert hops[0]["from"] == COLUMN and hops[-1]["to"] == CHURN
    backwards = run(runner, "explain", column, "customer_churn_predictor", "--store", store_dir)
    assert backwards.exit_code == 1 and "no data flows" in backwards.stderr
    assert run(runner, "lineage", "customers", "--store", store_dir).exit_code == 2  # ambiguous
