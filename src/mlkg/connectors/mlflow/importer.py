"""``mlkg import mlflow``: read an MLflow tracking store and model registry, map what it holds to mlkg
documents (:mod:`.mapping`) and write the documents that changed through the catalog's one write path.

Order: the service, each experiment followed by its runs (a run's input datasets just before it), then the
registered models and their versions; documents are written ``batch_size`` at a time, so every reference
names an entity of the same batch, of an earlier one, or already stored (README, "Loading a large catalog").

Incremental and idempotent by comparison, not by watermark (:mod:`mlkg.connectors.changes`): everything is
read and mapped each time, and a document is written only if its entity's stored graph differs. MLflow gives
no change time for a run (metrics and tags may be logged after it ends), so reading everything is what an
exact import needs anyway; what is saved is every write, with its validation, reasoning, history version
and audit record. Entities deleted in MLflow are left in mlkg (counted among the ignored).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Any

from rdflib import URIRef

from mlkg.connectors.changes import changed_documents
from mlkg.connectors.mlflow import mapping
from mlkg.connectors.mlflow.reader import MlflowReader
from mlkg.errors import InputError
from mlkg.ingest import IngestReport, Notice, ParseOutcome, Rejected
from mlkg.ingest.ingestor import DEFAULT_BATCH_SIZE
from mlkg.ingest.normalize import json_pointer

if TYPE_CHECKING:
    from mlkg.catalog import Catalog

__all__ = ["MlflowImportReport", "import_mlflow"]

#: A document to write, with its JSON pointer in the import's report (``/runs/<run id>``, ...).
Located = tuple[str, dict[str, Any]]


@dataclass
class MlflowImportReport:
    """What an import read, wrote, found unchanged, had rejected, and ignored."""

    #: MLflow objects read, by kind (experiments, runs, datasets, registered models, model versions).
    read: Counter[str] = field(default_factory=Counter)
    #: The entities written (their documents differed from what the store held, or were new).
    written: list[URIRef] = field(default_factory=list)
    #: How many documents were not written because the store already held them as they are.
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    #: What was read but has no place in the graph, with how many times it was met.
    ignored: Counter[str] = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return not self.rejected

    def add(self, report: IngestReport) -> None:
        self.written.extend(report.entities)
        self.rejected.extend(report.rejected)
        self.notices.extend(report.notices)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``mlkg import mlflow --json``)."""
        return {
            "ok": self.ok,
            "read": dict(sorted(self.read.items())),
            "written": [str(e) for e in self.written],
            "unchanged": self.unchanged,
            "rejected": [r.to_dict() for r in self.rejected],
            "notices": [n.to_dict() for n in self.notices],
            "ignored": dict(sorted(self.ignored.items())),
        }


#: Called after each written batch with the report so far (progress on a terminal).
Progress = Callable[[MlflowImportReport], None]


def import_mlflow(
    *,
    catalog: Catalog,
    tracking_uri: str,
    registry_uri: str | None = None,
    experiments: Sequence[str] = (),
    service: str = "mlflow",
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    reader: MlflowReader | None = None,
) -> MlflowImportReport:
    """Import an MLflow tracking store and model registry into ``catalog`` (see the module docstring).

    ``experiments`` limits the runs read to those experiments (every registered model and version is read
    whatever it is); ``service`` is the name of the model service the entities belong to and the first
    segment of their fully qualified names (:mod:`.mapping`). Documents MLflow's data makes invalid are
    rejected and reported, as in an upload; the others are written.

    :raises MissingDependencyError: if MLflow's client is not installed (the ``mlflow`` extra).
    :raises InputError: if MLflow does not take a URI, an experiment named does not exist, ``service`` is
        not a valid name or ``batch_size`` is not positive.
    :raises SourceError: if MLflow fails while it is read.
    :raises StoreError: if the store fails (the batches before were written).
    """
    if batch_size <= 0:
        raise InputError(f"the batch size must be positive, not {batch_size}", where="--batch-size")
    if not service.strip() or "." in service or '"' in service:
        raise InputError(f"the service name must be one non-empty name without dots, not {service!r}")
    source = reader or MlflowReader(tracking_uri=tracking_uri, registry_uri=registry_uri)
    report = MlflowImportReport()
    ignored = mapping.Ignored()
    walk = _Walk(reader=source, service=service, report=report, ignored=ignored)
    name = f"mlflow {tracking_uri}"
    documents = walk.documents(experiments=experiments)
    while batch := list(islice(documents, batch_size)):
        _write(catalog=catalog, name=name, batch=batch, report=report)
        if progress is not None:
            progress(report)
    report.ignored.update(ignored.counts)
    return report


def _write(*, catalog: Catalog, name: str, batch: Iterable[Located], report: MlflowImportReport) -> None:
    parsed = ParseOutcome()
    for outcome in catalog.ingestor.parse_values(name=name, values=batch):
        parsed.extend(outcome)
    changed, unchanged = changed_documents(store=catalog.store, outcome=parsed)
    report.unchanged += len(unchanged)
    if not (changed.documents or changed.rejected or changed.notices):
        return
    for written in catalog.load_stream([changed], batch_size=max(1, len(changed.documents))):
        report.add(written)


