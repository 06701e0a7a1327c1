"""``mlkg import mlflow`` against MLflow's own client reading the same store (issue 16, point 1).

Builds (once; kept in ``--dir``) an MLflow SQLite tracking store and registry with MLflow's client: 1,000 runs
in 10 experiments (5 parameters, 3 metrics of 5 steps each, 3 tags and one of 20 datasets as input each), 100
registered models with 5 versions each (one alias and one stage transition per model). Then measures, in one
process, each once:

1. ``mlflow read``: MLflow's client reading everything the import reads (experiments, runs page by page, each
   metric's history, deleted runs, registered models, versions page by page, the ``MLmodel`` of each
   version's source);
2. ``first import``: ``import_mlflow`` into a fresh on-disk store (read + map + validate + write + reason);
3. ``second import``: the same again, MLflow unchanged: it must write nothing.

The target: 2. at most 3x 1.; 3. writes 0 documents. Run::

    .venv/bin/python bench/mlflow_import.py            # builds bench/out/mlflow-1000 the first time

A breakdown of the first import (reading and mapping alone, parsing, comparing, validating and writing) says
which component sets the floor.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mlkg
from mlkg.connectors.mlflow import import_mlflow
from mlkg.connectors.mlflow.importer import MlflowImportReport, _Walk
from mlkg.connectors.mlflow.mapping import Ignored
from mlkg.connectors.mlflow.reader import MlflowReader

RUNS = 1000
EXPERIMENTS = 10
DATASETS = 20
MODELS = 100
VERSIONS = 5
STEPS = 5


def build(root: Path) -> str:
    """The MLflow store of the module docstring, made with MLflow's client; its URI."""
    from mlflow import MlflowClient
    from mlflow.entities import Dataset, DatasetInput, InputTag, Metric, Param, RunTag

    root.mkdir(parents=True, exist_ok=True)
    uri = f"sqlite:///{root / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiments = [
        client.create_experiment(f"experiment_{e}", artifact_location=(root / f"a{e}").as_uri())
        for e in range(EXPERIMENTS)
    ]
    datasets = [
        Dataset(
            name=f"dataset_{d}",
            digest=f"{d:08x}",
            source_type="http",
            source=json.dumps({"url": f"https://data.example.com/dataset_{d}.parquet"}),
        )
        for d in range(DATASETS)
    ]
    runs: list[str] = []
    started = time.monotonic()
    for r in range(RUNS):
        run = client.create_run(
            experiments[r % EXPERIMENTS], run_name=f"run_{r}", start_time=1_700_000_000_000 + r
        )
        run_id = run.info.run_id
        metrics = [
            Metric(key, 0.5 + (r % 50) / 100 + s / 1000, 1_700_000_000_000 + r * 10 + s, s)
            for key in ("auc", "accuracy", "loss")
            for s in range(STEPS)
        ]
        params = [Param(f"param_{p}", str((r * 7 + p) % 13)) for p in range(5)]
        tags = [RunTag("owner", f"user_{r % 7}"), RunTag("team", f"team_{r % 3}"), RunTag("purpose", "bench")]
        client.log_batch(run_id, metrics=metrics, params=params, tags=tags)
        dataset = datasets[r % DATASETS]
        client.log_inputs(run_id, [DatasetInput(dataset, tags=[InputTag("mlflow.data.context", "training")])])
        client.set_terminated(run_id, "FINISHED", end_time=1_700_000_100_000 + r)
        runs.append(run_id)
    print(f"built {RUNS} runs in {time.monotonic() - started:.0f} s")
    started = time.monotonic()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        for m in range(MODELS):
            name = f"model_{m}"
            client.create_registered_model(
                name, tags={"domain": f"domain_{m % 6}"}, description=f"Model {m}."
            )
            for v in range(VERSIONS):
                run_id = runs[(m * VERSIONS + v) % RUNS]
                client.create_model_version(name, source=f"runs:/{run_id}/model", run_id=run_id)
            client.set_registered_model_alias(name, "champion", str(VERSIONS))
            client.transition_model_version_stage(name, str(VERSIONS), "Production")
    print(f"built {MODELS} registered models x {VERSIONS} versions in {time.monotonic() - started:.0f} s")
    return uri


