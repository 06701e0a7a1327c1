"""Reading an MLflow tracking store and model registry through MLflow's own client (``MlflowClient``), page by
page, so memory holds one page of runs or versions at a time.

Only this module imports MLflow, and only when a reader is made: ``mlkg`` works without the ``mlflow`` extra,
and asking for an import without it raises :class:`MissingDependencyError` naming the extra. MLflow's own
errors become :class:`SourceError` (a store that fails, an unreachable server) or :class:`InputError` (a
tracking URI MLflow does not take, an experiment that does not exist).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from mlkg.errors import InputError, MissingDependencyError, SourceError

__all__ = ["MlflowReader"]

#: Runs and versions per request: MLflow's own default page size for runs, and the largest its SQL store
#: accepts for registered models.
RUNS_PAGE = 1000
MODELS_PAGE = 1000
VERSIONS_PAGE = 1000

T = TypeVar("T")


def _mlflow() -> Any:
    try:
        import mlflow
    except ImportError as error:
        raise MissingDependencyError(
            "importing from MLflow needs MLflow's client: install mlkg[mlflow] "
            "(pip install 'mlkg[mlflow]'), which brings mlflow-skinny and what a SQL tracking store needs"
        ) from error
    return mlflow


def _check_sqlite(uri: str) -> None:
    """MLflow creates an empty SQLite store where none is: a mistyped path would import nothing, silently.

    :raises InputError: if ``uri`` is ``sqlite:///PATH`` and no file is at ``PATH``.
    """
    if uri.startswith("sqlite:///"):
        path = Path(uri[len("sqlite:///") :].split("?", 1)[0])
        if str(path) != ":memory:" and not path.is_file():
            raise InputError(f"no SQLite file at {path}: MLflow would create an empty store there", where=uri)


def _message(error: Exception) -> str:
    """An MlflowException's own message (its ``str`` adds nothing), else the error as text."""
    return str(getattr(error, "message", None) or error)


