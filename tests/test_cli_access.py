"""``mlkg principal ...`` and ``mlkg audit`` as a user runs them on an on-disk store (issue 15): the token
printed once and alone, exit code 2 and one line for bad input, and every write a command makes recorded in
the audit with the operating-system user as its agent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

import mlkg
from mlkg.access.audit import os_user
from mlkg.cli import app

DEMO = Path(__file__).resolve().parents[1] / "examples" / "demo"
TABLE = "postgres_prod.ecommerce.public.orders"
TABLE_IRI = f"http://localhost:8000/id/table/{TABLE}"


def run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_principals_are_managed_from_the_command_line(tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    added = run("principal", "add", "alice", "--role", "ml_engineer", "--store", store)
    assert added.exit_code == 0, added.stderr
    token = added.stdout.strip()
    assert token.startswith("mlkg_") and "\n" not in token and token not in added.stderr
    assert run("principal", "list", "--store", store).stdout == "alice\tml_engineer\n"
    assert run("principal", "role", "alice", "viewer", "--store", store).exit_code == 0
    listed = json.loads(run("principal", "list", "--store", store, "--format", "json").stdout)
    assert listed == {"principals": [{"name": "alice", "role": "viewer"}]}
    with mlkg.open(store=store, read_only=True) as catalog:  # the token works, for alice only
        assert catalog.principals.authenticate(token=token, name="alice") is not None
    for args, message in (
        (("principal", "add", "alice", "--role", "viewer"), "exists"),
        (("principal", "add", "bob", "--role", "root"), "unknown role 'root'"),
        (("principal", "add", "b:ob", "--role", "viewer"), "invalid principal name"),
        (("principal", "role", "nobody", "admin"), "no principal named 'nobody'"),
        (("principal", "remove", "nobody"), "no principal named 'nobody'"),
        (("audit", "--since", "last week"), "ISO 8601"),
    ):
        done = run(*args, "--store", store)
        assert done.exit_code == 2, (args, done.stderr)
        assert done.stderr.count("\n") == 1 and message in done.stderr, done.stderr
    assert run("principal", "remove", "alice", "--store", store).exit_code == 0
    assert run("principal", "list", "--store", store).stdout == ""


def test_command_writes_are_audited_with_the_operating_system_user(tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    assert run("load", "--store", store, str(DEMO), "-q").exit_code == 0
    assert run("delete", TABLE, "--store", store).exit_code == 0
    assert run("delete", "no.such.table", "--store", store).exit_code == 2
    done = run("audit", "--store", store, "--format", "json")
    assert done.exit_code == 0, done.stderr
    attempts = json.loads(done.stdout)["attempts"]
    assert [(a["principal"], a["action"], a["outcome"]) for a in attempts] == [
        (os_user(), "mlkg delete", "failed"),
        (os_user(), "mlkg delete", "granted"),
        (os_user(), "mlkg load", "granted"),
    ]
    deleted, loaded = attempts[1], attempts[2]
    assert deleted["permission"] == "delete" and deleted["entities"] == [TABLE_IRI]
    assert deleted["versions"] == [{"entity": TABLE_IRI, "before": "0.1", "after": "0.2"}]
    assert loaded["permission"] == "deploy"  # the demo has versions in Production
    assert TABLE_IRI in loaded["entities"] and len(loaded["entities"]) > 40
    by_entity = run("audit", "--store", store, "--entity", TABLE_IRI, "--format", "json")
    assert [a["action"] for a in json.loads(by_entity.stdout)["attempts"]] == ["mlkg delete", "mlkg load"]
    table = run("audit", "--store", store, "--principal", os_user(), "--limit", "1")
    assert table.stdout.count("\n") == 1 and "mlkg delete\tfailed" in table.stdout
    assert run("audit", "--store", store, "--since", "2999-01-01").stdout == ""
