"""``mlkg history``, ``diff``, ``restore``, ``delete`` and ``impact --as-of`` as a user runs them on an
on-disk store (issue 14): JSON exactly as the HTTP route answers, exit code 2 and one line for bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mlkg.cli import app

MODEL = "mlflow_prod.customer_churn_predictor"
IRI = f"http://localhost:8000/id/model/{MODEL}"
DEMO = Path(__file__).resolve().parents[1] / "examples" / "demo"
CUSTOMERS = "postgres_prod.ecommerce.public.customers"


def run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def demo_store(tmp_path: Path) -> str:
    folder = str(tmp_path / "store")
    assert run("load", "--store", folder, str(DEMO), "-q").exit_code == 0
    return folder


def changed_model(tmp_path: Path, **fields: Any) -> str:
    documents = json.loads((DEMO / "11-churn-model.json").read_text())
    documents[0].update(fields)
    path = tmp_path / "model.json"
    path.write_text(json.dumps(documents))
    return str(path)


def models_downstream(store: str, *extra: str) -> int:
    done = run("impact", CUSTOMERS, "--store", store, "--format", "json", *extra)
    assert done.exit_code == 0, done.stderr
    return sum(1 for a in json.loads(done.stdout)["assets"] if a["kind"] == "model")


def test_history_diff_delete_restore_and_as_of(demo_store: str, tmp_path: Path) -> None:
    assert run("load", "--store", demo_store, str(DEMO), "-q").exit_code == 0  # identical: no version
    lightgbm = changed_model(tmp_path, algorithm="LightGBM")
    assert run("load", "--store", demo_store, lightgbm, "-q").exit_code == 0
    shown = run("history", MODEL, "--store", demo_store, "--format", "json")
    assert shown.exit_code == 0, shown.stderr
    history = json.loads(shown.stdout)
    assert history["entity"] == IRI
    assert [(v["version"], v["changeType"]) for v in history["versions"]] == [
        ("1.1", "major"),
        ("0.1", "created"),
    ]
    created = history["versions"][1]["updatedAt"]

    table = run("history", MODEL, "--store", demo_store)
    assert "~algorithm" in table.stdout and "major" in table.stdout
    diff = run("diff", MODEL, "0.1", "1.1", "--store", demo_store)
    assert diff.stdout.strip() == "~ algorithm: XGBoost -> LightGBM"

    before = models_downstream(demo_store)
    deleted = run("delete", MODEL, "--store", demo_store)
    assert deleted.exit_code == 0 and "restore" in deleted.stderr
    assert models_downstream(demo_store) == before - 1
    assert models_downstream(demo_store, "--as-of", created) == before  # the catalog as it was

    restored = run("restore", IRI, "0.1", "--store", demo_store)
    assert restored.exit_code == 0, restored.stderr
    assert "as version 2.2" in restored.stderr
    assert models_downstream(demo_store) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("diff", MODEL, "0.1", "latest"), "is not a version number"),
        (("diff", MODEL, "0.1", "9.9"), "has no version 9.9"),
        (("history", "no_such_model"), "no entity named"),
        (("impact", CUSTOMERS, "--as-of", "last tuesday"), "ISO 8601"),
    ],
)
def test_bad_input_is_exit_2_and_one_line(demo_store: str, args: tuple[str, ...], message: str) -> None:
    done = run(*args, "--store", demo_store)
    assert done.exit_code == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_document_and_patch(demo_store: str, tmp_path: Path) -> None:
    shown = run("document", MODEL, "--store", demo_store)
    assert shown.exit_code == 0, shown.stderr
    document = json.loads(shown.stdout)
    assert document["@id"] == IRI and document["algorithm"] == "XGBoost"

    patch = tmp_path / "patch.json"
    patch.write_text(json.dumps([{"op": "replace", "path": "/algorithm", "value": "LightGBM"}]))
    done = run("patch", MODEL, str(patch), "--store", demo_store, "--if-version", "0.1")
    assert done.exit_code == 0, done.stderr
    assert "version 1.1" in done.stderr  # the algorithm: a major change
    assert json.loads(run("document", MODEL, "--store", demo_store).stdout)["algorithm"] == "LightGBM"

    stale = run("patch", MODEL, str(patch), "--store", demo_store, "--if-version", "0.1")
    assert stale.exit_code == 2 and "at version 1.1, not 0.1" in stale.stderr
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps([{"op": "remove", "path": "/algorithm"}]))
    refused = run("patch", MODEL, str(broken), "--store", demo_store)
    assert refused.exit_code == 2 and refused.stderr.startswith("mlkg: error:"), refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    notjson = tmp_path / "not.json"
    notjson.write_text("[{")
    assert run("patch", MODEL, str(notjson), "--store", demo_store).exit_code == 2
    notjson.write_text("[" * 100_000 + "]" * 100_000)
    deep = run("patch", MODEL, str(notjson), "--store", demo_store)
    assert deep.exit_code == 2 and "nested more than 64 levels" in deep.stderr
    assert run("patch", MODEL, str(tmp_path / "missing.json"), "--store", demo_store).exit_code == 2
    history = json.loads(run("history", MODEL, "--store", demo_store, "--format", "json").stdout)
    assert [v["version"] for v in history["versions"]] == ["1.1", "0.1"]
