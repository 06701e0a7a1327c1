"""The ``mlkg`` command: a thin layer over the library (DESIGN.md section 2, CLI).

Exit codes: 0 success, 1 a failed operation (store error, missing entity), 2 bad usage or bad input (one line
on stderr saying what is wrong and where). Data goes to stdout; progress and reports go to stderr.

Store options (``--store``, ``--sparql-endpoint``, ...) may be given before or after the sub-command name; the
``MLKG_*`` environment variable is used when the option is absent.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import SecretStr
from rdflib import URIRef

from mlkg.cli_inputs import expand_inputs, run_inputs
from mlkg.cli_options import (
    BaseOpt,
    EndpointOpt,
    GspOpt,
    PasswordOpt,
    StoreOpt,
    StoreOptions,
    UpdateOpt,
    UserOpt,
    hoist_store_options,
)
from mlkg.config import MEMORY_STORE, Settings
from mlkg.errors import InputError, MlkgError, NotFoundError
from mlkg.exports import GraphSelection, export, serialize_triples
from mlkg.exports.results import ResultsFormat, serialize_results
from mlkg.ids import IriMinter
from mlkg.ingest import Ingestor, IngestReport, InputFormat
from mlkg.ingest.ingestor import DEFAULT_BATCH_SIZE
from mlkg.reasoning import load_ontology
from mlkg.reasoning.engine import ReasonStats
from mlkg.reasoning.impact import Direction, impact
from mlkg.reasoning.program import LineageProgram
from mlkg.reasoning.store import ReasonedStore, repair_interrupted, repair_note
from mlkg.store import GraphResult, RdfFormat, Store, open_store

__all__ = ["app", "main"]

app = typer.Typer(
    name="mlkg",
    help="mlkg: a semantic knowledge-graph store for machine-learning metadata.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    ctx: typer.Context,
    store: StoreOpt = None,
    sparql_endpoint: EndpointOpt = None,
    update_endpoint: UpdateOpt = None,
    gsp_endpoint: GspOpt = None,
    sparql_user: UserOpt = None,
    sparql_password: PasswordOpt = None,
    base_iri: BaseOpt = None,
) -> None:
    ctx.obj = StoreOptions(
        store, sparql_endpoint, update_endpoint, gsp_endpoint, sparql_user, sparql_password, base_iri
    )


def _fail(message: str, *, code: int) -> NoReturn:
    typer.echo(f"mlkg: error: {message}", err=True)
    raise typer.Exit(code)


def _exit_code(error: MlkgError) -> int:
    return 2 if isinstance(error, InputError) else 1


@contextmanager
def _errors() -> Iterator[None]:
    """Map mlkg's exception tree to exit codes and one line on stderr (the one place this happens)."""
    try:
        yield
    except MlkgError as error:
        _fail(str(error), code=_exit_code(error))


def _program() -> LineageProgram:
    return LineageProgram.from_ontology(load_ontology())


def _note_repair(stats: ReasonStats | None) -> None:
    if stats is not None:
        typer.echo(repair_note(stats), err=True)


@contextmanager
def _opened(ctx: typer.Context, options: StoreOptions) -> Iterator[tuple[Settings, Store]]:
    """The store, its inferred graph repaired first if a write to it was interrupted."""
    settings = options.merged(ctx.obj).settings()
    with _errors(), open_store(settings=settings) as store:
        _note_repair(repair_interrupted(store=store, program=_program))
        yield settings, store


@contextmanager
def _reasoned(ctx: typer.Context, options: StoreOptions) -> Iterator[tuple[Settings, ReasonedStore]]:
    """The store, wrapped so every write keeps the inferred lineage graph correct (and repaired first if a
    write to it was interrupted)."""
    settings = options.merged(ctx.obj).settings()
    with _errors(), open_store(settings=settings) as store:
        reasoned = ReasonedStore(inner=store, program=_program())
        _note_repair(reasoned.repaired)
        yield settings, reasoned


def _print_report(report: IngestReport, *, as_json: bool, verb: str, quiet: bool = False) -> None:
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    for notice in [] if quiet else report.notices:
        typer.echo(f"mlkg: note: {notice.where}: {notice.message}", err=True)
    for rejected in report.rejected:
        typer.echo(f"mlkg: error: {rejected.where}: {rejected.message}", err=True)
        for detail in rejected.details:
            typer.echo("    " + "; ".join(f"{k}: {v}" for k, v in detail.items() if v), err=True)
    typer.echo(
        f"mlkg: {verb} {len(report.accepted)} document(s), rejected {len(report.rejected)}",
        err=True,
    )


def _ingestor(settings: Settings) -> Ingestor:
    return Ingestor(
        minter=IriMinter.from_ontology(base=settings.base_iri), max_bytes=settings.max_document_bytes
    )


FormatIn = Annotated[
    InputFormat | None,
    typer.Option("--format", "-f", help="Input format; default from each file's extension."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the report as JSON on stdout.")]


BatchOpt = Annotated[
    int,
    typer.Option(
        "--batch-size",
        min=1,
        help="Documents validated and written together; memory grows with it, not with the input.",
    ),
]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="No progress display and no notes; errors and the summary stay.")
]
FilesArg = Annotated[
    list[str],
    typer.Argument(
        help="Files, directories (recursively), glob patterns ('data/**/*.json'); '-' reads stdin."
    ),
]


