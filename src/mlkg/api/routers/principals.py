"""Principals and the audit over HTTP, for admins (docs/architecture.md, section 10):
``GET|POST /principals``, ``PUT /principals/{name}/role``, ``DELETE /principals/{name}`` and
``GET /audit?entity=&principal=&since=``.

A new principal's token is in the answer to its ``POST``, once: only its salted hash is stored. Changes of
principals are write attempts like any other, recorded in the audit (:func:`~mlkg.api.deps.run_write`).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from mlkg.access.audit import parse_instant
from mlkg.access.roles import Permission
from mlkg.api.auth import needs
from mlkg.api.deps import absolute_iri, read_body, run_read, run_write, state_of
from mlkg.errors import ParseError

__all__ = ["router"]

router = APIRouter(tags=["Access control"])


async def _json_object(request: Request, *, fields: tuple[str, ...]) -> dict[str, str]:
    """The request body: a JSON object with string ``fields``.

    :raises ParseError: if the body is not such an object (HTTP 400, naming the field).
    """
    data = await read_body(request)
    try:
        body = json.loads(data)
    except ValueError as malformed:
        raise ParseError(f"malformed JSON: {malformed}", where="request body") from malformed
    if not isinstance(body, dict):
        raise ParseError(f"expected a JSON object with {', '.join(fields)}", where="request body")
    for name in fields:
        if not isinstance(body.get(name), str):
            raise ParseError(f"'{name}' must be a string", where=f"/{name}")
    return {name: body[name] for name in fields}


@router.get("/principals", dependencies=[needs(Permission.ADMIN)], summary="The principals and their roles")
async def list_principals(request: Request) -> JSONResponse:
    state = state_of(request)
    found = await run_read(state, state.catalog.principals.principals, timeout=state.timeout(None))
    return JSONResponse({"principals": [{"name": p.name, "role": p.role.value} for p in found]})


@router.post(
    "/principals",
    status_code=201,
    dependencies=[needs(Permission.ADMIN)],
    summary="Add a principal ({name, role}); the answer holds its token, shown once",
)
async def add_principal(request: Request) -> JSONResponse:
    state = state_of(request)
    body = await _json_object(request, fields=("name", "role"))
    token = await run_write(
        request, lambda: state.catalog.principals.add(name=body["name"], role=body["role"])
    )
    return JSONResponse({"name": body["name"], "role": body["role"], "token": token}, status_code=201)


@router.put(
    "/principals/{name}/role",
    dependencies=[needs(Permission.ADMIN)],
    summary="Give a principal another role ({role})",
)
async def set_role(request: Request, name: str) -> JSONResponse:
    state = state_of(request)
    body = await _json_object(request, fields=("role",))
    changed = await run_write(
        request, lambda: state.catalog.principals.set_role(name=name, role=body["role"])
    )
    return JSONResponse({"name": changed.name, "role": changed.role.value})


@router.delete(
    "/principals/{name}",
    status_code=204,
    dependencies=[needs(Permission.ADMIN)],
    summary="Remove a principal (its token stops working)",
)
async def remove_principal(request: Request, name: str) -> Response:
    state = state_of(request)
    await run_write(request, lambda: state.catalog.principals.remove(name=name))
    return Response(status_code=204)


@router.get(
    "/audit",
    dependencies=[needs(Permission.ADMIN)],
    summary="The write attempts recorded in the audit graph, newest first",
)
async def audit(
    request: Request,
    entity: Annotated[str | None, Query(description="Only attempts naming this entity IRI.")] = None,
    principal: Annotated[str | None, Query(description="Only attempts by this principal.")] = None,
    since: Annotated[str | None, Query(description="Only attempts at or after this ISO 8601 time.")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> JSONResponse:
    state = state_of(request)
    iri = None if entity is None else absolute_iri(entity, name="entity")
    at = None if since is None else parse_instant(since, where="since")
    found: list[dict[str, Any]] = await run_read(
        state,
        lambda: state.catalog.audit.attempts(entity=iri, principal=principal, since=at, limit=limit),
        timeout=state.timeout(None),
    )
    return JSONResponse({"attempts": found})
