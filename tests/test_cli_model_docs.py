"""A model card from the command line (issue 15, point 5): `mlkg load` of a model document, `mlkg export`, and
`mlkg load` of the export into another store give the same graph; the card is queryable with SPARQL; a card
field of the wrong kind exits 2 with one error line and changes nothing."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from tests.ingest.test_ingest_model_docs import DOCUMENT, MODEL
from tests.test_cli import dump, run
from typer.testing import CliRunner

CARD_QUERY = """PREFIX mlkg: <https://w3id.org/mlkg#>
SELECT ?model ?limitation WHERE { ?model mlkg:modelCard/mlkg:limitation ?limitation }"""


def write(path: Path, document: object) -> str:
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def test_load_export_load_gives_the_same_graph(tmp_path: Path, same_dataset) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    first, second = str(tmp_path / "first"), str(tmp_path / "second")
    assert run(runner, "load", "--store", first, write(tmp_path / "model.json", DOCUMENT)).exit_code == 0
    exported = tmp_path / "export.trig"
    assert (
        run(runner, "export", "--store", first, "--format", "trig", "--output", str(exported)).exit_code == 0
    )
    assert run(runner, "load", "--store", second, str(exported)).exit_code == 0
    assert same_dataset(dump(runner, second), dump(runner, first))

    answer = run(runner, "query", "--store", second, CARD_QUERY, "--format", "json")
    assert answer.exit_code == 0, answer.stderr
    bindings = json.loads(answer.stdout)["results"]["bindings"]
    assert [(b["model"]["value"], b["limitation"]["value"]) for b in bindings] == [
        (str(MODEL), DOCUMENT["modelCard"]["limitations"][0])
    ]


def test_a_card_field_of_the_wrong_kind_exits_2_and_changes_nothing(tmp_path: Path, same_dataset) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    store = str(tmp_path / "store")
    assert run(runner, "load", "--store", store, write(tmp_path / "model.json", DOCUMENT)).exit_code == 0
    before = dump(runner, store)
    bad = copy.deepcopy(DOCUMENT)
    bad["modelCard"]["overview"] = 3.5
    result = run(runner, "load", "--store", store, write(tmp_path / "bad.json", bad))
    assert result.exit_code == 2
    first = result.stderr.splitlines()[0]
    assert first.startswith("mlkg: error: ") and "a model card's overview must be text" in first
    assert same_dataset(dump(runner, store), before)


def test_the_readme_example_loads_and_its_query_answers(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("#### Model cards, signatures, dependencies and custom properties") :]
    document = section[section.index("```json\n") + 8 : section.index("```\n", section.index("```json\n"))]
    query = section[section.index("```sparql\n") + 10 : section.index("```\n", section.index("```sparql\n"))]
    runner = CliRunner()
    store = str(tmp_path / "store")
    path = write(tmp_path / "m.json", json.loads(document))
    assert run(runner, "load", "--store", store, path).exit_code == 0
    answer = run(runner, "query", "--store", store, query, "--format", "csv")
    assert answer.exit_code == 0, answer.stderr
    assert answer.stdout.splitlines()[1:] == [f"{MODEL},Credit risk team"]