@app.command()
def load(
    ctx: typer.Context,
    files: FilesArg,
    format: FormatIn = None,
    as_json: JsonOpt = False,
    batch_size: BatchOpt = DEFAULT_BATCH_SIZE,
    quiet: QuietOpt = False,
    store: StoreOpt = None,
    sparql_endpoint: EndpointOpt = None,
    base_iri: BaseOpt = None,
) -> None:
    """Load JSON-LD, plain JSON, JSON Lines, Turtle, N-Triples, N-Quads, TriG or RDF/XML documents.

    JSON, JSON-LD and JSON Lines inputs are streamed: documents are validated and written --batch-size at a
    time, so memory does not grow with the input. Each entity document replaces that entity's graph.
    Documents that fail validation are reported and not written; the others are stored. Progress shows on
    stderr when it is a terminal. Exit code 2 if any document was rejected.
    """
    options = StoreOptions(store=store, sparql_endpoint=sparql_endpoint, base_iri=base_iri)
    settings = options.merged(ctx.obj).settings()
    with _errors():
        expand_inputs(files, fmt=format, max_bytes=settings.max_document_bytes)  # bad usage writes nothing
    with _reasoned(ctx, options) as (settings, opened):
        report = run_inputs(
            _ingestor(settings),
            files,
            fmt=format,
            store=opened,
            batch_size=batch_size,
            quiet=quiet,
            max_bytes=settings.max_document_bytes,
        )
    _print_report(report, as_json=as_json, verb="loaded", quiet=quiet)
    if report.rejected:
        raise typer.Exit(2)


@app.command()
def validate(
    ctx: typer.Context,
    files: FilesArg,
    format: FormatIn = None,
    as_json: JsonOpt = False,
    batch_size: BatchOpt = DEFAULT_BATCH_SIZE,
    quiet: QuietOpt = False,
    base_iri: BaseOpt = None,
) -> None:
    """Check documents (syntax, context, SHACL shapes) without writing anything. Exit code 2 if any fails."""
    settings = StoreOptions(base_iri=base_iri).merged(ctx.obj).settings()
    with _errors():
        report = run_inputs(
            _ingestor(settings),
            files,
            fmt=format,
            store=None,
            batch_size=batch_size,
            quiet=quiet,
            max_bytes=settings.max_document_bytes,
        )
    _print_report(report, as_json=as_json, verb="validated", quiet=quiet)
    if report.rejected:
        raise typer.Exit(2)


def _query_text(query: str) -> str:
    if query.startswith("@"):
        path = Path(query[1:])
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError as error:
            raise InputError("no such query file", where=str(path)) from error
        except (OSError, UnicodeDecodeError) as error:
            raise InputError(f"cannot read query file: {error}", where=str(path)) from error
    if query == "-":
        return sys.stdin.read()
    return query


_RESULTS_NAMES = ", ".join(f.value for f in ResultsFormat)
QUERY_FORMATS = [*(f.value for f in ResultsFormat), *(f.value for f in RdfFormat)]


@app.command()
def query(
    ctx: typer.Context,
    query: Annotated[
        str, typer.Argument(help="A SPARQL query, @FILE to read it from a file, or - for stdin.")
    ],
    format: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help=f"SELECT/ASK: {_RESULTS_NAMES}. CONSTRUCT: {', '.join(f.value for f in RdfFormat)}.",
        ),
    ] = "table",
    store: StoreOpt = None,
    sparql_endpoint: EndpointOpt = None,
) -> None:
    """Run a SPARQL 1.1 query over the union of all graphs and print the results."""
    if format not in QUERY_FORMATS:
        _fail(f"--format {format!r} is not one of {', '.join(QUERY_FORMATS)}", code=2)
    with _errors():
        text = _query_text(query)
    with _opened(ctx, StoreOptions(store=store, sparql_endpoint=sparql_endpoint)) as (_, opened):
        result = opened.query(query=text)
        if isinstance(result, GraphResult):
            rdf_format = RdfFormat(format) if format in {f.value for f in RdfFormat} else RdfFormat.TURTLE
            data = serialize_triples(triples=result.triples, format=rdf_format)
        else:
            if format in {f.value for f in RdfFormat}:
                raise InputError(
                    f"--format {format} is for CONSTRUCT/DESCRIBE queries; use one of {_RESULTS_NAMES}"
                )
            data = serialize_results(result=result, format=ResultsFormat(format))
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


