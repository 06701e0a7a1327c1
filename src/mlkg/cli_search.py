"""``mlkg search`` and ``mlkg reindex``: full-text search over the catalog's entities, as ``GET /search``
answers it, and the explicit rebuild of the search index (README, "Search"; docs/architecture.md, section 9).

``mlkg search`` only reads (it works while ``mlkg serve`` holds the store, reading the index the server
keeps); ``mlkg reindex`` writes the index and is refused, with directions, while a server holds the store.
:mod:`mlkg.cli` registers them.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated

import typer

from mlkg.cli_open import reading, writing
from mlkg.cli_options import store_options
from mlkg.search import MAX_LIMIT, MAX_OFFSET, SearchResults

__all__ = ["SearchFormat", "reindex_command", "search_command"]


class SearchFormat(StrEnum):
    """How ``mlkg search`` prints its results."""

    TABLE = "table"
    JSON = "json"


@store_options
def search_command(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(metavar="QUERY", help="Words to find (each as a prefix).")],
    type: Annotated[
        str | None, typer.Option("--type", help="Only entities of this kind (model, table, dashboard, ...).")
    ] = None,
    tag: Annotated[
        str | None, typer.Option("--tag", help="Only entities with this tag (fully qualified).")
    ] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Only entities of this team or user.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=MAX_LIMIT, help="Results shown.")] = 20,
    offset: Annotated[int, typer.Option("--offset", min=0, max=MAX_OFFSET, help="Results skipped.")] = 0,
    format: Annotated[SearchFormat, typer.Option("--format", help="table or json.")] = SearchFormat.TABLE,
) -> None:
    """Entities whose names, tags, description, columns or features hold every word of QUERY, best first."""
    with reading(ctx) as catalog:
        found = catalog.search(query, type=type, tag=tag, owner=owner, limit=limit, offset=offset)
    if format is SearchFormat.JSON:
        typer.echo(json.dumps(found.as_json(), indent=2, ensure_ascii=False))
        return
    _print_table(found)


def _print_table(found: SearchResults) -> None:
    rows = [
        (
            hit.type,
            hit.fully_qualified_name or hit.name or hit.iri,
            hit.display_name or "",
            f"{hit.score:.3f}",
        )
        for hit in found.results
    ]
    widths = [
        max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(("TYPE", "NAME", "DISPLAY", ""))
    ]
    if rows:
        typer.echo(
            "  ".join(h.ljust(w) for h, w in zip(("TYPE", "NAME", "DISPLAY", "SCORE"), widths, strict=True))
        )
    for row in rows:
        typer.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    kinds = ", ".join(f"{kind} {n}" for kind, n in found.facets.type.items())
    shown = f"{found.offset + 1}-{found.offset + len(rows)} of " if rows else ""
    typer.echo(f"mlkg: {shown}{found.total} entities match{f' ({kinds})' if kinds else ''}", err=True)


@store_options
def reindex_command(ctx: typer.Context) -> None:
    """Rebuild the search index from every entity of the store (every write already keeps it up to date)."""

    def advice(url: str) -> str:
        return "it keeps the search index up to date after every write (nothing to rebuild)"

    with writing(ctx, advice=advice) as catalog:
        count = catalog.reindex()
    typer.echo(f"mlkg: search index rebuilt: {count} entities", err=True)
