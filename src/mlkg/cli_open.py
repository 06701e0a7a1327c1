"""How an ``mlkg`` command opens its catalog, and the one place mlkg's errors become exit codes and one line
on stderr (docs/architecture.md, habit 1; README, "Using mlkg").

Every command works through a :class:`~mlkg.catalog.Catalog`, so every write keeps the inferred graph exact
and an interrupted write is repaired before anything else. A command that only reads opens it read-only:
it never creates a store, and works while ``mlkg serve`` holds the store (it reads a view of it). A command
that writes cannot share the store with a server: it stops with exit code 2 and says where the server is and
what to do instead (:mod:`mlkg.served`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn

import pydantic
import typer

from mlkg.access.audit import Attempt, os_user
from mlkg.access.gate import PermissionGate
from mlkg.access.roles import Permission
from mlkg.catalog import Catalog
from mlkg.cli_options import options_of
from mlkg.config import Settings
from mlkg.errors import InputError, MlkgError, NotFoundError, StoreInUseError
from mlkg.reasoning.engine import ReasonStats
from mlkg.reasoning.store import repair_note
from mlkg.served import served_by

__all__ = ["errors", "exit_code", "fail", "in_use", "reading", "settings_of", "writing"]

#: What to do instead of writing while a server holds the store, given the server's base URL.
Advice = Callable[[str], str]


def fail(message: str, *, code: int) -> NoReturn:
    """Print ``mlkg: error: message`` on stderr and exit with ``code``."""
    typer.echo(f"mlkg: error: {message}", err=True)
    raise typer.Exit(code)


def exit_code(error: MlkgError) -> int:
    """2 for bad input, an entity the store does not hold, or a store another process holds; else 1."""
    return 2 if isinstance(error, (InputError, NotFoundError, StoreInUseError)) else 1


@contextmanager
def errors() -> Iterator[None]:
    """Map mlkg's exception tree (and invalid settings) to exit codes and one line on stderr."""
    try:
        yield
    except MlkgError as error:
        fail(str(error), code=exit_code(error))
    except pydantic.ValidationError as error:
        first = error.errors()[0]
        name = ".".join(str(part) for part in first["loc"])
        fail(f"invalid setting {name} (option or MLKG_{name.upper()}): {first['msg']}", code=2)


def settings_of(ctx: typer.Context) -> Settings:
    """The settings the store options in effect select (exits 2 on an invalid value)."""
    with errors():
        return options_of(ctx).settings()
    raise AssertionError("unreachable")


def in_use(error: StoreInUseError, *, settings: Settings, advice: Advice) -> NoReturn:
    """Exit 2 saying which process holds the store and what to do instead."""
    server = served_by(settings=settings)
    if server is None:
        fail(
            f"the store {error.path} is in use by another process (another mlkg command still running?): "
            "wait for it to finish, or use another --store directory",
            code=2,
        )
    fail(
        f"the store {error.path} is served by {server}: {advice(server.url)}, or stop the server first",
        code=2,
    )


def _note_repair(stats: ReasonStats | None) -> None:
    if stats is not None:
        typer.echo(repair_note(stats), err=True)


def _addresses(settings: Settings) -> tuple[str, ...]:
    """Entity IRIs on the address of the server holding the store stand for IRIs under the base."""
    server = served_by(settings=settings)
    return () if server is None else (f"{server.url}id/",)


@contextmanager
def reading(ctx: typer.Context) -> Iterator[Catalog]:
    """The catalog, opened to read (:func:`mlkg.open` with ``read_only``); errors in the block exit."""
    settings = settings_of(ctx)
    with errors(), Catalog(settings=settings, read_only=True, addresses=_addresses(settings)) as catalog:
        _note_repair(catalog.repaired)
        yield catalog


@contextmanager
def writing(ctx: typer.Context, *, advice: Advice, settings: Settings | None = None) -> Iterator[Catalog]:
    """The catalog, opened to write (with ``settings``, else those of the options); if a server holds the
    store, exit 2 with ``advice``. The command's attempt is recorded in the audit (granted with what it
    wrote, or failed), its agent the operating-system user (docs/architecture.md, section 10)."""
    settings = settings or settings_of(ctx)
    with errors():
        try:
            catalog = Catalog(settings=settings, addresses=_addresses(settings))
        except StoreInUseError as error:
            in_use(error, settings=settings, advice=advice)
        with catalog:
            _note_repair(catalog.repaired)
            # every write attempt of a command is audited, its agent the operating-system user
            attempt = Attempt(agent=os_user(), action=ctx.command_path, request_id=uuid.uuid4().hex)
            gate = PermissionGate(permissions=frozenset(Permission), who=attempt.agent)
            with catalog.audit.recording(store=catalog.store, attempt=attempt, gate=gate):
                yield catalog
