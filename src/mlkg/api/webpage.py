"""HTML answers to browsers (docs/architecture.md, section 8): which requests are a browser's, and the page
response with its Content-Security-Policy.

Every HTML page mlkg serves carries a policy that lets it load only this server's own scripts, styles,
images and data (``default-src 'self'``), with no inline script; the SPARQL editor and the API
documentation add the one relaxation their libraries need (:data:`EDITOR_POLICY`, :data:`DOCS_POLICY`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from fastapi import Request
from fastapi.responses import HTMLResponse

from mlkg.api.negotiation import prefers_html
from mlkg.api.representations import GRAPH_TYPES, RESULT_TYPES

__all__ = ["DATA_TYPES", "DOCS_POLICY", "EDITOR_POLICY", "PAGE_POLICY", "browser_asks", "page"]

_BASE_POLICY = (
    "default-src 'self'",
    "script-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)

#: The policy of mlkg's own pages: everything from this server, no inline script or style.
PAGE_POLICY: Final = "; ".join((*_BASE_POLICY, "style-src 'self'"))

#: YASGUI (CodeMirror 5, its result tables and charts) writes ``style`` attributes into the markup it
#: builds, which ``style-src 'self'`` refuses: inline styles are allowed, scripts stay this server's only.
EDITOR_POLICY: Final = "; ".join((*_BASE_POLICY, "style-src 'self' 'unsafe-inline'"))

#: Swagger UI (React) sets ``style`` attributes in the markup it renders: the same relaxation as the editor.
DOCS_POLICY: Final = EDITOR_POLICY

#: The data types a route that also serves pages answers: a browser is a client ranking HTML above them all.
DATA_TYPES: Final = (*RESULT_TYPES, *GRAPH_TYPES)


def browser_asks(request: Request, *, data_types: Sequence[str] = DATA_TYPES) -> bool:
    """True if the request is a browser's page load (:func:`mlkg.api.negotiation.prefers_html`)."""
    return prefers_html(request.headers.get("accept"), data_types=data_types)


def page(
    request: Request, template: str, /, *, status: int = 200, policy: str = PAGE_POLICY, **context: Any
) -> HTMLResponse:
    """The page ``template`` rendered with ``context`` (autoescaped, :class:`mlkg.web.Pages`), with the
    Content-Security-Policy ``policy`` and ``Vary: Accept`` (the same URL answers data to other clients)."""
    pages = request.app.state.mlkg.pages
    body = pages.render(template, request_path=request.url.path, **context)
    headers = {
        "content-security-policy": policy,
        "x-content-type-options": "nosniff",
        "referrer-policy": "same-origin",
        "vary": "Accept",
    }
    return HTMLResponse(body, status_code=status, headers=headers)