@app.command("export")
def export_command(
    ctx: typer.Context,
    format: Annotated[RdfFormat, typer.Option("--format", "-f", help="Output format.")] = RdfFormat.TRIG,
    entity: Annotated[str | None, typer.Option("--entity", help="Export only this entity (its IRI).")] = None,
    asserted_only: Annotated[
        bool, typer.Option("--asserted-only", help="Leave out the inferred and ontology graphs.")
    ] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to FILE instead of stdout.")
    ] = None,
    store: StoreOpt = None,
    sparql_endpoint: EndpointOpt = None,
) -> None:
    """Export the whole store, or one entity, as linked data."""
    with _opened(ctx, StoreOptions(store=store, sparql_endpoint=sparql_endpoint)) as (_, opened):
        target = URIRef(entity) if entity else None
        if target is not None and not opened.has_graph(graph=target):
            raise NotFoundError(f"no entity {entity} in the store")
        graphs: GraphSelection = "asserted" if asserted_only else "all"
        if output is None:
            export(store=opened, format=format, output=sys.stdout.buffer, entity=target, graphs=graphs)
            sys.stdout.buffer.flush()
        else:
            with output.open("wb") as handle:
                export(store=opened, format=format, output=handle, entity=target, graphs=graphs)


@app.command()
def reason(
    ctx: typer.Context,
    store: StoreOpt = None,
    sparql_endpoint: EndpointOpt = None,
) -> None:
    """Recompute the inferred lineage graph from scratch (every write already keeps it up to date)."""
    with _reasoned(ctx, StoreOptions(store=store, sparql_endpoint=sparql_endpoint)) as (_, opened):
        stats = opened.recompute()
    typer.echo(
        f"mlkg: inferred graph recomputed from {stats.asserted} asserted lineage triples in "
        f"{stats.seconds:.2f} s: {stats.inferred_added} triples added, {stats.inferred_removed} removed",
        err=True,
    )


class ImpactFormat(str, Enum):
    TABLE = "table"
    JSON = "json"


@app.command("impact")
def impact_command(
    ctx: typer.Context,
    entity: Annotated[str, typer.Argument(help="The asset: its IRI, fully qualified name or name.")],
    direction: Annotated[Direction, typer.Option("--direction", "-d")] = Direction.DOWNSTREAM,
    with_paths: Annotated[
        bool, typer.Option("--explain", help="Show the asserted path behind each answer.")
    ] = False,
    format: Annotated[ImpactFormat, typer.Option("--format", "-f")] = ImpactFormat.TABLE,
    store: StoreOpt = None,
    sparql_endpoint: EndpointOpt = None,
) -> None:
    """What is affected if ENTITY changes (downstream), or what it depends on (upstream), grouped by kind."""
    with _reasoned(ctx, StoreOptions(store=store, sparql_endpoint=sparql_endpoint)) as (_, opened):
        reports = impact(
            store=opened,
            program=opened.reasoner.program,
            entity=entity,
            direction=direction,
            with_paths=with_paths,
        )
    if format is ImpactFormat.JSON:
        documents = [r.to_dict() for r in reports]
        typer.echo(
            json.dumps(documents if len(documents) > 1 else documents[0], indent=2, ensure_ascii=False)
        )
        return
    for report in reports:
        typer.echo(report.to_text())


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port to listen on.")] = 8000,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Load the demo catalog first (into a fresh in-memory store unless --store is given).",
        ),
    ] = False,
    write_token: Annotated[
        str | None,
        typer.Option("--write-token", help="Bearer token writes must carry [env MLKG_WRITE_TOKEN]."),
    ] = None,
    cors_origin: Annotated[
        list[str] | None,
        typer.Option(
            "--cors-origin",
            help="Origin (https://host[:port]) whose browser pages may call the API; repeatable; '*' opens "
            "reads to every page [env MLKG_CORS_ORIGINS, comma-separated].",
        ),
    ] = None,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allowed-host",
            help="Host name requests may be addressed to; repeatable; '*' for any. Default on a loopback "
            "address: the loopback names and the base IRI's host [env MLKG_ALLOWED_HOSTS].",
        ),
    ] = None,
    store: StoreOpt = None,
    sparql_endpoint: EndpointOpt = None,
    base_iri: BaseOpt = None,
) -> None:
    """Serve SPARQL 1.1 (query, update, graph store), JSON-LD upload, linked data and impact over HTTP.

    With no write token configured writes are open, so the server then listens only on a loopback address.
    """
    from mlkg.api.serve import check_listen, run_server

    options = StoreOptions(store=store, sparql_endpoint=sparql_endpoint, base_iri=base_iri).merged(ctx.obj)
    if demo and options.store is None and "MLKG_STORE" not in os.environ and not options.sparql_endpoint:
        options.store = MEMORY_STORE
    with _errors():
        settings = options.settings()
        if write_token is not None:
            # an empty --write-token is no token, as an empty MLKG_WRITE_TOKEN is (Settings)
            token = SecretStr(write_token) if write_token.strip() else None
            settings = settings.model_copy(update={"write_token": token})
        if cors_origin:
            settings = settings.model_copy(update={"cors_origins": cors_origin})
        if allowed_host:
            settings = settings.model_copy(update={"allowed_hosts": allowed_host})
        check_listen(settings=settings, host=host)
        run_server(
            settings=settings, host=host, port=port, demo=demo, announce=lambda m: typer.echo(m, err=True)
        )


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``mlkg`` console script."""
    run: Callable[..., Any] = app
    run(args=hoist_store_options(sys.argv[1:] if argv is None else argv), prog_name="mlkg")
