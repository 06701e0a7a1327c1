"""The store-selecting options of the ``mlkg`` command (docs/architecture.md; README, "Using mlkg"): their one
declaration, and how options given before and after the sub-command combine into
:class:`~mlkg.config.Settings`.

Typer parses them in both places itself: the top-level callback declares them, and :func:`store_options`
adds the same declarations to a sub-command. No argument list is rewritten, so ``main(argv)`` and the console
script parse exactly what they are given.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Annotated, Any, TypeVar, get_type_hints

import typer

from mlkg.config import Settings

__all__ = [
    "BaseOpt",
    "EndpointOpt",
    "GspOpt",
    "PasswordOpt",
    "SearchIndexOpt",
    "StoreOpt",
    "StoreOptions",
    "UpdateOpt",
    "UserOpt",
    "options_of",
    "store_options",
]


@dataclass
class StoreOptions:
    """The store-selecting options, shared by the top-level callback and every sub-command."""

    store: str | None = None
    sparql_endpoint: str | None = None
    update_endpoint: str | None = None
    gsp_endpoint: str | None = None
    sparql_user: str | None = None
    sparql_password: str | None = None
    base_iri: str | None = None
    search_index: str | None = None

    def merged(self, other: StoreOptions | None) -> StoreOptions:
        """Options given after the sub-command win over those given before it."""
        if other is None:
            return self
        return StoreOptions(**{f.name: getattr(self, f.name) or getattr(other, f.name) for f in fields(self)})

    def settings(self) -> Settings:
        """Settings from these options, falling back to ``MLKG_*`` variables, then to the defaults.

        :raises pydantic.ValidationError: if a value (or an ``MLKG_*`` variable) is not valid.
        """
        given = {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}
        return Settings(**given)


# Help texts name their variable in parentheses: square brackets would be read as rich markup and vanish.
StoreOpt = Annotated[
    str | None,
    typer.Option("--store", metavar="DIR", help="Embedded store directory, or 'memory:' (env MLKG_STORE)."),
]
EndpointOpt = Annotated[
    str | None,
    typer.Option(
        "--sparql-endpoint",
        metavar="URL",
        help="Remote SPARQL 1.1 query endpoint (env MLKG_SPARQL_ENDPOINT).",
    ),
]
UpdateOpt = Annotated[
    str | None,
    typer.Option(
        "--update-endpoint",
        metavar="URL",
        help="Remote SPARQL 1.1 update endpoint (env MLKG_UPDATE_ENDPOINT).",
    ),
]
GspOpt = Annotated[
    str | None,
    typer.Option(
        "--gsp-endpoint", metavar="URL", help="Remote Graph Store Protocol endpoint (env MLKG_GSP_ENDPOINT)."
    ),
]
UserOpt = Annotated[
    str | None,
    typer.Option(
        "--sparql-user", metavar="USER", help="User for the remote endpoint (env MLKG_SPARQL_USER)."
    ),
]
PasswordOpt = Annotated[
    str | None,
    typer.Option(
        "--sparql-password",
        metavar="PASSWORD",
        help="Password for the remote endpoint (env MLKG_SPARQL_PASSWORD).",
    ),
]
BaseOpt = Annotated[
    str | None,
    typer.Option("--base-iri", metavar="IRI", help="Base of minted entity IRIs (env MLKG_BASE_IRI)."),
]

SearchIndexOpt = Annotated[
    str | None,
    typer.Option(
        "--search-index",
        metavar="PATH",
        help="Search index file, or 'memory:' (env MLKG_SEARCH_INDEX; default: beside the store).",
    ),
]

#: Each field of :class:`StoreOptions` with its one declaration.
_DECLARED: dict[str, Any] = {
    "store": StoreOpt,
    "sparql_endpoint": EndpointOpt,
    "update_endpoint": UpdateOpt,
    "gsp_endpoint": GspOpt,
    "sparql_user": UserOpt,
    "sparql_password": PasswordOpt,
    "base_iri": BaseOpt,
    "search_index": SearchIndexOpt,
}

F = TypeVar("F", bound=Callable[..., Any])


def options_of(ctx: typer.Context) -> StoreOptions:
    """The store options in effect for the running command (before and after its name, merged)."""
    found = ctx.obj
    return found if isinstance(found, StoreOptions) else StoreOptions()


def store_options(command: F) -> F:
    """Declare every store option on ``command`` too (it must take ``ctx: typer.Context``), so they may come
    after the sub-command name as well as before it; the values given there win, and the command reads the
    merged result with :func:`options_of`."""
    signature = inspect.signature(command, eval_str=True)
    added = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=declared)
        for name, declared in _DECLARED.items()
    ]

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        given = StoreOptions(**{name: kwargs.pop(name) for name in _DECLARED})
        ctx = kwargs["ctx"]
        ctx.obj = given.merged(options_of(ctx))
        return command(*args, **kwargs)

    wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*signature.parameters.values(), *added]
    )
    wrapper.__annotations__ = {
        **get_type_hints(command, include_extras=True),
        **{p.name: p.annotation for p in added},
    }
    return wrapper  # type: ignore[return-value]
