"""``mlkg import mlflow`` against a real MLflow tracking store and model registry (SQLite, built with MLflow's
own client in a temporary directory): what the graph holds after an import, lineage from the input dataset to
the registered model, and re-imports that write only what changed on the MLflow side."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

import mlkg
from mlkg.catalog import Catalog
from mlkg.cli import app
from mlkg.connectors.mlflow import import_mlflow
from mlkg.connectors.mlflow.mapping import Ignored, run_document
from mlkg.errors import InputError, MissingDependencyError

mlflow = pytest.importorskip("mlflow")

from mlflow import MlflowClient  # noqa: E402
from mlflow.entities import Dataset, DatasetInput, InputTag  # noqa: E402

# MLflow's SQL store still uses a loader strategy SQLAlchemy 2.1 deprecates; that is MLflow's to change.
pytestmark = pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy:DeprecationWarning")

BASE = "http://localhost:8000/id/"
MLKG = "https://w3id.org/mlkg#"
SIGNATURE = (
    "artifact_path: model\nflavors: {}\nsignature:\n"
    '  inputs: \'[{"type": "long", "name": "recency"}]\'\n  outputs: \'[{"type": "double"}]\'\n'
)


@dataclass(frozen=True)
class Built:
    """A tracking store made by MLflow's client, and the ids the tests need."""

    root: Path
    experiment_id: str
    xgb: str  # run ids
    logreg: str
    logged_model: str


