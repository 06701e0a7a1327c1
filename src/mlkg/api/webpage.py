"""HTML answers to browsers (docs/architecture.md, section 11): which requests are a browser's, and the page
response with its Content-Security-Policy.

Every HTML page mlkg serves carries a policy that lets it load only this server's own scripts, styles,
images and data (``default-src 'self'``), with no inline script or style; the SPARQL editor allows the one
inline style YASGUI inserts, by its hash (:data:`EDITOR_POLICY`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from fastapi import Request
from fastapi.responses import HTMLResponse

from mlkg.api.negotiation import prefers_html
from mlkg.api.representations import GRAPH_TYPES, RESULT_TYPES

__all__ = [
    "DATA_TYPES",
    "DOCS_POLICY",
    "EDITOR_POLICY",
    "PAGE_POLICY",
    "YASGUI_STYLE_HASH",
    "browser_asks",
    "page",
]

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

#: The one inline ``<style>`` element YASGUI (``@zazuko/yasgui`` 4.6.2, vendored) inserts when it starts,
#: allowed by its hash (CSP 3, section 8.3) rather than with ``'unsafe-inline'``. Chromium names the hash of
#: a refused style in its console; the browser tests (tests/web/) fail on any CSP violation, so a new YASGUI
#: that inserts another style is caught there. Neither YASGUI nor Swagger UI needs ``'unsafe-eval'``.
YASGUI_STYLE_HASH: Final = "'sha256-zCK2EVMoPc04mRF/g5CotUvxbJPWS+8V0b+s9ptqQIk='"

#: The SPARQL editor's policy: the page policy plus YASGUI's one inline style, by its hash.
EDITOR_POLICY: Final = "; ".join((*_BASE_POLICY, f"style-src 'self' {YASGUI_STYLE_HASH}"))

#: Swagger UI (vendored swagger-ui-dist) runs under the page policy as it is: its styles are in its CSS file
#: and React sets element styles through the DOM, which CSP does not restrict.
DOCS_POLICY: Final = PAGE_POLICY

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
