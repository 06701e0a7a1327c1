"""``mlkg principal add|list|role|remove`` and ``mlkg audit``: the principals and the audit trail of the store
(docs/architecture.md, section 10; README, "Access control, audit and events"). :mod:`mlkg.cli` registers
them.

``principal add`` prints the new token once, alone on stdout; only its salted hash is stored. ``principal
list`` and ``audit`` only read (they work while ``mlkg serve`` holds the store); the other commands write,
and exit 2 naming the HTTP route to use while a server holds the store. Every command that writes is
recorded in the audit with the operating-system user as its agent (:func:`mlkg.cli_open.writing`).
"""

from __future__ import annotations

import json
from enum import Enum
from typing import Annotated

import typer
from rdflib import URIRef

from mlkg.access.audit import parse_instant
from mlkg.access.roles import Role, parse_role
from mlkg.cli_open import errors, reading, writing
from mlkg.cli_options import store_options
from mlkg.errors import NotFoundError

__all__ = ["audit_command", "principal_app"]

principal_app = typer.Typer(
    name="principal",
    help="Principals (names with a role and a token) that call mlkg over HTTP.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

NameArg = Annotated[str, typer.Argument(metavar="NAME", help="The principal's name (its Basic user name).")]
RoleHelp = "viewer, data_scientist, ml_engineer or admin"


class ListFormat(str, Enum):
    TABLE = "table"
    JSON = "json"


FormatOpt = Annotated[ListFormat, typer.Option("--format", "-f")]


def _role(text: str) -> Role:
    with errors():
        return parse_role(text)
    raise AssertionError("unreachable")


@principal_app.command("add")
@store_options
def add_command(
    ctx: typer.Context,
    name: NameArg,
    role: Annotated[str, typer.Option("--role", help=RoleHelp)],
) -> None:
    """Add principal NAME with ROLE and print its token (shown once: only its salted hash is stored)."""
    chosen = _role(role)
    with writing(ctx, advice=lambda url: f"POST {url}principals as an admin") as catalog:
        token = catalog.principals.add(name=name, role=chosen)
    typer.echo(f"mlkg: principal {name} ({chosen.value}) added; its token, shown this once:", err=True)
    typer.echo(token)


@principal_app.command("list")
@store_options
def list_command(ctx: typer.Context, format: FormatOpt = ListFormat.TABLE) -> None:
    """The principals and their roles (never their tokens)."""
    with reading(ctx) as catalog:
        found = catalog.principals.principals()
    if format is ListFormat.JSON:
        listed = [{"name": p.name, "role": p.role.value} for p in found]
        typer.echo(json.dumps({"principals": listed}, indent=2))
        return
    for principal in found:
        typer.echo(f"{principal.name}\t{principal.role.value}")


@principal_app.command("role")
@store_options
def role_command(
    ctx: typer.Context,
    name: NameArg,
    role: Annotated[str, typer.Argument(metavar="ROLE", help=RoleHelp)],
) -> None:
    """Give principal NAME the role ROLE."""
    chosen = _role(role)
    with writing(ctx, advice=lambda url: f"PUT {url}principals/{name}/role as an admin") as catalog:
        catalog.principals.set_role(name=name, role=chosen)
    typer.echo(f"mlkg: principal {name} is now {chosen.value}", err=True)


@principal_app.command("remove")
@store_options
def remove_command(ctx: typer.Context, name: NameArg) -> None:
    """Remove principal NAME: its token stops working."""
    with writing(ctx, advice=lambda url: f"DELETE {url}principals/{name} as an admin") as catalog:
        catalog.principals.remove(name=name)
    typer.echo(f"mlkg: principal {name} removed", err=True)


@store_options
def audit_command(
    ctx: typer.Context,
    entity: Annotated[str | None, typer.Option("--entity", help="Only attempts naming this entity.")] = None,
    principal: Annotated[str | None, typer.Option("--principal", help="Only attempts by this agent.")] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only attempts at or after this ISO 8601 date or time.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many attempts.")] = 1000,
    format: FormatOpt = ListFormat.TABLE,
) -> None:
    """The write attempts recorded in the audit graph, newest first (what GET /audit answers)."""
    with reading(ctx) as catalog:
        at = None if since is None else parse_instant(since, where="--since")
        iri: URIRef | None = None
        if entity is not None:
            try:
                iri = catalog.resolve(entity)
            except NotFoundError:  # a deleted entity: by its IRI
                iri = URIRef(entity)
        found = catalog.audit.attempts(entity=iri, principal=principal, since=at, limit=limit)
    if format is ListFormat.JSON:
        typer.echo(json.dumps({"attempts": found}, indent=2, ensure_ascii=False))
        return
    for item in found:
        entities = ", ".join(item["entities"][:3]) + (" ..." if len(item["entities"]) > 3 else "")
        typer.echo(
            f"{item['at']}\t{item['principal']}\t{item['action']}\t{item['outcome']}\t"
            f"{item['permission'] or ''}\t{entities}"
        )
