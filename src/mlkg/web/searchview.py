"""What the search results page shows (docs/architecture.md, section 11), from the JSON shape of a search's
answer (``SearchResults.as_json()``, the same dictionary ``GET /search`` answers programs with): each hit as
a link (only for this server's entity IRIs and http(s) IRIs, :mod:`mlkg.web.terms`), its kind, its
highlighted passages as (text, matched) fragments, and the links of the facets and pages. Pure: no store.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from mlkg.web.terms import Shown, show_term

__all__ = ["Hit", "search_view"]

_FACETS = ("type", "tag", "owner")


@dataclass(frozen=True)
class Hit:
    """One result as the page shows it."""

    link: Shown
    kind: str
    fqn: str | None
    description: str | None
    tags: list[str]
    owners: list[str]
    highlights: list[tuple[str, list[Mapping[str, Any]]]]


def _kind(name: str) -> str:
    """A kind as the pages name them: ``featureTable`` -> ``feature_table`` (the CSS classes' names)."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _url(params: Mapping[str, Any]) -> str:
    return "/search?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})


def search_view(
    results: Mapping[str, Any], *, base: str, filters: Mapping[str, str | None]
) -> dict[str, Any]:
    """The context of ``search.html``: ``results`` (the answer's JSON), ``hits``, ``filters`` (the ``type``,
    ``tag`` and ``owner`` asked for) and ``links`` (a facet value chosen or dropped, the previous and next
    pages), every link a ``/search`` URL with the same text and filters."""
    query = str(results.get("query", ""))
    limit, offset, total = int(results["limit"]), int(results["offset"]), int(results["total"])
    asked = {name: filters.get(name) for name in _FACETS}
    hits = []
    for found in results.get("results", []):
        shown = show_term(str(found["iri"]), base=base)
        title = found.get("displayName") or found.get("name") or found.get("fullyQualifiedName") or shown.text
        hits.append(
            Hit(
                link=Shown(text=str(title), href=shown.href, iri=shown.iri),
                kind=_kind(str(found.get("type", ""))),
                fqn=found.get("fullyQualifiedName"),
                description=found.get("description"),
                tags=list(found.get("tags", [])),
                owners=list(found.get("owners", [])),
                highlights=[(field, list(parts)) for field, parts in (found.get("highlights") or {}).items()],
            )
        )
    here = {"q": query, **asked}
    facets = results.get("facets", {})
    links: dict[str, Any] = {
        "facet": {
            name: {value: _url({**here, name: value}) for value in facets.get(name, {})} for name in _FACETS
        },
        "without": {name: _url({**here, name: None}) for name in _FACETS},
        "previous": _url({**here, "offset": max(0, offset - limit)}) if offset > 0 else None,
        "next": _url({**here, "offset": offset + limit}) if offset + limit < total else None,
    }
    return {"results": results, "hits": hits, "filters": asked, "links": links, "search_text": query}
