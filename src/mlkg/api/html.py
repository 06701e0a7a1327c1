"""The readable HTML page of an entity, for people following an entity IRI in a browser.

It lists the entity's own triples and the nodes its document owns (features, columns, ...), the entities that
refer to it, and its lineage: what it depends on and what depends on it, with links to the full lineage
graph, the named impact queries and the RDF representations. Every IRI minted under the server's base links
to its own page. All text is HTML-escaped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from urllib.parse import quote

from rdflib import Literal, URIRef
from rdflib.namespace import RDF

from mlkg.store.base import Object, Triple
from mlkg.vocab import MLKG, NS

__all__ = ["entity_page"]

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#222}
h1{margin-bottom:.2rem} .iri{color:#666;font-family:monospace;word-break:break-all}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}
td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{width:16rem;font-weight:600;color:#444} code{font-size:.9em} nav a{margin-right:1rem}
"""


def _short(iri: str) -> str:
    if iri.startswith(NS):
        return "mlkg:" + iri[len(NS) :]
    if iri == str(RDF.type):
        return "rdf:type"
    return iri


class _Linker:
    def __init__(self, base: str) -> None:
        self.base = base

    def href(self, iri: str) -> str:
        if iri.startswith(self.base):
            return "/id/" + iri[len(self.base) :]
        return iri

    def term(self, term: Object) -> str:
        if isinstance(term, URIRef):
            text = str(term)
            label = text[len(self.base) :] if text.startswith(self.base) else _short(text)
            return f'<a href="{escape(self.href(text))}">{escape(label)}</a>'
        if isinstance(term, Literal):
            value = escape(str(term))
            if term.datatype is not None:
                return f'{value} <span class="iri">({escape(_short(str(term.datatype)))})</span>'
            return f"{value} <span class='iri'>@{escape(term.language)}</span>" if term.language else value
        return f"<code>_:{escape(str(term))}</code>"


def _table(rows: Iterable[tuple[URIRef, Object]], link: _Linker) -> str:
    cells = [
        f"<tr><th>{escape(_short(str(p)))}</th><td>{link.term(o)}</td></tr>"
        for p, o in sorted(rows, key=lambda r: (str(r[0]) != str(RDF.type), str(r[0]), str(r[1])))
    ]
    return "<table>" + "".join(cells) + "</table>"


def entity_page(
    *,
    iri: URIRef,
    triples: Sequence[Triple],
    referrers: Sequence[Triple],
    upstream: Sequence[URIRef],
    downstream: Sequence[URIRef],
    base: str,
    limit: int,
) -> str:
    """The HTML page of ``iri`` from its triples, the triples pointing at it and its inferred lineage."""
    link = _Linker(base)
    own = [(p, o) for s, p, o in triples if s == iri]
    names = [str(o) for p, o in own if p in (MLKG.name, MLKG.fullyQualifiedName)]
    title = names[0] if names else str(iri)
    quoted = quote(str(iri), safe="")
    page = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{escape(title)} - mlkg</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1><p class='iri'>{escape(str(iri))}</p>",
        "<nav>",
        f'<a href="/lineage?entity={quoted}&amp;direction=upstream">upstream lineage (JSON)</a>',
        f'<a href="/lineage?entity={quoted}&amp;direction=downstream">downstream lineage (JSON)</a>',
        f'<a href="/queries/downstream?entity={quoted}">impact query</a>',
        f'<a href="{escape(link.href(str(iri)))}?format=ttl">Turtle</a>',
        f'<a href="{escape(link.href(str(iri)))}?format=jsonld">JSON-LD</a>',
        "</nav>",
        _table(own, link),
    ]
    parts = sorted({s for s, _, _ in triples if s != iri}, key=str)
    for node in parts:
        rows = [(p, o) for s, p, o in triples if s == node]
        page.append(f"<h3>{link.term(node) if isinstance(node, URIRef) else escape(str(node))}</h3>")
        page.append(_table(rows, link))
    for heading, assets in (("Depends on (upstream)", upstream), ("Affects (downstream)", downstream)):
        shown = "".join(f"<li>{link.term(a)}</li>" for a in assets[:limit])
        more = f"<li>... and {len(assets) - limit} more</li>" if len(assets) > limit else ""
        page.append(f"<h2>{heading}: {len(assets)}</h2><ul>{shown}{more}</ul>")
    if referrers:
        listed = "".join(
            f"<tr><td>{link.term(s)}</td><td>{escape(_short(str(p)))}</td></tr>"
            for s, p, _ in referrers[:limit]
        )
        page.append(f"<h2>Referred to by</h2><table>{listed}</table>")
    page.append("</body></html>")
    return "".join(page)
