"""``POST /update``: the SPARQL 1.1 Protocol update operation (section 2.2), behind the write token.

The update runs in one transaction; then the inferred lineage graph is brought up to date (the same
guarantee as ingest). ``LOAD`` and ``SERVICE`` are refused, so no request makes the server fetch a URL, and
the inferred graph cannot be written. ``using-graph-uri`` / ``using-named-graph-uri`` give the dataset of the
update's WHERE patterns (section 2.2.3; refused with 400 if the update has USING, USING NAMED or WITH too),
and relative IRIs are resolved against the request's URL (:mod:`mlkg.store.protocoltext`).
"""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import Response

from mlkg.access.roles import Permission
from mlkg.api.auth import needs
from mlkg.api.deps import absolute_iri, read_body, run_write, state_of
from mlkg.api.routers.sparql import parse_form, single
from mlkg.errors import QueryError, UnsupportedFormatError
from mlkg.store.protocoltext import with_base

__all__ = ["router"]

router = APIRouter(tags=["SPARQL"])


@router.post(
    "/update",
    status_code=204,
    dependencies=[needs(Permission.WRITE)],
    summary="SPARQL 1.1 Update (application/sparql-update or form 'update=')",
)
async def sparql_update(request: Request) -> Response:
    state = state_of(request)
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    body = await read_body(request)
    if media_type == "application/x-www-form-urlencoded":
        fields = parse_form(body)
        if "query" in fields:
            raise QueryError("this is the update endpoint: send queries to /sparql")
        text = single(fields, "update")
    elif media_type == "application/sparql-update":
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as error:
            raise QueryError("the update is not valid UTF-8") from error
        fields = {}
    else:
        raise UnsupportedFormatError(
            f"unsupported Content-Type {media_type or '(none)'!r} for an update: use "
            "application/sparql-update or application/x-www-form-urlencoded"
        )
    for name, values in parse_qs(request.url.query, keep_blank_values=True).items():
        fields.setdefault(name, values)
    using = [absolute_iri(v, name="using-graph-uri") for v in fields.get("using-graph-uri", [])]
    named = [absolute_iri(v, name="using-named-graph-uri") for v in fields.get("using-named-graph-uri", [])]
    if text is None or not text.strip():
        raise QueryError("no 'update' in the request")
    # Relative IRIs are resolved against the URL the update was sent to (SPARQL 1.1 Query, 4.1.1.1).
    update = with_base(text, base=lambda: str(request.url.replace(query="")))
    await run_write(request, lambda: state.store.update(update=update, using=using, using_named=named))
    return Response(status_code=204)
