"""Lineage as OpenMetadata's ``EntityLineage`` (``GET /api/v1/lineage/{entity}/name/{fqn}``).

OpenMetadata answers ``{"entity": EntityReference, "nodes": [EntityReference...], "upstreamEdges": [edge...],
"downstreamEdges": [edge...]}`` (``type/entityLineage.json``), each edge ``{"fromEntity": id, "toEntity":
id}`` naming its ends by their entity ids, data flowing from ``fromEntity`` to ``toEntity``, with
``lineageDetails`` when the edge has them. mlkg builds it from its own lineage walk (the subgraph ``GET
/lineage`` answers, ``upstreamDepth`` and ``downstreamDepth`` hops over asserted lineage): every mlkg node is
a node, features and feature sources included, and an edge added by an ``addLineage`` request
(:mod:`mlkg.ingest.edges`) carries its ``lineageDetails``: ``columnsLineage`` (column FQNs), ``pipeline``
and ``description``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rdflib import RDF, Literal, URIRef

from mlkg.exports.openmetadata import OpenMetadataJson
from mlkg.ids import IriMinter, join_fqn
from mlkg.store.base import Store
from mlkg.vocab import MLKG

__all__ = ["lineage_json"]


def lineage_json(
    *,
    store: Store,
    renderer: OpenMetadataJson,
    minter: IriMinter,
    entity: URIRef,
    upstream: Mapping[str, Any],
    downstream: Mapping[str, Any],
) -> dict[str, Any]:
    """The ``EntityLineage`` of ``entity`` from its upstream and downstream lineage walks (the
    ``LineageGraph.to_dict()`` form: ``nodes`` with ``id`` IRIs, ``edges`` with ``source``, ``target`` and
    ``graph``).

    :raises StoreError: if the store fails.
    """
    references: dict[str, dict[str, Any]] = {}

    def ref(iri: str) -> dict[str, Any]:
        if iri not in references:
            references[iri] = renderer.reference(store=store, iri=URIRef(iri))
        return references[iri]

    main = ref(str(entity))
    for walk in (upstream, downstream):
        for node in walk.get("nodes", []):
            ref(node["id"])
    answer: dict[str, Any] = {
        "entity": main,
        "nodes": sorted(
            (r for iri, r in references.items() if iri != str(entity)),
            key=lambda r: (r.get("type", ""), r.get("fullyQualifiedName", ""), r["id"]),
        ),
    }
    for key, walk in (("upstreamEdges", upstream), ("downstreamEdges", downstream)):
        edges: dict[tuple[str, str], dict[str, Any]] = {}
        for edge in walk.get("edges", []):
            pair = (ref(edge["source"])["id"], ref(edge["target"])["id"])
            found = edges.setdefault(pair, {"fromEntity": pair[0], "toEntity": pair[1]})
            details = _details(
                store, renderer, minter, minter.mint_edge(source=edge["source"], target=edge["target"])
            )
            if details:
                found.update(details)
        answer[key] = sorted(edges.values(), key=lambda e: (e["fromEntity"], e["toEntity"]))
    return answer


def _details(
    store: Store, renderer: OpenMetadataJson, minter: IriMinter, iri: URIRef
) -> dict[str, Any] | None:
    """The ``description`` and ``lineageDetails`` the lineage edge document ``iri`` gives, if it is stored
    (an edge added by an addLineage request; its IRI is minted from its two ends)."""
    if (
        next(iter(store.quads(subject=iri, predicate=RDF.type, object=MLKG.LineageEdge, graph=iri)), None)
        is None
    ):
        return None
    triples = [(s, p, o) for s, p, o, _ in store.quads(graph=iri)]
    details: dict[str, Any] = {}
    out: dict[str, Any] = {}
    columns = sorted(
        {o for s, p, o in triples if s == iri and p == MLKG.columnLineage and isinstance(o, URIRef)}
    )
    if columns:
        details["columnsLineage"] = [
            {
                "fromColumns": sorted(
                    _fqn(minter, o) for s, p, o in triples if s == column and p == MLKG.derivedFromColumn
                ),
                "toColumn": _fqn(minter, column),
            }
            for column in columns
        ]
    for s, p, o in triples:
        if s == iri and p == MLKG.lineagePipeline and isinstance(o, URIRef):
            details["pipeline"] = renderer.reference(store=store, iri=o)
        if s == iri and p == MLKG.description and isinstance(o, Literal):
            out["description"] = details["description"] = str(o)
    if details:
        out["lineageDetails"] = details
    return out


def _fqn(minter: IriMinter, iri: object) -> str:
    parsed = minter.parse(str(iri))
    return join_fqn(parsed[1]) if parsed is not None else str(iri)
