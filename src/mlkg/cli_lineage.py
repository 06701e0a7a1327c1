"""``mlkg lineage`` and ``mlkg explain``: the lineage subgraph around an entity and the asserted path between
two, as ``GET /lineage`` and :meth:`mlkg.Catalog.explain` give them (docs/architecture.md, section 1).

Both only read (they work while ``mlkg serve`` holds the store) and name entities as every command does
(:mod:`mlkg.queries.resolve`). :mod:`mlkg.cli` registers them.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from mlkg.cli_open import reading
from mlkg.cli_options import store_options
from mlkg.reasoning.impact import Direction

__all__ = ["explain_command", "lineage_command"]

EntityArg = Annotated[str, typer.Argument(metavar="ENTITY", help="IRI, fully qualified name or unique name.")]


@store_options
def lineage_command(
    ctx: typer.Context,
    entity: EntityArg,
    direction: Annotated[Direction, typer.Option("--direction", "-d")] = Direction.DOWNSTREAM,
    depth: Annotated[
        int | None, typer.Option("--depth", min=1, max=100, help="Hops at most (default: all).")
    ] = None,
    max_nodes: Annotated[int, typer.Option("--max-nodes", min=1, help="Node limit.")] = 2000,
) -> None:
    """The lineage subgraph around ENTITY as JSON (nodes and edges), as GET /lineage answers it."""
    with reading(ctx) as catalog:
        graph = catalog.lineage(entity, direction=direction, depth=depth, max_nodes=max_nodes)
    typer.echo(json.dumps(graph.to_dict(), indent=2, ensure_ascii=False))


@store_options
def explain_command(
    ctx: typer.Context,
    downstream: Annotated[str, typer.Argument(metavar="DOWNSTREAM", help="Where the data arrives.")],
    upstream: Annotated[str, typer.Argument(metavar="UPSTREAM", help="Where the data comes from.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the hops as JSON.")] = False,
) -> None:
    """The asserted triples by which data flows from UPSTREAM to DOWNSTREAM (exit 1 if it does not)."""
    with reading(ctx) as catalog:
        hops = catalog.explain(downstream=downstream, upstream=upstream)
        names = catalog.resolve(upstream), catalog.resolve(downstream)
    if as_json:
        typer.echo(json.dumps(None if hops is None else [h.to_dict() for h in hops], indent=2))
    elif hops is not None:
        for hop in hops:
            where = "default graph" if hop.graph is None else str(hop.graph)
            typer.echo(f"{hop.source} -> {hop.target}  [{hop.predicate} in {where}]")
    if hops is None:
        typer.echo(f"mlkg: no data flows from {names[0]} to {names[1]}", err=True)
        raise typer.Exit(1)