def build(root: Path) -> Built:
    """Two experiments, three runs (one deleted), a dataset input, a churn model with two versions (the second
    registered from an MLflow 3 logged model), an alias and a stage transition."""
    uri = f"sqlite:///{root / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    churn = client.create_experiment(
        "churn", artifact_location=(root / "artifacts").as_uri(), tags={"team": "growth"}
    )
    client.set_experiment_tag(churn, "mlflow.note.content", "Predicting churn from RFM features.")
    client.create_experiment("scratch", artifact_location=(root / "scratch").as_uri())
    customers = Dataset(
        name="customers",
        digest="d41d8cd9",
        source_type="http",
        source=json.dumps({"url": "https://data.example.com/customers.parquet"}),
        schema=json.dumps({"mlflow_colspec": [{"type": "long", "name": "recency"}]}),
        profile=json.dumps({"num_rows": 1000}),
    )

    runs = {}
    for name, params, aucs in (
        ("logreg", {"C": "1.0", "penalty": "l2"}, [0.71, 0.74]),
        ("xgb", {"learning_rate": "0.1", "max_depth": "6"}, [0.80, 0.85, 0.88]),
    ):
        run = client.create_run(churn, run_name=name, tags={"owner": "jane"})
        run_id = run.info.run_id
        for key, value in params.items():
            client.log_param(run_id, key, value)
        for step, auc in enumerate(aucs):
            client.log_metric(run_id, "auc", auc, step=step, timestamp=1_700_000_000_000 + step)
        client.log_metric(run_id, "loss", float("nan"))
        client.log_inputs(
            run_id, [DatasetInput(customers, tags=[InputTag("mlflow.data.context", "training")])]
        )
        client.set_terminated(run_id, "FINISHED")
        runs[name] = run_id
    client.log_text(runs["xgb"], SIGNATURE, "model/MLmodel")
    doomed = client.create_run(churn, run_name="doomed").info.run_id
    client.delete_run(doomed)

    logged = client.create_logged_model(
        churn, name="xgb-model", source_run_id=runs["xgb"], params={"learning_rate": "0.1"}
    )
    client.finalize_logged_model(logged.model_id, "READY")

    client.create_registered_model(
        "churn_model", tags={"domain": "customers"}, description="Who will stop buying."
    )
    client.create_model_version(
        "churn_model", source=f"runs:/{runs['logreg']}/model", run_id=runs["logreg"], description="Baseline."
    )
    client.create_model_version(
        "churn_model",
        source=f"runs:/{runs['xgb']}/model",
        run_id=runs["xgb"],
        tags={"validated": "true"},
    )
    client.create_model_version(
        "churn_model", source=f"models:/{logged.model_id}", run_id=runs["xgb"], model_id=logged.model_id
    )
    client.set_registered_model_alias("churn_model", "champion", "2")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # stages are deprecated in MLflow, still in use
        client.transition_model_version_stage("churn_model", "2", "Production")
        client.transition_model_version_stage("churn_model", "1", "Archived")
    return Built(
        root=root, experiment_id=churn, xgb=runs["xgb"], logreg=runs["logreg"], logged_model=logged.model_id
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = tmp_path_factory.mktemp("mlflow")
    with pytest.MonkeyPatch.context() as patch:
        # MLflow's registry finds logged models through the process's tracking URI, not the client's.
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{root / 'mlflow.db'}")
        return build(root)


@pytest.fixture
def tracking(built: Built, tmp_path: Path) -> tuple[Built, str, MlflowClient]:
    """A copy of the built store this test may change, its URI and a client on it."""
    shutil.copy(built.root / "mlflow.db", tmp_path / "mlflow.db")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    return built, uri, MlflowClient(tracking_uri=uri, registry_uri=uri)


@pytest.fixture
def catalog() -> Iterator[Catalog]:
    with mlkg.open(store="memory:") as opened:
        yield opened


def iri(kind: str, fqn: str) -> str:
    return f"{BASE}{kind}/{fqn}"


def values(catalog: Catalog, subject: str, prop: str) -> set[str]:
    rows = catalog.query(f"SELECT DISTINCT ?o WHERE {{ <{subject}> <{MLKG}{prop}> ?o }}").rows
    return {str(row[0]) for row in rows}


def test_import_writes_runs_datasets_models_and_versions(
    tracking: tuple[Built, str, MlflowClient], catalog: Catalog
) -> None:
    built, uri, _ = tracking
    report = import_mlflow(catalog=catalog, tracking_uri=uri)
    assert report.ok, report.rejected
    assert report.read == {
        "experiments": 3,  # churn, scratch and MLflow's Default
        "runs": 2,
        "datasets": 1,
        "registered models": 1,
        "model versions": 3,
    }
    assert report.ignored == {
        "deleted runs": 1,
        "dataset profiles": 1,
        "dataset input contexts (mlflow.data.context)": 2,
        "metric values that are not finite numbers (NaN, infinity)": 2,
    }
    # the service, 3 experiments, the dataset, 2 runs, the model and 3 versions
    assert len(report.written) == 1 + 3 + 1 + 2 + 1 + 3

    experiment = iri("experiment", "mlflow.churn")
    assert values(catalog, experiment, "description") == {"Predicting churn from RFM features."}
    run = iri("run", f"mlflow.churn.{built.xgb}")
    assert values(catalog, run, "name") == {"xgb"}
    assert values(catalog, run, "status") == {"FINISHED"}
    assert values(catalog, run, "experiment") == {experiment}
    assert values(catalog, run, "startTime") and values(catalog, run, "endTime")
    params = catalog.query(
        f"SELECT ?n ?v WHERE {{ <{run}> <{MLKG}hyperParameter> ?p . ?p <{MLKG}name> ?n ; <{MLKG}value> ?v }}"
    ).rows
    assert {(str(n), str(v)) for n, v in params} == {("learning_rate", "0.1"), ("max_depth", "6")}
    history = catalog.query(
        f"""SELECT ?latest ?step ?value WHERE {{ <{run}> <{MLKG}metric> ?m . ?m <{MLKG}name> "auc" ;
        <{MLKG}metricValue> ?latest ; <{MLKG}history> ?p .
        ?p <{MLKG}step> ?step ; <{MLKG}metricValue> ?value ; <{MLKG}timestamp> ?t }} ORDER BY ?step"""
    ).rows
    assert [(int(s.value), float(v.value)) for _, s, v in history] == [(0, 0.80), (1, 0.85), (2, 0.88)]
    assert {float(latest.value) for latest, _, _ in history} == {0.88}
    tags = catalog.query(
        f"SELECT ?n ?v WHERE {{ <{run}> <{MLKG}sourceTag> ?t . ?t <{MLKG}name> ?n ; <{MLKG}value> ?v }}"
    ).rows
    assert ("owner", "jane") in {(str(n), str(v)) for n, v in tags}

    dataset = iri("table", "mlflow.customers.d41d8cd9")
    assert values(catalog, run, "usedDataset") == {dataset}
    assert values(catalog, dataset, "digest") == {"d41d8cd9"}
    assert values(catalog, dataset, "sourceType") == {"http"}
    assert values(catalog, dataset, "sourceUrl") == {"https://data.example.com/customers.parquet"}
    assert json.loads(values(catalog, dataset, "datasetSource").pop()) == {
        "url": "https://data.example.com/customers.parquet"
    }

    model = iri("model", "mlflow.churn_model")
    assert values(catalog, model, "description") == {"Who will stop buying."}
    v1, v2, v3 = (iri("version", f"mlflow.churn_model.{n}") for n in (1, 2, 3))
    assert values(catalog, v2, "stage") == {"Production"}
    assert values(catalog, v1, "stage") == {"Archived"}
    assert values(catalog, v3, "stage") == {"None"}
    assert values(catalog, v2, "alias") == {"champion"}
    assert values(catalog, v1, "alias") == set()
    assert values(catalog, v2, "producedByRun") == {run}
    assert values(catalog, v2, "versionOf") == {model}
    signature = json.loads(values(catalog, v2, "signature").pop())
    assert json.loads(signature["inputs"]) == [{"type": "long", "name": "recency"}]
    logged = catalog.query(
        f"SELECT ?id ?name WHERE {{ <{v3}> <{MLKG}loggedModel> ?l . ?l <{MLKG}externalId> ?id ; "
        f"<{MLKG}name> ?name }}"
    ).rows
    assert [(str(i), str(n)) for i, n in logged] == [(built.logged_model, "xgb-model")]

    # Lineage: the dataset feeds both runs and the versions they produced; a version depends on its run,
    # the run's dataset and its registered model.
    downstream = {str(asset.iri) for asset in catalog.impact(dataset)}
    logreg = iri("run", f"mlflow.churn.{built.logreg}")
    assert downstream == {run, logreg, v1, v2, v3}
    upstream = {str(asset.iri) for asset in catalog.impact(v2, direction="upstream")}
    assert upstream == {run, dataset, model}


def test_reimport_writes_nothing_then_only_what_changed(
    tracking: tuple[Built, str, MlflowClient], catalog: Catalog
) -> None:
    built, uri, client = tracking
    first = import_mlflow(catalog=catalog, tracking_uri=uri)
    again = import_mlflow(catalog=catalog, tracking_uri=uri)
    assert again.written == []
    assert again.unchanged == len(first.written)

    client.log_metric(built.xgb, "auc", 0.9, step=3, timestamp=1_700_000_000_003)
    client.set_registered_model_alias("churn_model", "champion", "3")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        client.transition_model_version_stage("churn_model", "3", "Staging")
    changed = import_mlflow(catalog=catalog, tracking_uri=uri)
    run = iri("run", f"mlflow.churn.{built.xgb}")
    v2, v3 = iri("version", "mlflow.churn_model.2"), iri("version", "mlflow.churn_model.3")
    model = iri("model", "mlflow.churn_model")
    # The registered model's last-updated time moves with its aliases: its document changed too.
    assert {str(e) for e in changed.written} == {run, v2, v3, model}
    assert changed.unchanged == len(first.written) - 4
    assert values(catalog, v3, "alias") == {"champion"} and values(catalog, v2, "alias") == set()
    assert values(catalog, v3, "stage") == {"Staging"}
    points = catalog.query(f"SELECT ?p WHERE {{ <{run}> <{MLKG}metric>/<{MLKG}history> ?p }}").rows
    assert len(points) == 4
    assert import_mlflow(catalog=catalog, tracking_uri=uri).written == []


def test_experiment_option_limits_the_runs(
    tracking: tuple[Built, str, MlflowClient], catalog: Catalog
) -> None:
    _, uri, _ = tracking
    report = import_mlflow(catalog=catalog, tracking_uri=uri, experiments=["scratch"], service="tracking")
    assert report.read["experiments"] == 1 and report.read["runs"] == 0
    # versions still name their runs (in an experiment not imported) by the runs' own experiment
    assert report.read["model versions"] == 3
    assert values(catalog, iri("version", "tracking.churn_model.1"), "producedByRun") == {
        iri("run", f"tracking.churn.{tracking[0].logreg}")
    }
    with pytest.raises(InputError, match="no experiment named 'nope'"):
        import_mlflow(catalog=catalog, tracking_uri=uri, experiments=["nope"])


def test_command_imports_and_reports(tracking: tuple[Built, str, MlflowClient], tmp_path: Path) -> None:
    """The real command, as a user runs it: a JSON report on stdout, a summary and the ignored on stderr."""
    _, uri, _ = tracking
    store = str(tmp_path / "store")
    command = [sys.executable, "-m", "mlkg", "import", "mlflow", "--tracking-uri", uri, "--store", store]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run([*command, "--json"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] and len(report["written"]) == 11 and report["unchanged"] == 0
    assert "mlkg: note: ignored 1 x deleted runs" in done.stderr
    assert "wrote 11 document(s), 0 unchanged, rejected 0" in done.stderr
    again = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert again.returncode == 0 and "wrote 0 document(s), 11 unchanged" in again.stderr

    missing = subprocess.run(
        [*command[:-4], "--tracking-uri", f"sqlite:///{tmp_path / 'nope.db'}", "--store", store],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert missing.returncode == 2
    assert missing.stderr.startswith("mlkg: error: ") and "Traceback" not in missing.stderr
    assert not (tmp_path / "nope.db").exists()


def test_without_mlflow_the_command_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "mlflow", None)  # what `import mlflow` gives where it is not installed
    missing = pytest.raises(MissingDependencyError, match=r"mlkg\[mlflow\]")
    with mlkg.open(store="memory:") as catalog, missing:
        import_mlflow(catalog=catalog, tracking_uri="sqlite:///x.db")
    result = CliRunner().invoke(
        app, ["import", "mlflow", "--tracking-uri", "http://127.0.0.1:1", "--store", "memory:"]
    )
    assert result.exit_code == 1
    assert "install mlkg[mlflow]" in result.stderr


def test_non_finite_metric_values_are_reported_not_written() -> None:
    def metric(step: int, value: float) -> SimpleNamespace:
        return SimpleNamespace(step=step, timestamp=1_700_000_000_000 + step, value=value)

    run = SimpleNamespace(
        info=SimpleNamespace(run_id="r1", run_name="", status="FAILED", start_time=None, end_time=None),
        data=SimpleNamespace(params={}, tags={}, metrics={"loss": math.inf, "auc": 0.5}),
    )
    ignored = Ignored()
    document = run_document(
        service="mlflow",
        experiment="e",
        run=run,
        histories={"auc": [metric(1, 0.5), metric(0, math.nan)]},
        datasets=[],
        ignored=ignored,
    )
    assert document["name"] == "r1"
    assert document["metrics"] == [
        {
            "name": "auc",
            "value": 0.5,
            "history": [{"step": 1, "metricValue": 0.5, "timestamp": 1_700_000_000_001}],
        }
    ]
    assert ignored.to_dict() == {"metric values that are not finite numbers (NaN, infinity)": 2}


def test_command_reports_rejections_and_writes_the_rest(
    tracking: tuple[Built, str, MlflowClient], tmp_path: Path
) -> None:
    """A name mlkg cannot use (an unpaired double quote cannot be in a fully qualified name) rejects that
    experiment and its runs, with where and why; everything else is written, and the command exits 2."""
    _, uri, client = tracking
    odd = client.create_experiment('odd"one', artifact_location=(tmp_path / "odd").as_uri())
    client.set_terminated(client.create_run(odd, run_name="r").info.run_id)
    store = str(tmp_path / "store")
    result = CliRunner().invoke(
        app, ["import", "mlflow", "--tracking-uri", uri, "--store", store, "--json", "--batch-size", "3"]
    )
    assert result.exit_code == 2, result.stderr
    report = json.loads(result.stdout)
    run_id = client.search_runs([odd])[0].info.run_id
    rejected = {r["where"].split("#")[1]: r["message"] for r in report["rejected"]}
    assert rejected.keys() == {f"/experiments/{odd}/fullyQualifiedName", f"/runs/{run_id}/fullyQualifiedName"}
    assert all("unterminated quote" in message for message in rejected.values())
    assert len(report["written"]) == 11
    assert "mlkg: error: mlflow sqlite:///" in result.stderr
    assert "mlkg: note: ignored 2 x dataset input contexts (mlflow.data.context)" in result.stderr
    assert "wrote 11 document(s), 0 unchanged, rejected 2" in result.stderr
