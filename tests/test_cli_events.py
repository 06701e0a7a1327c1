"""``mlkg subscription add|list|remove`` (:mod:`mlkg.cli_events`): the same subscriptions as
``/subscriptions``, the same allow-list refusal, exit 2 with one line on stderr for bad input."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from mlkg.cli import app
from mlkg.events import SigningKey


def run(*args: str) -> tuple[int, str, str]:
    done = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return done.exit_code, done.stdout, done.stderr


def test_add_list_and_remove_a_subscription(tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    allow = ["--store", store, "--webhook-allow", "https://hooks.example/mlkg"]
    code, out, err = run("subscription", "add", "https://hooks.example/other", *allow)
    assert code == 2 and "allow-list" in err and err.count("\n") == 1 and out == ""
    code, out, err = run("subscription", "add", "https://hooks.example/mlkg/a", *allow, "--type", "nothing")
    assert code == 2 and "unknown entity type" in err
    code, out, _ = run("subscription", "add", "https://hooks.example/mlkg/a", *allow, "--event", "impact")
    assert code == 0
    made = json.loads(out)
    assert made["events"] == ["impact"]
    # the secret shown is the one a server on this store signs with
    key = SigningKey.locate(key_file=None, directory=Path(store), remote=False)
    assert made["secret"] == key.secret(made["id"])
    code, out, _ = run("subscription", "list", "--store", store, "--json")
    assert code == 0 and [s["id"] for s in json.loads(out)["subscriptions"]] == [made["id"]]
    assert "secret" not in out
    assert run("subscription", "remove", made["id"], "--store", store)[0] == 0
    code, _, err = run("subscription", "remove", made["id"], "--store", store)
    assert code == 2 and "no subscription" in err
