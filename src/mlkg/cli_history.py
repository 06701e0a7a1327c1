"""``mlkg history``, ``mlkg diff``, ``mlkg restore``, ``mlkg delete``, ``mlkg document`` and ``mlkg patch``:
an entity's versions as :meth:`mlkg.Catalog.versions` reads them and ``GET /id/{type}/{fqn}/versions`` serves
them, and its JSON form as JSON Patch edits it (docs/architecture.md, section 7). :mod:`mlkg.cli` registers
them.

``history``, ``diff`` and ``document`` only read (they work while ``mlkg serve`` holds the store);
``restore``, ``delete`` and ``patch`` write, and exit 2 naming the HTTP route to use while a server holds the
store.
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from mlkg.cli_open import errors, reading, writing
from mlkg.cli_options import store_options
from mlkg.errors import InputError
from mlkg.patching import parse_patch

__all__ = [
    "delete_command",
    "diff_command",
    "document_command",
    "history_command",
    "patch_command",
    "restore_command",
]

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


@store_options
def document_command(ctx: typer.Context, entity: EntityArg) -> None:
    """ENTITY's document as one JSON tree: what mlkg patch edits (and GET /id/{type}/{fqn} answers to
    Accept: application/json). Arrays are sorted, so the JSON Pointers it shows hold for a patch."""
    with reading(ctx) as catalog:
        document = catalog.document(entity)
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False))


@store_options
def patch_command(
    ctx: typer.Context,
    entity: EntityArg,
    patch: Annotated[
        str, typer.Argument(metavar="PATCH", help="A JSON Patch file (RFC 6902); '-' reads stdin.")
    ],
    version: Annotated[
        str | None, typer.Option("--if-version", help="Patch only if ENTITY is still at this version.")
    ] = None,
) -> None:
    """Apply a JSON Patch (RFC 6902) to ENTITY's document (see mlkg document) and store the result as a new
    version, validated like an upload. All or nothing: a failed test, a path that names nothing or a result
    the shapes refuse changes nothing (exit 2)."""

    def advice(url: str) -> str:
        return f"send PATCH {url}id/<type>/<fqn> with Content-Type: application/json-patch+json"

    with errors():
        operations = _read_patch(patch)
    with writing(ctx, advice=advice) as catalog:
        made = catalog.patch(entity, operations, version=version)
        iri = catalog.resolve(entity)
    if made is None:
        typer.echo(f"mlkg: the patch leaves {iri} as it is: nothing written", err=True)
    else:
        typer.echo(f"mlkg: patched {iri}: version {made}", err=True)


def _read_patch(name: str) -> Any:
    """The JSON of a patch file (or stdin).

    :raises InputError: if the file cannot be read; :raises ParseError: if it is not JSON, or too deep.
    """
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read the patch: {error}", where=name) from error
    return parse_patch(text, where=name)


def _fields(change: dict[str, Any]) -> str:
    names = [
        *(f"+{c['name']}" for c in change["fieldsAdded"]),
        *(f"~{c['name']}" for c in change["fieldsUpdated"]),
        *(f"-{c['name']}" for c in change["fieldsDeleted"]),
    ]
    return ", ".join(names)


def _value(value: object) -> str:
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
