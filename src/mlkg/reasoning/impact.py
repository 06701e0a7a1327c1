"""Impact analysis: everything downstream (or upstream) of an asset, grouped by kind, with explanations.

The assets and their names come from the named queries ``queries/downstream.rq`` and ``queries/upstream.rq``
over the inferred graph; each asset can carry the shortest asserted path that explains it (:mod:`.explain`).
Each asset's kind comes from the ontology (:mod:`.kinds`: ``mlkg:kindName``, ``mlkg:kindPrecedence``), applied
to its ``rdf:type`` values, which one more query reads for every asset of a report; kinds are listed in the
order ``mlkg:kindOrder`` gives. So a kind declared only in the ontology is reported by its name, while the
named queries' own ``?kind`` (for SPARQL users of ``/queries``) still needs their IF chains updated
(docs/architecture.md, section 6).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from rdflib import URIRef

from mlkg.ntriples import term_nt
from mlkg.queries import QueryCatalog
from mlkg.queries.resolve import resolve_entities
from mlkg.reasoning.explain import Hop, explain
from mlkg.reasoning.program import LineageProgram
from mlkg.store.base import SelectResult, Store
from mlkg.vocab import MLKG

__all__ = ["Direction", "ImpactReport", "ImpactedAsset", "impact"]


class Direction(str, Enum):
    DOWNSTREAM = "downstream"
    UPSTREAM = "upstream"


@dataclass(frozen=True)
class ImpactedAsset:
    iri: URIRef
    kind: str
    name: str
    path: tuple[Hop, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"iri": str(self.iri), "kind": self.kind, "name": self.name}
        if self.path is not None:
            out["path"] = [hop.to_dict() for hop in self.path]
        return out


@dataclass(frozen=True)
class ImpactReport:
    entity: URIRef
    direction: Direction
    assets: list[ImpactedAsset] = field(default_factory=list)

    def __len__(self) -> int:
        """The number of assets affected (downstream) or depended on (upstream)."""
        return len(self.assets)

    def __iter__(self) -> Iterator[ImpactedAsset]:
        return iter(self.assets)

    def by_kind(self) -> dict[str, list[ImpactedAsset]]:
        groups: dict[str, list[ImpactedAsset]] = {}
        for asset in self.assets:
            groups.setdefault(asset.kind, []).append(asset)
        return groups

    def to_text(self) -> str:
        """The report as the readable grouped table ``mlkg impact`` prints: one section per kind, each asset
        with the steps of its explanation (``from -> to  [predicate in graph]``) when paths were asked for."""
        lines = [f"{self.direction.value.capitalize()} of {self.entity}: {len(self.assets)} asset(s)"]
        for kind, assets in self.by_kind().items():
            lines.append(f"\n  {kind} ({len(assets)})")
            for asset in assets:
                lines.append(f"    {asset.name}")
                steps: dict[tuple[str, str], list[str]] = {}
                for hop in asset.path or ():
                    where = _short(str(hop.graph)) if hop.graph else "default graph"
                    label = f"{_short(hop.predicate)} in {where}"
                    key = (str(hop.step_from), str(hop.step_to))
                    steps.setdefault(key, [f"{_short(hop.chain)}:"] if hop.chain else []).append(label)
                for (start, end), labels in steps.items():
                    lines.append(f"        {_short(start)} -> {_short(end)}  [{' '.join(labels)}]")
        lines.append("")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "entity": str(self.entity),
            "direction": self.direction.value,
            "count": len(self.assets),
            "by_kind": {kind: len(items) for kind, items in self.by_kind().items()},
            "assets": [a.to_dict() for a in self.assets],
        }


#: The class memberships of every asset up or downstream of ``?entity`` (bound), the inferred graph's
#: superclass memberships included: the same reach as the named queries', so every asset they answer is here.
_TYPES = """SELECT ?entity ?asset ?type WHERE {{
  ?entity {reach} ?asset . ?asset a ?type . FILTER(isIRI(?asset) && isIRI(?type))
}}"""
_REACH = {Direction.DOWNSTREAM: MLKG.downstream, Direction.UPSTREAM: MLKG.upstream}


def _asset_types(*, store: Store, entity: URIRef, direction: Direction) -> dict[URIRef, set[URIRef]]:
    """The ``rdf:type`` values of every asset ``direction`` of ``entity`` (by the inferred graph), one query.

    :raises StoreError: if the store fails.
    """
    query = _TYPES.format(reach=term_nt(_REACH[direction]))
    result = store.query(query=query, bindings={"entity": entity})
    assert isinstance(result, SelectResult)
    types: dict[URIRef, set[URIRef]] = {}
    for row in result.dicts():
        asset, klass = row.get("asset"), row.get("type")
        if isinstance(asset, URIRef) and isinstance(klass, URIRef):
            types.setdefault(asset, set()).add(klass)
    return types


def _short(iri: str) -> str:
    return iri.rsplit("#", 1)[1] if "#" in iri else iri.split("/id/", 1)[-1]


def impact(
    *,
    store: Store,
    program: LineageProgram,
    entity: str,
    direction: Direction = Direction.DOWNSTREAM,
    with_paths: bool = False,
    catalog: QueryCatalog | None = None,
) -> list[ImpactReport]:
    """Impact of each entity ``entity`` names (an IRI, FQN or name; a short name may name several).

    :raises NotFoundError: if ``entity`` names nothing.
    :raises StoreError: if the store fails.
    """
    query = (catalog or QueryCatalog.load()).get(name=direction.value)
    reports = []
    for iri in resolve_entities(store=store, text=entity):
        result = query.run(store=store, arguments={"entity": str(iri)})
        assert isinstance(result, SelectResult)
        types = _asset_types(store=store, entity=iri, direction=direction)
        assets = []
        for row in result.dicts():
            asset = row["asset"]
            if not isinstance(asset, URIRef):
                continue
            path = None
            if with_paths:
                down, up = (asset, iri) if direction is Direction.DOWNSTREAM else (iri, asset)
                hops = explain(store=store, program=program, downstream=down, upstream=up)
                path = tuple(hops or ())
            kind = program.kinds.kind_of(types.get(asset, ()))
            assets.append(ImpactedAsset(iri=asset, kind=kind, name=str(row.get("name", asset)), path=path))
        assets.sort(key=lambda a: (program.kinds.sort_key(a.kind), a.name))
        reports.append(ImpactReport(entity=iri, direction=direction, assets=assets))
    return reports
