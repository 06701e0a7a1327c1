"""``GET /search?q=&type=&tag=&owner=&limit=&offset=``: ranked full-text search over the catalog's entities
(README, "Search"; docs/architecture.md, section 9), as JSON for programs, and as a page with facets for
browsers (docs/architecture.md, section 11).

The text is searched word by word (each a prefix, all required) in names, display names, fully qualified
names, tags, descriptions, column and feature names; it is never read as query syntax, so any text is a
plain search. The answer is :class:`~mlkg.search.SearchResults`: the page of hits and the counts per kind,
tag and owner of the whole match. 400 (JSON) for an unknown ``type``, a text past 500 characters or a
``limit`` / ``offset`` out of range.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from mlkg.access.roles import Permission
from mlkg.api.auth import needs
from mlkg.api.deps import run_read, state_of
from mlkg.api.webpage import browser_asks, page
from mlkg.search import MAX_LIMIT, MAX_OFFSET, SearchResults
from mlkg.search.terms import MAX_QUERY_CHARS
from mlkg.web.searchview import search_view

__all__ = ["router"]

router = APIRouter(tags=["Search"])


@router.get(
    "/search",
    dependencies=[needs(Permission.READ)],
    summary="Full-text search over entity names, descriptions, tags, columns and features",
    response_model=SearchResults,
)
async def search(
    request: Request,
    q: Annotated[
        str,
        Query(max_length=MAX_QUERY_CHARS, description="Words to find (each a prefix); empty: every entity."),
    ] = "",
    type: Annotated[
        str | None, Query(description="Only entities of this kind (model, mlmodel, table, dashboard, ...).")
    ] = None,
    tag: Annotated[
        str | None, Query(description="Only entities with this tag (its fully qualified name).")
    ] = None,
    owner: Annotated[
        str | None, Query(description="Only entities owned by this team or user (its name).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Results per page.")] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Results skipped (paging).")] = 0,
) -> SearchResults | Response:
    state = state_of(request)

    def run() -> SearchResults:
        return state.catalog.search(q, type=type, tag=tag, owner=owner, limit=limit, offset=offset)

    found = await run_read(state, run, timeout=state.settings.query_timeout)
    if browser_asks(request, data_types=("application/json",)):  # a browser: the results page
        filters = {"type": type, "tag": tag, "owner": owner}
        view = search_view(found.as_json(), base=state.settings.base_iri, filters=filters)
        return page(request, "search.html", **view)
    return found