class _Walk:
    """Reads MLflow in the order of the module docstring and yields the mapped documents."""

    def __init__(
        self, *, reader: MlflowReader, service: str, report: MlflowImportReport, ignored: mapping.Ignored
    ) -> None:
        self._reader = reader
        self._service = service
        self._report = report
        self._ignored = ignored
        self._datasets: set[str] = set()
        self._runs: dict[str, str | None] = {}  # run id -> fully qualified name (None: not in MLflow)
        self._experiment_names: dict[str, str | None] = {}

    def documents(self, *, experiments: Sequence[str]) -> Iterator[Located]:
        service = self._service
        yield "/service", mapping.service_document(service=service, tracking_uri=self._reader.tracking_uri)
        found, deleted = self._reader.experiments(names=experiments)
        self._ignored.add("deleted experiments", deleted)
        for experiment in found:
            self._report.read["experiments"] += 1
            self._experiment_names[str(experiment.experiment_id)] = experiment.name
            yield (
                json_pointer("/experiments", str(experiment.experiment_id)),
                mapping.experiment_document(service=service, experiment=experiment),
            )
            yield from self._runs_of(experiment)
            deleted_runs = self._reader.deleted_runs(experiment_id=experiment.experiment_id)
            self._ignored.add("deleted runs", deleted_runs)
        aliases: dict[tuple[str, str], list[str]] = {}
        for page in self._reader.registered_models():
            for model in page:
                self._report.read["registered models"] += 1
                for alias, version in (getattr(model, "aliases", None) or {}).items():
                    aliases.setdefault((model.name, str(version)), []).append(alias)
                yield (
                    json_pointer("/registeredModels", model.name),
                    mapping.registered_model_document(service=service, model=model),
                )
        for page in self._reader.versions():
            for version in page:
                self._report.read["model versions"] += 1
                yield self._version(version, aliases.get((version.name, str(version.version)), []))

    def _runs_of(self, experiment: Any) -> Iterator[Located]:
        for page in self._reader.runs(experiment_id=experiment.experiment_id):
            for run in page:
                self._report.read["runs"] += 1
                names: list[str] = []
                for dataset in mapping.input_datasets(run=run, ignored=self._ignored):
                    fqn = mapping.dataset_fqn(service=self._service, name=dataset.name, digest=dataset.digest)
                    names.append(fqn)
                    if fqn in self._datasets:
                        continue
                    self._datasets.add(fqn)
                    self._report.read["datasets"] += 1
                    document = mapping.dataset_document(
                        service=self._service, dataset=dataset, ignored=self._ignored
                    )
                    yield json_pointer("/datasets", fqn), document
                run_id = run.info.run_id
                histories = {
                    key: self._reader.metric_history(run_id=run_id, key=key) for key in run.data.metrics or {}
                }
                self._runs[run_id] = mapping.run_fqn(
                    service=self._service, experiment=experiment.name, run_id=run_id
                )
                document = mapping.run_document(
                    service=self._service,
                    experiment=experiment.name,
                    run=run,
                    histories=histories,
                    datasets=list(dict.fromkeys(names)),
                    ignored=self._ignored,
                )
                yield json_pointer("/runs", run_id), document

    def _run_fqn(self, run_id: str) -> str | None:
        """The fully qualified name of a run a version names, also when its experiment was not imported."""
        if run_id not in self._runs:
            run = self._reader.run(run_id=run_id)
            name = None
            if run is not None and run.info.lifecycle_stage == "active":
                experiment_id = str(run.info.experiment_id)
                if experiment_id not in self._experiment_names:
                    experiment = self._reader.experiment(experiment_id=experiment_id)
                    self._experiment_names[experiment_id] = None if experiment is None else experiment.name
                experiment_name = self._experiment_names[experiment_id]
                if experiment_name is not None:
                    name = mapping.run_fqn(service=self._service, experiment=experiment_name, run_id=run_id)
            self._runs[run_id] = name
        return self._runs[run_id]

    def _version(self, version: Any, aliases: list[str]) -> Located:
        model_id = getattr(version, "model_id", None) or _logged_model_id(version.source)
        logged = self._reader.logged_model(model_id=model_id) if model_id else None
        run_id = version.run_id or (logged.source_run_id if logged is not None else None)
        run = self._run_fqn(run_id) if run_id else None
        if run_id and run is None:
            self._ignored.add("model version runs that MLflow no longer has")
        location = logged.artifact_location if logged is not None else version.source
        # A models:/ source is resolved by MLflow through the process's default registry, not this one's.
        readable = location and not location.startswith("models:/")
        signature = self._reader.signature(model_uri=location) if readable else None
        document = mapping.version_document(
            service=self._service,
            version=version,
            aliases=aliases,
            run=run,
            signature=None if signature is None else json.dumps(signature, sort_keys=True),
            logged_model=logged,
        )
        return json_pointer(json_pointer("/modelVersions", version.name), str(version.version)), document


def _logged_model_id(source: str | None) -> str | None:
    """The logged model id of a ``models:/m-...`` source (MLflow 3), else None."""
    if source and source.startswith("models:/m-"):
        return source[len("models:/") :].split("/", 1)[0]
    return None
