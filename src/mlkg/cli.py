"""The ``mlkg`` command: a thin layer over :class:`mlkg.Catalog` (docs/architecture.md, section 1; README,
"Using mlkg").

Exit codes: 0 success, 1 a failed operation (store error), 2 bad usage or bad input, an entity the store does
not hold included (one line on stderr saying what is wrong and where; :mod:`mlkg.cli_open` is the one place
errors become exit codes). Data goes to stdout; progress and reports go to stderr.

Store options (``--store``, ``--sparql-endpoint``, ...) may be given before or after the sub-command name
(:mod:`mlkg.cli_options`); the ``MLKG_*`` environment variable is used when the option is absent. Commands
that only read (``query``, ``impact``, ``export``) never create a store and work while ``mlkg serve`` holds
it.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import SecretStr

from mlkg.catalog import Catalog
from mlkg.cli_access import audit_command, principal_app
from mlkg.cli_events import subscription_app
from mlkg.cli_history import (
    delete_command,
    diff_command,
    document_command,
    history_command,
    patch_command,
    restore_command,
)
from mlkg.cli_import import import_app
from mlkg.cli_inputs import expand_inputs, run_inputs
from mlkg.cli_lineage import explain_command, lineage_command
from mlkg.cli_open import errors, fail, in_use, reading, settings_of, writing
from mlkg.cli_options import (
    BaseOpt,
    EndpointOpt,
    GspOpt,
    PasswordOpt,
    SearchIndexOpt,
    StoreOpt,
    StoreOptions,
    UpdateOpt,
    UserOpt,
    options_of,
    store_options,
)
from mlkg.cli_search import reindex_command, search_command
from mlkg.config import MEMORY_STORE, Settings
from mlkg.errors import InputError, StoreInUseError
from mlkg.exports import GraphSelection, serialize_triples
from mlkg.exports.results import ResultsFormat, serialize_results
from mlkg.ingest import IngestReport, InputFormat
from mlkg.ingest.ingestor import DEFAULT_BATCH_SIZE
from mlkg.reasoning.impact import Direction
from mlkg.store import GraphResult, RdfFormat

__all__ = ["app", "main"]

app = typer.Typer(
    name="mlkg",
    help="mlkg: a semantic knowledge-graph store for machine-learning metadata.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help: rich's renderer shows flags as taking a <bool> value and reads "[...]" in texts as markup.
    rich_markup_mode=None,
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
    search_index: SearchIndexOpt = None,
) -> None:
    ctx.obj = StoreOptions(
        store,
        sparql_endpoint,
        update_endpoint,
        gsp_endpoint,
        sparql_user,
        sparql_password,
        base_iri,
        search_index,
    )


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
NamespaceOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--openlineage-namespace",
        metavar="NAMESPACE=SERVICE",
        help="Name the tables of an OpenLineage dataset namespace under this service, e.g. "
        "postgres://db.host:5432=postgres_prod; repeatable (env MLKG_OPENLINEAGE_NAMESPACES, a JSON object).",
    ),
]


def _with_namespaces(settings: Settings, given: list[str] | None) -> Settings:
    """``settings`` with the ``--openlineage-namespace`` mappings added to the configured ones.

    :raises InputError: for a value without ``=``.
    """
    if not given:
        return settings
    services = dict(settings.openlineage_namespaces)
    for value in given:
        namespace, sep, service = value.rpartition("=")
        if not sep or not namespace or not service:
            raise InputError(f"{value!r} is not NAMESPACE=SERVICE", where="--openlineage-namespace")
        services[namespace] = service
    return settings.model_copy(update={"openlineage_namespaces": services})


PlatformOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--datahub-platform",
        metavar="PLATFORM[,ENV]=SERVICE",
        help="Name the datasets and models of a DataHub platform (in an environment) under this service, "
        "e.g. snowflake=snowflake_prod; repeatable (env MLKG_DATAHUB_PLATFORMS, a JSON object).",
    ),
]


def _with_platforms(settings: Settings, given: list[str] | None) -> Settings:
    """``settings`` with the ``--datahub-platform`` mappings added to the configured ones.

    :raises InputError: for a value without ``=``.
    """
    if not given:
        return settings
    services = dict(settings.datahub_platforms)
    for value in given:
        platform, sep, service = value.rpartition("=")
        if not sep or not platform or not service:
            raise InputError(f"{value!r} is not PLATFORM[,ENV]=SERVICE", where="--datahub-platform")
        services[platform] = service
    return settings.model_copy(update={"datahub_platforms": services})


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
@store_options
def load(
    ctx: typer.Context,
    files: FilesArg,
    format: FormatIn = None,
    as_json: JsonOpt = False,
    batch_size: BatchOpt = DEFAULT_BATCH_SIZE,
    quiet: QuietOpt = False,
    merge: Annotated[
        bool,
        typer.Option(
            "--merge",
            help="Add to stored entities instead of replacing them: values given replace stored ones, links "
            "are added, what a document does not mention stays.",
        ),
    ] = False,
    openlineage_namespace: NamespaceOpt = None,
    datahub_platform: PlatformOpt = None,
) -> None:
    """Load JSON-LD, plain JSON, JSON Lines, Turtle, N-Triples, N-Quads, TriG or RDF/XML documents.

    JSON, JSON-LD and JSON Lines inputs are streamed: documents are validated and written --batch-size at a
    time, so memory does not grow with the input. Each entity document replaces that entity's graph.
    Documents that fail validation are reported and not written; the others are stored. Progress shows on
    stderr when it is a terminal. Exit code 2 if any document was rejected. A JSON or JSON Lines file of
    OpenLineage events is read as events (pipelines, tables, column lineage, runs); a file of DataHub
    metadata change proposals (the file sink's JSON) as proposals, each aspect merged into its entity.
    """
    settings = settings_of(ctx)
    with errors():
        settings = _with_namespaces(settings, openlineage_namespace)
        settings = _with_platforms(settings, datahub_platform)
        expand_inputs(files, fmt=format, max_bytes=settings.max_document_bytes)  # bad usage writes nothing
    advice = _post_to("entities", "the documents")
    with writing(ctx, advice=advice, settings=settings) as catalog:
        report = run_inputs(
            catalog, files, fmt=format, write=True, batch_size=batch_size, quiet=quiet, merge=merge
        )
    _print_report(report, as_json=as_json, verb="loaded", quiet=quiet)
    if report.rejected:
        raise typer.Exit(2)


def _post_to(route: str, what: str) -> Callable[[str], str]:
    return lambda url: f"POST {what} to {url}{route}"


@app.command()
@store_options
def validate(
    ctx: typer.Context,
    files: FilesArg,
    format: FormatIn = None,
    as_json: JsonOpt = False,
    batch_size: BatchOpt = DEFAULT_BATCH_SIZE,
    quiet: QuietOpt = False,
) -> None:
    """Check documents (syntax, context, SHACL shapes) without writing anything. Exit code 2 if any fails."""
    # Documents are checked alone, against no store: a scratch in-memory catalog opens none.
    settings = settings_of(ctx).model_copy(update={"store": MEMORY_STORE, "sparql_endpoint": None})
    with errors(), Catalog(settings=settings) as catalog:
        report = run_inputs(catalog, files, fmt=format, write=False, batch_size=batch_size, quiet=quiet)
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
@store_options
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
) -> None:
    """Run a SPARQL 1.1 query and print the results. The default graph is the union of the stored graphs; the
    ontology is the named graph https://w3id.org/mlkg/graph/ontology."""
    if format not in QUERY_FORMATS:
        fail(f"--format {format!r} is not one of {', '.join(QUERY_FORMATS)}", code=2)
    with errors():
        text = _query_text(query)
    with reading(ctx) as catalog:
        result = catalog.query(text)
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
@store_options
def export_command(
    ctx: typer.Context,
    format: Annotated[RdfFormat, typer.Option("--format", "-f", help="Output format.")] = RdfFormat.TRIG,
    entity: Annotated[
        str | None,
        typer.Option("--entity", metavar="ENTITY", help="Export only this entity (IRI, FQN or name)."),
    ] = None,
    asserted_only: Annotated[
        bool, typer.Option("--asserted-only", help="Leave out the inferred and ontology graphs.")
    ] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="FILE", help="Write to FILE instead of stdout.")
    ] = None,
) -> None:
    """Export the whole store, or one entity, as linked data."""
    graphs: GraphSelection = "asserted" if asserted_only else "all"
    with reading(ctx) as catalog:
        if entity is not None:
            catalog.resolve(entity)  # an unknown entity is refused before the output file is created
        if output is None:
            catalog.export(format=format, output=sys.stdout.buffer, entity=entity, graphs=graphs)
            sys.stdout.buffer.flush()
        else:
            with output.open("wb") as handle:
                catalog.export(format=format, output=handle, entity=entity, graphs=graphs)


