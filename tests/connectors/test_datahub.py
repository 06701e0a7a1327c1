"""``mlkg load`` of the JSON DataHub's Python emitter writes with its file sink (tests/fixtures/datahub, made
with DataHub's own SDK): detected, mapped and merged like ``POST /aspects``; bad input exits 2."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

import mlkg
from mlkg.cli import app

ESTATE = Path(__file__).resolve().parents[1] / "fixtures" / "datahub" / "ml-estate.json"
ID = "http://localhost:8000/id/"


def test_mlkg_load_takes_a_datahub_file_sink_file_with_the_demo(tmp_path: Path) -> None:
    store = tmp_path / "store"
    demo = Path(__file__).resolve().parents[2] / "examples" / "demo"
    arguments = ["load", "--store", str(store), str(demo), str(ESTATE)]
    result = CliRunner().invoke(app, [*arguments, "--datahub-platform", "snowflake=snowflake_prod"])
    assert result.exit_code == 0, result.output
    assert "aspect 'globalTags' of mlModel is not used" in result.stderr
    with mlkg.open(store=str(store), read_only=True) as catalog:
        affected = catalog.impact("snowflake_prod.shop.public.orders.amount")
        assert {str(a.iri) for a in affected} == {
            f"{ID}column/snowflake_prod.shop.public.customer_spend.spend_30d"
        }
        assert len(catalog.impact("snowflake_prod.shop.public.orders")) == 11
    reasoned = CliRunner().invoke(app, ["reason", "--store", str(store)])
    assert reasoned.exit_code == 0 and "0 triples added, 0 removed" in reasoned.stderr


def test_a_bad_proposal_exits_2_and_the_others_are_loaded(tmp_path: Path) -> None:
    items = json.loads(ESTATE.read_text(encoding="utf-8"))
    items[3]["aspect"]["json"]["upstreams"][0]["dataset"] = "orders"
    bad = tmp_path / "mcps.json"
    bad.write_text(json.dumps(items), encoding="utf-8")
    store = tmp_path / "store"
    result = CliRunner().invoke(app, ["load", "--store", str(store), str(bad)])
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert errors == [
        f"mlkg: error: {bad}#/3/aspect/json/upstreams/0/dataset: 'orders' is not a DataHub URN "
        "(urn:li:<entityType>:<key>)"
    ]
    with mlkg.open(store=str(store), read_only=True) as catalog:
        spend = f"{ID}table/snowflake.shop.public.customer_spend"
        assert not catalog.query(f"ASK {{ <{spend}> <https://w3id.org/mlkg#tableDerivedFrom> ?t }}").value
        assert catalog.query(f"ASK {{ <{ID}model/mlflow.churn_v3> ?p ?o }}").value


def test_a_bad_platform_mapping_is_bad_usage(tmp_path: Path) -> None:
    store = tmp_path / "store"
    result = CliRunner().invoke(
        app, ["load", "--store", str(store), str(ESTATE), "--datahub-platform", "snowflake"]
    )
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "mlkg: error: --datahub-platform: 'snowflake' is not PLATFORM[,ENV]=SERVICE"
    ]
    assert not store.exists() or not any(store.iterdir())