class MlflowReader:
    """What an import reads from one MLflow tracking store (``tracking_uri``) and model registry
    (``registry_uri``, by default the tracking store).

    :raises MissingDependencyError: if MLflow's client is not installed.
    :raises InputError: if MLflow does not take the URI.
    """

    def __init__(self, *, tracking_uri: str, registry_uri: str | None = None) -> None:
        mlflow = _mlflow()
        from mlflow.entities import ViewType
        from mlflow.exceptions import MlflowException

        self._mlflow = mlflow
        self._error: type[Exception] = MlflowException
        self._view = ViewType
        self.tracking_uri = tracking_uri
        self.registry_uri = registry_uri or tracking_uri
        for uri in {tracking_uri, self.registry_uri}:
            _check_sqlite(uri)
        try:
            self.client = mlflow.MlflowClient(tracking_uri=tracking_uri, registry_uri=self.registry_uri)
            # MLflow opens the stores lazily: a URI it does not take fails here, not halfway through.
            self.client._tracking_client.store  # noqa: B018
            self.client._get_registry_client()
        except self._error as error:
            raise InputError(f"MLflow cannot open it: {_message(error)}", where=tracking_uri) from error
        except Exception as error:  # a store that fails to open (a missing driver, a refused connection)
            raise InputError(f"MLflow cannot open it: {error}", where=tracking_uri) from error

    def _call(self, what: str, call: Callable[[], T]) -> T:
        try:
            return call()
        except self._error as error:
            raise SourceError(f"MLflow failed to {what}: {_message(error)}") from error
        except (OSError, ValueError) as error:
            raise SourceError(f"MLflow failed to {what}: {error}") from error

    def _pages(self, what: str, search: Callable[[str | None], Any]) -> Iterator[list[Any]]:
        token: str | None = None
        while True:
            page = self._call(what, lambda at=token: search(at))  # type: ignore[misc]
            yield list(page)
            token = page.token
            if not token:
                return

    # -- tracking ---------------------------------------------------------------------------------------

    def experiments(self, *, names: Sequence[str] = ()) -> tuple[list[Any], int]:
        """The active experiments (those named, if ``names`` is given) and how many deleted ones were left.

        :raises InputError: if a name given is not an experiment's.
        :raises SourceError: if MLflow fails.
        """
        if names:
            found = []
            for name in names:
                experiment = self._call(
                    "read an experiment",
                    lambda n=name: self.client.get_experiment_by_name(n),  # type: ignore[misc]
                )
                if experiment is None:
                    raise InputError(f"MLflow has no experiment named {name!r}", where="--experiment")
                found.append(experiment)
            return [e for e in found if e.lifecycle_stage == "active"], sum(
                e.lifecycle_stage != "active" for e in found
            )
        everything: list[Any] = []
        for page in self._pages(
            "list experiments",
            lambda token: self.client.search_experiments(
                view_type=self._view.ALL, max_results=1000, page_token=token
            ),
        ):
            everything.extend(page)
        active = [e for e in everything if e.lifecycle_stage == "active"]
        return active, len(everything) - len(active)

    def runs(self, *, experiment_id: str) -> Iterator[list[Any]]:
        """The active runs of one experiment, a page at a time.

        :raises SourceError: if MLflow fails.
        """
        return self._pages(
            "list runs",
            lambda token: self.client.search_runs(
                experiment_ids=[experiment_id], max_results=RUNS_PAGE, page_token=token
            ),
        )

    def deleted_runs(self, *, experiment_id: str) -> int:
        """How many deleted runs the experiment holds (they are not imported).

        :raises SourceError: if MLflow fails.
        """
        count = 0
        for page in self._pages(
            "list deleted runs",
            lambda token: self.client.search_runs(
                experiment_ids=[experiment_id],
                run_view_type=self._view.DELETED_ONLY,
                max_results=RUNS_PAGE,
                page_token=token,
            ),
        ):
            count += len(page)
        return count

    def metric_history(self, *, run_id: str, key: str) -> list[Any]:
        """Every logged value of one metric of one run.

        :raises SourceError: if MLflow fails.
        """
        return self._call("read a metric history", lambda: self.client.get_metric_history(run_id, key))

    def run(self, *, run_id: str) -> Any | None:
        """One run, or None if MLflow does not have it (any more)."""
        try:
            return self.client.get_run(run_id)
        except self._error:
            return None

    def experiment(self, *, experiment_id: str) -> Any | None:
        """One experiment, or None if MLflow does not have it."""
        try:
            return self.client.get_experiment(experiment_id)
        except self._error:
            return None

    # -- registry ---------------------------------------------------------------------------------------

    def registered_models(self) -> Iterator[list[Any]]:
        """Every registered model, a page at a time.

        :raises SourceError: if MLflow fails.
        """
        return self._pages(
            "list registered models",
            lambda token: self.client.search_registered_models(max_results=MODELS_PAGE, page_token=token),
        )

    def versions(self) -> Iterator[list[Any]]:
        """Every model version of every registered model, a page at a time (their aliases are not filled
        in by MLflow's search: they come from the registered models).

        :raises SourceError: if MLflow fails.
        """
        return self._pages(
            "list model versions",
            lambda token: self.client.search_model_versions(max_results=VERSIONS_PAGE, page_token=token),
        )

    def logged_model(self, *, model_id: str) -> Any | None:
        """An MLflow 3 logged model, or None if the store has none by that id (or predates them)."""
        try:
            return self.client.get_logged_model(model_id)
        except (self._error, NotImplementedError, AttributeError):
            return None

    def signature(self, *, model_uri: str) -> dict[str, Any] | None:
        """The ``signature`` of the ``MLmodel`` file under ``model_uri`` (a run's or a logged model's
        artefacts, a version's source), or None when there is no such file or it has no signature."""
        import yaml

        with tempfile.TemporaryDirectory(prefix="mlkg-mlflow-") as scratch:
            try:
                path = self._mlflow.artifacts.download_artifacts(
                    artifact_uri=f"{model_uri.rstrip('/')}/MLmodel",
                    dst_path=scratch,
                    tracking_uri=self.tracking_uri,
                )
                text = Path(path).read_text(encoding="utf-8")
                model = yaml.safe_load(text)
            except Exception:  # no MLmodel file there (any store's own error), or not YAML
                return None
        signature = model.get("signature") if isinstance(model, dict) else None
        return signature if isinstance(signature, dict) else None
