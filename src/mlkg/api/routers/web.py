"""The web interface's own routes (docs/architecture.md, section 11): ``/`` (the landing page, or a JSON
summary with links for other clients), ``/impact`` (what a change to an entity affects, grouped by kind, and
whom to tell), ``/docs`` (Swagger UI from the vendored assets) and ``/static/`` (mlkg's scripts, styles and
the vendored libraries, with cache headers). Pages read through the Catalog and Store API only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from rdflib import Literal, URIRef
from starlette.responses import Response as StarletteResponse

from mlkg import __version__
from mlkg.access.roles import Permission
from mlkg.api.auth import needs
from mlkg.api.deps import run_read, state_of
from mlkg.api.routers.lineage import entity_resolver
from mlkg.api.webpage import DOCS_POLICY, browser_asks, page
from mlkg.reasoning.impact import Direction, impact
from mlkg.store.base import SelectResult
from mlkg.vocab import MLKG
from mlkg.web import STATIC_PACKAGE
from mlkg.web.overview import Change, kind_counts, recent_changes
from mlkg.web.terms import Shown, show_term

__all__ = ["CachedStatic", "router"]

router = APIRouter(tags=["Web"])

_JSON_ONLY = ("application/json",)


class CachedStatic(StaticFiles):
    """``/static/``: the package's ``static/`` folder (:data:`mlkg.web.STATIC_PACKAGE`), each answer with a
    ``Cache-Control`` header (a day; the vendored libraries change only with an mlkg release) besides the
    ETag and Last-Modified StaticFiles gives, so a page's assets are not fetched again on every visit. Paths
    are resolved by StaticFiles, which refuses any that leaves the folder."""

    def __init__(self) -> None:
        super().__init__(packages=[STATIC_PACKAGE])

    def file_response(self, *args: Any, **kwargs: Any) -> StarletteResponse:
        response = super().file_response(*args, **kwargs)
        response.headers["cache-control"] = "public, max-age=86400"
        response.headers["x-content-type-options"] = "nosniff"
        return response


@router.get(
    "/",
    dependencies=[needs(Permission.READ)],
    summary="The landing page (HTML for browsers), else a summary of the catalog with links",
)
async def landing(request: Request) -> Response:
    state = state_of(request)
    base = state.settings.base_iri
    timeout = state.settings.query_timeout

    def overview() -> tuple[list[tuple[str, int]], list[Change]]:
        counts = kind_counts(store=state.store, kinds=state.program.kinds, timeout=timeout)
        return counts, recent_changes(store=state.store, base=base, timeout=timeout)

    counts, changes = await run_read(state, overview, timeout=timeout)
    if browser_asks(request, data_types=_JSON_ONLY):
        return page(request, "landing.html", counts=counts, changes=changes, queries=list(state.queries))
    root = str(request.base_url)
    body = {
        "name": "mlkg",
        "version": __version__,
        "entities": dict(counts),
        "recentChanges": [
            {
                "entity": c.entity.iri,
                "name": c.entity.text,
                "version": c.version,
                "changeType": c.change,
                "at": None if c.at is None else c.at.isoformat(),
                "by": c.by,
                "deleted": c.deleted,
            }
            for c in changes
        ],
        "links": {
            "search": f"{root}search?q=",
            "queries": f"{root}queries",
            "sparql": f"{root}sparql",
            "lineage": f"{root}lineage?entity=",
            "export": f"{root}export",
            "openapi": f"{root}openapi.json",
            "docs": f"{root}docs",
        },
    }
    return JSONResponse(body, headers={"vary": "Accept"})


def _named(iri: URIRef, name: str, *, base: str) -> Shown:
    link = show_term(iri, base=base)
    return Shown(text=name or link.text, href=link.href, iri=link.iri)


def _owners(result: SelectResult, *, base: str) -> list[dict[str, Any]]:
    """The rows of ``owners-to-notify`` grouped by owner: each owner's name, link and affected assets."""
    owners: dict[str, dict[str, Any]] = {}
    for row in result.dicts():
        owner = row.get("owner")
        if not isinstance(owner, URIRef):
            continue
        shown = show_term(owner, base=base)
        name = str(row.get("ownerName", shown.text))
        entry = owners.setdefault(
            str(owner),
            {
                "owner": Shown(text=name, href=shown.href, iri=shown.iri),
                "name": name,
                "kind": str(row.get("ownerKind", "owner")),
                "assets": [],
            },
        )
        asset = row.get("asset")
        if isinstance(asset, URIRef):
            link = show_term(asset, base=base)
            label = row.get("assetName")
            text = str(label) if isinstance(label, Literal) else link.text
            entry["assets"].append(
                {
                    "asset": Shown(text=text, href=link.href, iri=link.iri),
                    "name": text,
                    "kind": str(row.get("assetKind", "")),
                }
            )
    return sorted(owners.values(), key=lambda o: str(o["name"]).lower())


@router.get(
    "/impact",
    dependencies=[needs(Permission.READ)],
    summary="What a change to an entity affects, by kind, and the owners to notify",
)
async def impact_page(
    request: Request,
    entity: Annotated[str, Query(description="IRI, fully qualified name or name of the asset.")],
    direction: Annotated[Direction, Query()] = Direction.DOWNSTREAM,
) -> Response:
    state = state_of(request)
    resolve = entity_resolver(request)
    base = state.settings.base_iri
    notify = state.queries.get(name="owners-to-notify")

    def read() -> tuple[Any, list[dict[str, Any]], str]:
        iri = resolve(entity)
        report = impact(store=state.store, program=state.program, entity=str(iri), direction=direction)[0]
        owners: list[dict[str, Any]] = []
        if direction is Direction.DOWNSTREAM:
            result = state.store.query(
                query=notify.text, bindings={"table": iri}, timeout=state.settings.query_timeout
            )
            assert isinstance(result, SelectResult)
            owners = _owners(result, base=base)
        names = [
            str(o)
            for _, _, o, _ in state.store.quads(subject=iri, predicate=MLKG.fullyQualifiedName)
            if isinstance(o, Literal)
        ]
        return report, owners, names[0] if names else str(iri)

    report, owners, name = await run_read(state, read, timeout=state.settings.query_timeout)
    if browser_asks(request, data_types=_JSON_ONLY):
        groups = [
            (kind, [(_named(a.iri, a.name, base=base), a.name) for a in assets])
            for kind, assets in report.by_kind().items()
        ]
        return page(
            request,
            "impact.html",
            entity=show_term(report.entity, base=base),
            name=name,
            direction=report.direction.value,
            total=len(report),
            groups=groups,
            owners=owners,
        )
    body = {
        "entity": str(report.entity),
        "direction": report.direction.value,
        "count": len(report),
        "byKind": {kind: [a.to_dict() for a in assets] for kind, assets in report.by_kind().items()},
        "owners": [
            {
                "owner": o["owner"].iri,
                "name": o["name"],
                "kind": o["kind"],
                "assets": [a["asset"].iri for a in o["assets"]],
            }
            for o in owners
        ],
    }
    return JSONResponse(body, headers={"vary": "Accept"})


@router.get("/docs", include_in_schema=False)
async def docs(request: Request) -> Response:
    """Swagger UI over ``/openapi.json``, from the vendored swagger-ui-dist (no other host)."""
    return page(request, "docs.html", policy=DOCS_POLICY)
