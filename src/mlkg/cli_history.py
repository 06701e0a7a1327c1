"""``mlkg history``, ``mlkg diff``, ``mlkg restore`` and ``mlkg delete``: an entity's versions as
:meth:`mlkg.Catalog.versions` reads them and ``GET /id/{type}/{fqn}/versions`` serves them
(docs/architecture.md, section 7). :mod:`mlkg.cli` registers them.

``history`` and ``diff`` only read (they work while ``mlkg serve`` holds the store); ``restore`` and
``delete`` write, and exit 2 naming the HTTP route to use while a server holds the store.
"""

from __future__ import annotations

import json
from enum import Enum
from typing import Annotated, Any

import typer

from mlkg.cli_open import reading, writing
from mlkg.cli_options import store_options

__all__ = ["delete_command", "diff_command", "history_command", "restore_command"]

EntityArg = Annotated[
    str, typer.Argument(metavar="ENTITY", help="IRI, fully qualified name or unique name (IRI if deleted).")
]
VersionArg = Annotated[str, typer.Argument(metavar="VERSION", help="A version number such as 0.1 or 1.2.")]


class HistoryFormat(str, Enum):
    TABLE = "table"
    JSON = "json"


FormatOpt = Annotated[HistoryFormat, typer.Option("--format", "-f")]


@store_options
def history_command(ctx: typer.Context, entity: EntityArg, format: FormatOpt = HistoryFormat.TABLE) -> None:
    """The versions of ENTITY, newest first: when, by whom, major or minor, and which fields changed.
    --format json prints what GET /id/{type}/{fqn}/versions answers."""
    with reading(ctx) as catalog:
        iri = catalog.resolve(entity)
        versions = catalog.versions(entity)
    listed = [v.as_json() for v in versions]
    if format is HistoryFormat.JSON:
        typer.echo(json.dumps({"entity": str(iri), "versions": listed}, indent=2, ensure_ascii=False))
        return
    typer.echo(str(iri))
    for version in listed:
        changed = _fields(version["changeDescription"])
        typer.echo(
            f"  {version['version']:>6}  {version['changeType']:<8}  {version['updatedAt'] or '-':<32}  "
            f"{version['updatedBy'] or '-':<12}  {changed}"
        )


@store_options
def diff_command(
    ctx: typer.Context,
    entity: EntityArg,
    old: VersionArg,
    new: VersionArg,
    format: FormatOpt = HistoryFormat.TABLE,
) -> None:
    """What changed in ENTITY from version OLD to version NEW, field by field."""
    with reading(ctx) as catalog:
        change = catalog.diff(entity, old, new).as_json()
    if format is HistoryFormat.JSON:
        typer.echo(json.dumps(change, indent=2, ensure_ascii=False))
        return
    for item in change["fieldsAdded"]:
        typer.echo(f"+ {item['name']}: {_value(item['newValue'])}")
    for item in change["fieldsUpdated"]:
        typer.echo(f"~ {item['name']}: {_value(item['oldValue'])} -> {_value(item['newValue'])}")
    for item in change["fieldsDeleted"]:
        typer.echo(f"- {item['name']}: {_value(item['oldValue'])}")


@store_options
def restore_command(ctx: typer.Context, entity: EntityArg, version: VersionArg) -> None:
    """Make VERSION of ENTITY current again, as a new version (a deleted entity comes back)."""

    def advice(url: str) -> str:
        return f"POST to {url}id/<type>/<fqn>/versions/{version}/restore"

    with writing(ctx, advice=advice) as catalog:
        made = catalog.restore(entity, version)
        iri = catalog.resolve(entity)
    if made is None:
        typer.echo(f"mlkg: {iri} already is as version {version} describes it: nothing written", err=True)
    else:
        typer.echo(f"mlkg: restored version {version} of {iri} as version {made}", err=True)


@store_options
def delete_command(
    ctx: typer.Context,
    entity: EntityArg,
    hard: Annotated[
        bool, typer.Option("--hard", help="Also remove its history (cannot be restored).")
    ] = False,
) -> None:
    """Delete ENTITY: it leaves lineage and query results, and can be restored (mlkg restore); --hard
    removes it and its history."""

    def advice(url: str) -> str:
        return f"send DELETE {url}id/<type>/<fqn>{'?hardDelete=true' if hard else ''}"

    with writing(ctx, advice=advice) as catalog:
        iri = catalog.resolve(entity)
        existed = catalog.delete(entity, hard=hard)
    how = "hard-deleted (with its history)" if hard else "deleted (mlkg restore brings it back)"
    typer.echo(f"mlkg: {iri} {how}" if existed else f"mlkg: {iri} was not stored", err=True)


def _fields(change: dict[str, Any]) -> str:
    names = [
        *(f"+{c['name']}" for c in change["fieldsAdded"]),
        *(f"~{c['name']}" for c in change["fieldsUpdated"]),
        *(f"-{c['name']}" for c in change["fieldsDeleted"]),
    ]
    return ", ".join(names)


def _value(value: object) -> str:
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
