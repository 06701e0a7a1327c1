"""``mlkg load`` streaming: a large generated input with good and bad documents in batches, every input form
(directories, globs, JSON Lines, stdin, ``@graph``), progress on stderr only when it is a terminal."""

from __future__ import annotations

import copy
import json
import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from bench.generate import generate_documents
from typer.testing import CliRunner

from mlkg.cli import app

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run(runner: CliRunner, *args: str, stdin: bytes | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), input=stdin, catch_exceptions=False)


def catalog_with_bad_documents(count_bad: int = 3) -> tuple[list[dict[str, Any]], dict[int, str]]:
    documents = [d.json for d in generate_documents(target_triples=8000, seed=11)]
    bad: dict[int, str] = {}
    models = [i for i, d in enumerate(documents) if d.get("type") == "mlmodel"]
    for index in models[:count_bad]:
        documents[index] = copy.deepcopy(documents[index])
        del documents[index]["algorithm"]
        bad[index] = "validation"
    documents.insert(7, {"type": "nothing-we-know", "name": "x"})
    bad = {(i + 1 if i >= 7 else i): kind for i, kind in bad.items()}
    bad[7] = "parse"
    return documents, bad


def test_a_large_generated_input_in_batches_with_good_and_bad_documents(
    runner: CliRunner, store_dir: str, tmp_path: Path
) -> None:
    documents, bad = catalog_with_bad_documents()
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(documents, indent=1))
    result = run(runner, "load", "--store", store_dir, str(path), "--batch-size", "37", "--json")
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert len(report["accepted"]) == len(documents) - len(bad)
    found = {r["where"]: r["kind"] for r in report["rejected"]}
    expected = {f"{path}#/{i}": k for i, k in bad.items()}
    expected[f"{path}#/7/type"] = expected.pop(f"{path}#/7")  # the pointer names the offending field
    assert found == expected
    # one line per rejection on stderr, and the summary
    assert f"mlkg: loaded {len(documents) - len(bad)} document(s), rejected {len(bad)}" in result.stderr

    exported = run(runner, "export", "--store", store_dir, "--format", "nq", "--asserted-only")
    graphs = {line.rsplit(" ", 2)[-2] for line in exported.stdout.splitlines() if line}
    written = {f"<{a['entity']}>" for a in report["accepted"]}
    assert written <= graphs
    rejected = {f"<{r['entity']}>" for r in report["rejected"] if r["entity"]}
    assert rejected and not rejected & graphs  # a rejected document wrote nothing

    # the inferred graph after the batches is exactly a recompute's
    reason = run(runner, "reason", "--store", store_dir)
    assert reason.exit_code == 0, reason.stderr
    assert "0 triples added, 0 removed" in reason.stderr


def test_directories_globs_json_lines_graph_and_stdin(
    runner: CliRunner, store_dir: str, tmp_path: Path
) -> None:
    documents = [d.json for d in generate_documents(target_triples=3000, seed=4)]
    tree = tmp_path / "in"
    (tree / "deep" / "er").mkdir(parents=True)
    (tree / "a.json").write_text(json.dumps(documents[:10]))
    (tree / "deep" / "b.jsonl").write_text("".join(json.dumps(d) + "\n" for d in documents[10:20]))
    (tree / "deep" / "er" / "c.ndjson").write_text("\n".join(json.dumps(d) for d in documents[20:25]))
    (tree / "deep" / "d.jsonld").write_text(json.dumps({"@graph": documents[25:30]}))
    (tree / "notes.txt").write_text("not loaded: unknown extension inside a directory")

    result = run(runner, "load", "--store", store_dir, str(tree), "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert len(report["accepted"]) == 30
    assert f"{tree / 'deep' / 'b.jsonl'}#/3" in {a["where"] for a in report["accepted"]}
    assert f"{tree / 'deep' / 'd.jsonld'}#/@graph/4" in {a["where"] for a in report["accepted"]}

    result = run(runner, "load", "--store", store_dir, str(tree / "**" / "*.*json"), "--json")
    assert result.exit_code == 0, result.stderr
    assert len(json.loads(result.stdout)["accepted"]) == 15  # b.jsonl and c.ndjson

    lines = "".join(json.dumps(d) + "\n" for d in documents[30:40]).encode()
    result = run(runner, "load", "--store", store_dir, "-", "--format", "jsonl", "--json", stdin=lines)
    assert result.exit_code == 0, result.stderr
    assert [a["where"] for a in json.loads(result.stdout)["accepted"]][:2] == ["<stdin>#/0", "<stdin>#/1"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nothing/*.json"], "nothing/*.json: no file matches the pattern"),
        (["missing.json"], "missing.json: no such file"),
        (["-"], "-: reading stdin ('-') needs --format"),
    ],
)
def test_bad_inputs_are_one_line_and_write_nothing(
    runner: CliRunner, store_dir: str, args: list[str], message: str
) -> None:
    result = run(runner, "load", "--store", store_dir, *args)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [f"mlkg: error: {message}"]
    assert not Path(store_dir).exists()


def _load_on_terminal(tmp_path: Path, *extra: str) -> str:
    """Run ``mlkg load`` in a subprocess whose stderr is a pseudo-terminal; what it wrote there."""
    documents = [d.json for d in generate_documents(target_triples=3000, seed=4)]
    path = tmp_path / "catalog.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in documents))
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "120", "TERM": "xterm"}
    command = [
        sys.executable,
        "-m",
        "mlkg",
        "--store",
        "memory:",
        "load",
        str(path),
        "--batch-size",
        "20",
        *extra,
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=follower, env=env, cwd=ROOT)
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the process is done
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    assert process.wait(timeout=120) == 0
    return output.decode("utf-8", "replace")


def test_progress_shows_on_a_terminal_only(runner: CliRunner, tmp_path: Path) -> None:
    shown = _load_on_terminal(tmp_path)
    assert "documents/s" in shown and "documents" in shown
    assert "mlkg: loaded" in shown

    quiet = _load_on_terminal(tmp_path, "--quiet")
    assert "documents/s" not in quiet and "mlkg: loaded" in quiet

    path = tmp_path / "catalog.jsonl"
    result = run(runner, "load", "--store", "memory:", str(path), "--batch-size", "20")
    assert result.exit_code == 0, result.stderr
    assert "documents/s" not in result.stderr  # not a terminal: no progress