@app.command()
@store_options
def reason(ctx: typer.Context) -> None:
    """Recompute the inferred lineage graph from scratch (every write already keeps it up to date)."""

    def advice(url: str) -> str:
        return "it keeps the inferred graph up to date after every write (nothing to recompute)"

    with writing(ctx, advice=advice) as catalog:
        stats = catalog.reason()
    typer.echo(
        f"mlkg: inferred graph recomputed from {stats.asserted} asserted lineage triples in "
        f"{stats.seconds:.2f} s: {stats.inferred_added} triples added, {stats.inferred_removed} removed",
        err=True,
    )


class ImpactFormat(str, Enum):
    TABLE = "table"
    JSON = "json"


@app.command("impact")
@store_options
def impact_command(
    ctx: typer.Context,
    entity: Annotated[
        str, typer.Argument(metavar="ENTITY", help="The asset: its IRI, fully qualified name or name.")
    ],
    direction: Annotated[Direction, typer.Option("--direction", "-d")] = Direction.DOWNSTREAM,
    with_paths: Annotated[
        bool, typer.Option("--explain", help="Show the asserted path behind each answer.")
    ] = False,
    format: Annotated[ImpactFormat, typer.Option("--format", "-f")] = ImpactFormat.TABLE,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="An ISO 8601 date or date-time: the answer as the catalog was then."),
    ] = None,
) -> None:
    """What is affected if ENTITY changes (downstream), or what it depends on (upstream), grouped by kind.

    A name that several entities have is refused (exit 2) with the candidates listed.
    """
    with reading(ctx) as catalog:
        if as_of is None:
            report = catalog.impact(entity, direction=direction, explain=with_paths)
        else:
            with catalog.as_of(as_of) as past:
                report = past.impact(entity, direction=direction, explain=with_paths)
    if format is ImpactFormat.JSON:
        typer.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        return
    typer.echo(report.to_text())


