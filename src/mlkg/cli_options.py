"""The store-selecting options of the ``mlkg`` command (DESIGN.md, store selection): their declarations, how
options given before and after the sub-command combine, and how they become :class:`~mlkg.config.Settings`."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Annotated

import typer

from mlkg.config import Settings

__all__ = [
    "STORE_OPTIONS",
    "BaseOpt",
    "EndpointOpt",
    "GspOpt",
    "PasswordOpt",
    "StoreOpt",
    "StoreOptions",
    "UpdateOpt",
    "UserOpt",
    "hoist_store_options",
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

    def merged(self, other: StoreOptions | None) -> StoreOptions:
        """Options given after the sub-command win over those given before it."""
        if other is None:
            return self
        return StoreOptions(**{f.name: getattr(self, f.name) or getattr(other, f.name) for f in fields(self)})

    def settings(self) -> Settings:
        """Settings from these options, falling back to ``MLKG_*`` variables, then to the defaults."""
        given = {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}
        return Settings(**given)


StoreOpt = Annotated[
    str | None, typer.Option("--store", help="Embedded store directory, or 'memory:' [env MLKG_STORE].")
]
EndpointOpt = Annotated[
    str | None, typer.Option("--sparql-endpoint", help="Remote SPARQL 1.1 query endpoint.")
]
UpdateOpt = Annotated[
    str | None, typer.Option("--update-endpoint", help="Remote SPARQL 1.1 update endpoint.")
]
GspOpt = Annotated[str | None, typer.Option("--gsp-endpoint", help="Remote Graph Store Protocol endpoint.")]
UserOpt = Annotated[str | None, typer.Option("--sparql-user", help="User for the remote endpoint.")]
PasswordOpt = Annotated[
    str | None, typer.Option("--sparql-password", help="Password for the remote endpoint.")
]
BaseOpt = Annotated[
    str | None, typer.Option("--base-iri", help="Base of minted entity IRIs [env MLKG_BASE_IRI].")
]


#: Options that select the store: accepted before or after any sub-command (DESIGN.md, store selection).
STORE_OPTIONS = frozenset(
    {
        "--store",
        "--sparql-endpoint",
        "--update-endpoint",
        "--gsp-endpoint",
        "--sparql-user",
        "--sparql-password",
        "--base-iri",
    }
)


def hoist_store_options(argv: list[str]) -> list[str]:
    """Move store options given after the sub-command in front of it, where the top-level callback reads
    them, so every command takes all of them in either place. Nothing after ``--`` is touched; a store option
    a command declares itself means the same in front of it."""
    index = 0
    while index < len(argv) and argv[index].startswith("-"):
        index += 2 if argv[index] in STORE_OPTIONS else 1
    if index >= len(argv):
        return list(argv)
    front, command, rest = list(argv[:index]), argv[index], argv[index + 1 :]
    kept: list[str] = []
    position = 0
    while position < len(rest):
        token = rest[position]
        if token == "--":
            kept.extend(rest[position:])
            break
        name = token.split("=", 1)[0]
        if name in STORE_OPTIONS:
            taken = 1 if "=" in token else 2
            front.extend(rest[position : position + taken])
            position += taken
            continue
        kept.append(token)
        position += 1
    return [*front, command, *kept]
