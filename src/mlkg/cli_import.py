"""``mlkg import SOURCE``: the connectors' commands (README, "Connectors"), a thin layer over
:mod:`mlkg.connectors`.

``mlkg import mlflow --tracking-uri URI`` reads an MLflow tracking store and model registry and writes what
changed since the last import through the catalog (:func:`mlkg.connectors.mlflow.import_mlflow`). Exit codes
as every command: 0 success, 1 a failed operation (MLflow or the store failed, the ``mlflow`` extra is not
installed), 2 bad input (a URI MLflow does not take, an unknown experiment) or a document rejected. The
summary, what was ignored and progress (on a terminal) go to stderr; ``--json`` prints the report on stdout.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn

from mlkg.cli_open import errors, writing
from mlkg.cli_options import store_options
from mlkg.connectors.mlflow import MlflowImportReport, import_mlflow
from mlkg.ingest.ingestor import DEFAULT_BATCH_SIZE

__all__ = ["import_app"]

import_app = typer.Typer(
    name="import",
    help="Import metadata from another system (MLflow) through the normal validated write path.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@contextmanager
def _progress(*, enabled: bool) -> Iterator[Progress | None]:
    """A one-line display of what was read and written, on stderr if it is a terminal and ``enabled``."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.fields[status]}"),
        console=Console(file=sys.stderr),
        transient=True,
    )
    with progress:
        yield progress


def _status(report: MlflowImportReport, started: float) -> str:
    read = ", ".join(f"{count:,} {what}" for what, count in sorted(report.read.items()))
    elapsed = time.monotonic() - started
    written, unchanged = len(report.written), report.unchanged
    return f"read {read or 'nothing yet'}; written {written:,}, unchanged {unchanged:,} ({elapsed:.0f} s)"


def _summary(report: MlflowImportReport, *, as_json: bool, quiet: bool) -> None:
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    for notice in [] if quiet else report.notices:
        typer.echo(f"mlkg: note: {notice.where}: {notice.message}", err=True)
    for rejected in report.rejected:
        typer.echo(f"mlkg: error: {rejected.where}: {rejected.message}", err=True)
    if not quiet:
        for what, count in sorted(report.ignored.items()):
            typer.echo(f"mlkg: note: ignored {count} x {what}", err=True)
    read = ", ".join(f"{count} {what}" for what, count in sorted(report.read.items())) or "nothing"
    typer.echo(
        f"mlkg: read {read}; wrote {len(report.written)} document(s), {report.unchanged} unchanged, "
        f"rejected {len(report.rejected)}",
        err=True,
    )


@import_app.command("mlflow")
@store_options
def mlflow_command(
    ctx: typer.Context,
    tracking_uri: Annotated[
        str,
        typer.Option(
            "--tracking-uri",
            envvar="MLFLOW_TRACKING_URI",
            metavar="URI",
            help="MLflow tracking store or server: sqlite:///mlflow.db, postgresql://..., http://host:5000.",
        ),
    ],
    registry_uri: Annotated[
        str | None,
        typer.Option(
            "--registry-uri",
            envvar="MLFLOW_REGISTRY_URI",
            metavar="URI",
            help="MLflow model registry, if not the tracking store.",
        ),
    ] = None,
    experiment: Annotated[
        list[str] | None,
        typer.Option(
            "--experiment",
            metavar="NAME",
            help="Import the runs of this experiment only (repeat for several); default: every experiment.",
        ),
    ] = None,
    service: Annotated[
        str,
        typer.Option(
            "--service",
            metavar="NAME",
            help="The model service the entities belong to: first segment of their fully qualified names.",
        ),
    ] = "mlflow",
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, help="Documents validated and written together.")
    ] = DEFAULT_BATCH_SIZE,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON on stdout.")] = False,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="No progress display and no notes; errors and the summary stay."),
    ] = False,
) -> None:
    """Import an MLflow tracking store and model registry: experiments, runs (parameters, metrics and their
    history, tags, input datasets), registered models and their versions (run, source, stage, aliases, tags,
    signature, logged model).

    Every document goes through validation and reasoning as an upload does. Run it again to bring mlkg up to
    date: only the entities whose documents changed are written. Exit code 2 if any document was rejected.
    """
    # MLflow announces its SQL schema set-up on INFO; what mlkg reports is what matters here.
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    # The import reads the stored graphs to write only what changed, which a server's HTTP API cannot do yet.
    advice = lambda url: f"mlkg import cannot write through the server at {url} yet"  # noqa: E731
    started = time.monotonic()
    with writing(ctx, advice=advice) as catalog, _progress(enabled=not quiet) as progress:
        task = None if progress is None else progress.add_task("mlflow", status="")

        def show(report: MlflowImportReport) -> None:
            if progress is not None and task is not None:
                progress.update(task, status=_status(report, started))

        with errors():
            report = import_mlflow(
                catalog=catalog,
                tracking_uri=tracking_uri,
                registry_uri=registry_uri,
                experiments=experiment or (),
                service=service,
                batch_size=batch_size,
                progress=show,
            )
    _summary(report, as_json=as_json, quiet=quiet)
    if report.rejected:
        raise typer.Exit(2)