app.command("lineage")(lineage_command)
app.command("explain")(explain_command)
app.command("search")(search_command)
app.command("reindex")(reindex_command)
app.command("history")(history_command)
app.command("diff")(diff_command)
app.command("restore")(restore_command)
app.command("document")(document_command)
app.command("patch")(patch_command)
app.command("delete")(delete_command)
app.add_typer(import_app)
app.add_typer(principal_app)
app.command("audit")(audit_command)
app.add_typer(subscription_app)


@app.command()
@store_options
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
        typer.Option(
            "--write-token",
            help="A token standing for one admin principal, 'write-token' (env MLKG_WRITE_TOKEN).",
        ),
    ] = None,
    cors_origin: Annotated[
        list[str] | None,
        typer.Option(
            "--cors-origin",
            help="Origin (https://host[:port]) whose browser pages may call the API; repeatable; '*' opens "
            "reads to every page (env MLKG_CORS_ORIGINS, comma-separated).",
        ),
    ] = None,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allowed-host",
            help="Host name requests may be addressed to; repeatable; '*' for any. Default on a loopback "
            "address: the loopback names and the base IRI's host (env MLKG_ALLOWED_HOSTS).",
        ),
    ] = None,
    openlineage_namespace: NamespaceOpt = None,
    datahub_platform: PlatformOpt = None,
    auth_reads: Annotated[
        bool,
        typer.Option(
            "--auth-reads",
            help="Require a principal for reads too (queries, exports, entity pages); env MLKG_AUTH_READS.",
        ),
    ] = False,
    webhook_allow: Annotated[
        list[str] | None,
        typer.Option(
            "--webhook-allow",
            help="URL prefix (scheme://host[:port][/path]) change events may be posted to; repeatable. "
            "Default: none, no webhook is delivered (env MLKG_WEBHOOK_ALLOW, comma-separated).",
        ),
    ] = None,
) -> None:
    """Serve SPARQL 1.1 (query, update, graph store), JSON-LD upload, linked data and impact over HTTP.

    With no principal in the store and no write token, writes are open, so the server then listens only on a
    loopback address.
    """
    from mlkg.api.serve import run_server

    options = options_of(ctx)
    if demo and options.store is None and "MLKG_STORE" not in os.environ and not options.sparql_endpoint:
        options.store = MEMORY_STORE
    with errors():
        settings = options.settings()
        if write_token is not None:
            # an empty --write-token is no token, as an empty MLKG_WRITE_TOKEN is (Settings)
            token = SecretStr(write_token) if write_token.strip() else None
            settings = settings.model_copy(update={"write_token": token})
        if cors_origin:
            settings = settings.model_copy(update={"cors_origins": cors_origin})
        if allowed_host:
            settings = settings.model_copy(update={"allowed_hosts": allowed_host})
        if webhook_allow:
            settings = settings.model_copy(update={"webhook_allow": webhook_allow})
        settings = _with_namespaces(settings, openlineage_namespace)
        settings = _with_platforms(settings, datahub_platform)
        if auth_reads:
            settings = settings.model_copy(update={"auth_reads": True})
        try:
            run_server(
                settings=settings, host=host, port=port, demo=demo, announce=lambda m: typer.echo(m, err=True)
            )
        except StoreInUseError as error:
            in_use(error, settings=settings, advice=lambda url: f"use it at {url}")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``mlkg`` console script; ``argv`` defaults to the process's arguments."""
    run: Callable[..., Any] = app
    run(args=sys.argv[1:] if argv is None else argv, prog_name="mlkg")