def mlflow_read(uri: str) -> dict[str, int]:
    """Everything the import reads, with MLflow's client alone."""
    from mlflow import MlflowClient
    from mlflow.entities import ViewType

    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    counts = {"experiments": 0, "runs": 0, "metric histories": 0, "models": 0, "versions": 0}

    def pages(search: Callable[[str | None], Any]) -> list[Any]:
        found: list[Any] = []
        token = None
        while True:
            page = search(token)
            found.extend(page)
            token = page.token
            if not token:
                return found

    experiments = pages(lambda t: client.search_experiments(view_type=ViewType.ALL, page_token=t))
    for experiment in experiments:
        counts["experiments"] += 1
        for run in pages(
            lambda t, e=experiment: client.search_runs([e.experiment_id], max_results=1000, page_token=t)
        ):
            counts["runs"] += 1
            for key in run.data.metrics:
                client.get_metric_history(run.info.run_id, key)
                counts["metric histories"] += 1
        pages(
            lambda t, e=experiment: client.search_runs(
                [e.experiment_id], run_view_type=ViewType.DELETED_ONLY, max_results=1000, page_token=t
            )
        )
    counts["models"] = len(pages(lambda t: client.search_registered_models(max_results=1000, page_token=t)))
    reader = MlflowReader(tracking_uri=uri)  # the same MLmodel look-up as the import, MLflow's download
    for version in pages(lambda t: client.search_model_versions(max_results=1000, page_token=t)):
        counts["versions"] += 1
        reader.signature(model_uri=version.source)
    return counts


def timed(what: str, call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    elapsed = time.perf_counter() - started
    print(f"{what}: {elapsed:.2f} s")
    return elapsed, result


def walk_only(uri: str) -> int:
    """Reading MLflow and mapping to documents, nothing parsed or written: the import's own floor."""
    walk = _Walk(
        reader=MlflowReader(tracking_uri=uri),
        service="mlflow",
        report=MlflowImportReport(),
        ignored=Ignored(),
    )
    return sum(1 for _ in walk.documents(experiments=()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=Path(__file__).parent / "out" / "mlflow-1000")
    args = parser.parse_args()
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    warnings.simplefilter("ignore", DeprecationWarning)
    uri = f"sqlite:///{args.dir / 'mlflow.db'}"
    if not (args.dir / "mlflow.db").is_file():
        uri = build(args.dir)

    read_s, counts = timed("mlflow read (MLflow's client alone)", lambda: mlflow_read(uri))
    print(f"  read {counts}")
    walk_s, documents = timed("  import's read + map, nothing written", lambda: walk_only(uri))
    print(f"  {documents} documents")
    scratch = Path(tempfile.mkdtemp(prefix="mlkg-bench-mlflow-"))
    try:
        with mlkg.open(store=str(scratch / "store")) as catalog:
            first_s, first = timed("first import", lambda: import_mlflow(catalog=catalog, tracking_uri=uri))
            print(
                f"  written {len(first.written)}, unchanged {first.unchanged}, rejected {len(first.rejected)}"
            )
            second_s, second = timed(
                "second import", lambda: import_mlflow(catalog=catalog, tracking_uri=uri)
            )
            print(f"  written {len(second.written)}, unchanged {second.unchanged}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(
        f"first import / mlflow read: {first_s / read_s:.2f}x (target <= 3x); "
        f"second import wrote {len(second.written)} documents (target 0); "
        f"second import / mlflow read: {second_s / read_s:.2f}x"
    )
    print(
        f"of the first import: read + map {walk_s:.1f} s, parse + compare about {second_s - walk_s:.1f} s, "
        f"validate + write + reason about {first_s - second_s:.1f} s"
    )


if __name__ == "__main__":
    main()
