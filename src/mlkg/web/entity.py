"""What an entity's page shows, from its triples (docs/architecture.md, section 11): a summary (kind, owners,
tags, version, description), its properties, the nodes its document owns (features, columns, ...), the
entities that refer to it and its lineage for readers without scripts. The interactive lineage graph is
drawn by ``static/entity.js`` from ``GET /lineage``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

from rdflib import Literal, URIRef
from rdflib.namespace import RDF

from mlkg.store.base import Object, Subject, Triple
from mlkg.vocab import MLKG
from mlkg.web.terms import Shown, shorten, show_term

__all__ = ["EntityView", "entity_view"]

#: Properties the summary shows; the properties table leaves them out.
_SUMMARY = frozenset({MLKG.name, MLKG.displayName, MLKG.description, MLKG.owner, MLKG.tag})


@dataclass(frozen=True)
class Row:
    """One property and its value."""

    property: str
    property_iri: str
    value: Shown


@dataclass(frozen=True)
class Part:
    """A node the entity's document owns, with its properties."""

    title: Shown
    rows: list[Row]


@dataclass(frozen=True)
class EntityView:
    """Everything the entity page template prints (text only: the template escapes it)."""

    iri: str
    title: str
    name: str
    kind: str
    description: str | None
    version: str | None
    owners: list[Shown]
    tags: list[str]
    rows: list[Row]
    parts: list[Part]
    referrers: list[tuple[Shown, str]]
    upstream: list[Shown]
    downstream: list[Shown]
    limit: int
    links: dict[str, str] = field(default_factory=dict)


def _label(triples: Sequence[Triple], node: Subject | Object, props: Sequence[URIRef]) -> str | None:
    for prop in props:
        for s, p, o in triples:
            if s == node and p == prop and isinstance(o, Literal):
                return str(o)
    return None


def _rows(triples: Sequence[Triple], node: Subject, *, base: str, skip: frozenset[URIRef]) -> list[Row]:
    own = [(p, o) for s, p, o in triples if s == node and p not in skip]
    own.sort(key=lambda r: (r[0] != RDF.type, shorten(str(r[0])), str(r[1])))
    return [Row(property=shorten(str(p)), property_iri=str(p), value=show_term(o, base=base)) for p, o in own]


def entity_view(
    *,
    iri: URIRef,
    triples: Sequence[Triple],
    referrers: Sequence[Triple],
    upstream: Sequence[URIRef],
    downstream: Sequence[URIRef],
    kind: str,
    base: str,
    limit: int,
) -> EntityView:
    """The page of ``iri`` from its triples, the triples pointing at it and its inferred lineage; ``kind`` is
    its kind's name (:mod:`mlkg.reasoning.kinds`)."""
    name = _label(triples, iri, (MLKG.fullyQualifiedName, MLKG.name)) or str(iri)
    title = _label(triples, iri, (MLKG.displayName, MLKG.name)) or name
    version = _label(triples, iri, (MLKG.entityVersion,))
    owners = [show_term(o, base=base) for s, p, o in triples if s == iri and p == MLKG.owner]
    for index, owner in enumerate(owners):
        named = _label(triples, URIRef(owner.iri), (MLKG.displayName, MLKG.name)) if owner.iri else None
        if named:
            owners[index] = Shown(text=named, href=owner.href, iri=owner.iri)
    tag_nodes = {o for s, p, o in triples if s == iri and p == MLKG.tag}
    tags = sorted(_label(triples, o, (MLKG.tagFQN, MLKG.name)) or str(o) for o in tag_nodes)
    skip = frozenset(_SUMMARY | {MLKG.entityVersion})
    parts = []
    for node in sorted({s for s, _, _ in triples if s != iri and s not in tag_nodes}, key=str):
        heading = _label(triples, node, (MLKG.name, MLKG.fullyQualifiedName))
        shown = show_term(node, base=base)
        if heading and shown.href is None:
            shown = Shown(text=heading, note=shown.text)
        parts.append(Part(title=shown, rows=_rows(triples, node, base=base, skip=frozenset())))
    quoted = quote(str(iri), safe="")
    # the entity's own page: /id/... for an IRI under the base (entity pages are served only there)
    page = show_term(iri, base=base).href or f"/id/{quote(str(iri), safe='')}"
    return EntityView(
        iri=str(iri),
        title=title,
        name=name,
        kind=kind,
        description=_label(triples, iri, (MLKG.description,)),
        version=version,
        owners=owners,
        tags=tags,
        rows=_rows(triples, iri, base=base, skip=skip),
        parts=parts,
        referrers=[(show_term(s, base=base), shorten(str(p))) for s, p, _ in referrers[:limit]],
        upstream=[show_term(u, base=base) for u in upstream],
        downstream=[show_term(d, base=base) for d in downstream],
        limit=limit,
        links={
            "upstream_json": f"/lineage?entity={quoted}&direction=upstream",
            "downstream_json": f"/lineage?entity={quoted}&direction=downstream",
            "impact": f"/impact?entity={quoted}",
            "impact_query": f"/queries/downstream?entity={quoted}",
            "history": f"{page}/versions",
            "turtle": f"{page}?format=ttl",
            "jsonld": f"{page}?format=jsonld",
        },
    )
