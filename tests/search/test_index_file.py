"""The search index on disk (src/mlkg/search/keeper.py, location.py): beside an on-disk store, rebuilt when it
is missing or the store changed without it, written back by ``mlkg reindex``; and ``mlkg search`` /
``mlkg reindex`` on the command line (exit codes, one-line errors)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import mlkg
from mlkg.cli import app
from mlkg.search.location import INDEX_FILE

DEMO_MODEL = "http://localhost:8000/id/model/mlflow_prod.customer_churn_predictor"
NEW = {
    "type": "table",
    "name": "refunds",
    "fullyQualifiedName": "pg.shop.public.refunds",
    "description": "Money sent back to customers.",
}


def _cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_the_index_lives_beside_the_store_and_survives_reopening(store_dir: str) -> None:
    with mlkg.open(store=store_dir) as catalog:
        catalog.load_demo()
        assert catalog.search("churn").results[0].iri  # built
    assert (Path(store_dir) / INDEX_FILE).is_file()
    with mlkg.open(store=store_dir) as catalog:
        assert [h.iri for h in catalog.search("churn predictor").results][:1] == [DEMO_MODEL]


def test_an_index_behind_the_store_is_rebuilt(store_dir: str, tmp_path: Path) -> None:
    index = Path(store_dir) / INDEX_FILE
    with mlkg.open(store=store_dir) as catalog:
        catalog.load_demo()
        catalog.search("x")
    shutil.copy(index, tmp_path / "old")
    with mlkg.open(store=store_dir) as catalog:
        catalog.load(NEW)
    # the old file (as if another program had written the store since): its recorded size no longer matches
    shutil.copy(tmp_path / "old", index)
    for suffix in ("-wal", "-shm"):
        Path(f"{index}{suffix}").unlink(missing_ok=True)
    with mlkg.open(store=store_dir) as catalog:
        assert [h.name for h in catalog.search("refunds").results] == ["refunds"]


def test_a_process_that_dies_leaves_the_index_to_be_rebuilt(store_dir: str) -> None:
    catalog = mlkg.open(store=store_dir)
    catalog.load_demo()
    catalog.search("x")
    catalog.load(NEW)
    catalog.store.close()  # dies: the index is never closed, so it never vouches for the store
    catalog.access_store.close()  # (the directory's other store, released as a dead process's would be)
    with mlkg.open(store=store_dir) as reopened:
        assert reopened.search_index.index.meta().get("triples") is None
        assert [h.name for h in reopened.search("refunds").results] == ["refunds"]


def test_cli_search_and_reindex(store_dir: str) -> None:
    assert _cli("load", "--quiet", "--store", store_dir, "examples/demo")[0] == 0
    code, out, err = _cli("search", "churn predictor", "--store", store_dir, "--format", "json")
    assert code == 0, err
    answer = json.loads(out)
    assert answer["results"][0]["iri"] == DEMO_MODEL and answer["total"] >= 1
    assert set(answer["results"][0]) >= {
        "iri",
        "type",
        "name",
        "fullyQualifiedName",
        "displayName",
        "description",
        "tags",
        "owners",
        "score",
        "highlights",
    }
    code, out, err = _cli("search", "chur", "--type", "mlmodel", "--store", store_dir)
    assert code == 0 and "mlflow_prod.customer_churn_predictor" in out.splitlines()[1]
    assert "1-1 of 1 entities match (" in err and "model 1" in err
    Path(store_dir, INDEX_FILE).unlink()
    code, out, err = _cli("reindex", "--store", store_dir)
    assert code == 0 and "search index rebuilt" in err, err
    assert Path(store_dir, INDEX_FILE).is_file()
    assert _cli("search", "--store", store_dir, "--owner", "data-science", "--format", "json", "")[0] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--type", "nope"], "unknown entity type 'nope'"),
        (["--limit", "0"], "--limit"),
        (["--format", "xml"], "--format"),
        (["x" * 600], "at most 500"),
    ],
)
def test_cli_bad_input_is_exit_2_with_one_line(store_dir: str, args: list[str], message: str) -> None:
    assert _cli("load", "--quiet", "--store", store_dir, "examples/demo/00-governance.json")[0] == 0
    text = args if args[0].startswith("x") else ["churn", *args]
    code, _, err = _cli("search", "--store", store_dir, *text)
    assert code == 2 and message in err and "Traceback" not in err, err


def test_where_the_index_lives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlkg.config import Settings
    from mlkg.search.location import index_path

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert index_path(settings=Settings(store=str(tmp_path / "s"))) == tmp_path / "s" / INDEX_FILE
    assert index_path(settings=Settings(store="memory:")) is None
    remote = [index_path(settings=Settings(sparql_endpoint=f"http://h{n}/sparql")) for n in (1, 1, 2)]
    assert remote[0] == remote[1] != remote[2]  # one file per endpoint
    assert remote[0] is not None and remote[0].parent == tmp_path / "cache" / "mlkg" / "search"
    chosen = Settings(sparql_endpoint="http://h/sparql", search_index=str(tmp_path / "i.db"))
    assert index_path(settings=chosen) == tmp_path / "i.db"
    assert index_path(settings=Settings(store=str(tmp_path / "s"), search_index="memory:")) is None
