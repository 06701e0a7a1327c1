"""The answer of a search, in the one JSON shape the HTTP route, the CLI and Python users share
(docs/architecture.md, section 9; README, "Search").

``{"query", "total", "limit", "offset", "results": [{"iri", "type", "name", "fullyQualifiedName",
"displayName", "description", "tags", "owners", "score", "highlights"}], "facets": {"type": {...}, "tag":
{...}, "owner": {...}}}``. A highlight is a list of fragments, each a piece of text and whether it matched,
so a page renders it without parsing markup out of stored text.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Facets", "Fragment", "SearchHit", "SearchResults"]


class Fragment(BaseModel):
    """A piece of a highlighted field: its text, and whether it is a word the search matched."""

    model_config = ConfigDict(frozen=True)

    text: str
    match: bool


class SearchHit(BaseModel):
    """One entity found: its IRI, kind (the ontology class, e.g. ``model``, ``table``), names, tags, owners,
    its relevance (higher is better; bm25 with the name weighted highest) and, for the description and the
    parts (columns, features) that matched, the matching passage."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    iri: str
    type: str
    name: str | None = None
    fully_qualified_name: str | None = Field(default=None, alias="fullyQualifiedName")
    display_name: str | None = Field(default=None, alias="displayName")
    description: str | None = None
    tags: list[str] = Field(default_factory=list)
    owners: list[str] = Field(default_factory=list)
    score: float
    highlights: dict[str, list[Fragment]] = Field(default_factory=dict)


class Facets(BaseModel):
    """Counts of the matching entities per kind, per tag and per owner (the 20 most frequent tags and
    owners). Each facet counts with the other filters applied but not its own, so it shows what choosing
    another value would give."""

    model_config = ConfigDict(frozen=True)

    type: dict[str, int] = Field(default_factory=dict)
    tag: dict[str, int] = Field(default_factory=dict)
    owner: dict[str, int] = Field(default_factory=dict)


class SearchResults(BaseModel):
    """A page of search results: the text searched, how many entities match in all, the page, facets."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    query: str
    total: int
    limit: int
    offset: int
    results: list[SearchHit] = Field(default_factory=list)
    facets: Facets = Field(default_factory=Facets)

    def as_json(self) -> dict[str, object]:
        """The stable JSON shape (camel-case keys, as the HTTP route answers)."""
        return self.model_dump(mode="json", by_alias=True)
