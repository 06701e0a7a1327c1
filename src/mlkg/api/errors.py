"""The one place mlkg's exception tree becomes HTTP status codes (docs/architecture.md, habit 1).

Every error answer is a JSON object ``{"error": <kind>, "message": <text>, "where": <place or null>}``;
a SHACL failure adds ``"results"`` (one object per violation) and an ingest failure adds ``"report"``. A
browser loading a page (:func:`mlkg.api.webpage.browser_asks`) gets the same status with an HTML page
saying the same, and a search box (docs/architecture.md, section 11).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from mlkg.api.webpage import browser_asks, page
from mlkg.errors import (
    AuthenticationError,
    ConflictError,
    DeletedError,
    ForbiddenError,
    InputError,
    MlkgError,
    NotAcceptableError,
    NotFoundError,
    PayloadTooLargeError,
    PreconditionError,
    QueryTimeoutError,
    ServiceBusyError,
    SourceError,
    UnsupportedFormatError,
    ValidationError,
)

__all__ = ["error_body", "error_response", "install_error_handlers", "is_history_path", "status_of"]

# Most specific first: the first class an error is an instance of gives its status.
_STATUS: tuple[tuple[type[MlkgError], int], ...] = (
    (ValidationError, 422),
    (PayloadTooLargeError, 413),
    (UnsupportedFormatError, 415),
    (NotAcceptableError, 406),
    (PreconditionError, 412),
    (ConflictError, 409),
    (InputError, 400),
    (AuthenticationError, 401),
    (ForbiddenError, 403),
    (DeletedError, 410),
    (NotFoundError, 404),
    (QueryTimeoutError, 503),
    (ServiceBusyError, 503),
    (SourceError, 502),
)


#: The ``WWW-Authenticate`` challenges of a 401 (docs/architecture.md, section 10).
_CHALLENGES = ((b"www-authenticate", b'Basic realm="mlkg"'), (b"www-authenticate", b'Bearer realm="mlkg"'))


def status_of(error: MlkgError) -> int:
    """The HTTP status of an mlkg error; store and reasoning failures are 500."""
    for cls, status in _STATUS:
        if isinstance(error, cls):
            return status
    return 500


def _kind(error: MlkgError) -> str:
    name = type(error).__name__
    return name.removesuffix("Error").lower() or "error"


def error_body(error: MlkgError) -> dict[str, Any]:
    body: dict[str, Any] = {
        "error": _kind(error),
        "message": getattr(error, "message", str(error)),
        "where": getattr(error, "where", None),
    }
    if isinstance(error, ValidationError):
        body["results"] = error.results
    return body


def error_response(error: MlkgError) -> JSONResponse:
    """The JSON answer to an mlkg error (a 401 also names the authentication schemes; a refusal for being busy
    says when to retry, RFC 9110 section 10.2.3 ``Retry-After``)."""
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, ServiceBusyError) else None
    response = JSONResponse(error_body(error), status_code=status_of(error), headers=headers)
    if isinstance(error, AuthenticationError):
        # Both challenges (RFC 9110 11.6.1): clients that only do Basic (Jena, SPARQLWrapper) retry with it.
        response.raw_headers.extend(_CHALLENGES)
    return response


_TITLES = {
    400: "Bad request",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    410: "Gone",
}


def _for_browser(request: Request, answer: JSONResponse, body: dict[str, Any]) -> Response:
    """``answer`` as an HTML page when a browser asked for a page (same status and headers), else as is."""
    if not browser_asks(request):
        return answer
    status = answer.status_code
    html = page(
        request,
        "error.html",
        status=status,
        code=status,
        title=_TITLES.get(status, "Error" if status < 500 else "Server error"),
        message=str(body.get("message", "")),
        where=body.get("where"),
        search_text=_search_hint(request.url.path),
    )
    for name, value in answer.headers.items():
        if name.lower() not in ("content-type", "content-length"):
            html.headers.setdefault(name, value)
    return html


def _search_hint(path: str) -> str:
    """What the error page's search box starts with: the last segment of an ``/id/`` path (an entity name)."""
    if not path.startswith("/id/"):
        return ""
    return unquote(path.rstrip("/").rsplit("/", 1)[-1])


def install_error_handlers(app: FastAPI) -> None:
    """Answer mlkg errors, malformed parameters and unknown routes with JSON bodies (HTML pages for
    browsers)."""

    async def on_mlkg(request: Request, error: Exception) -> Response:
        assert isinstance(error, MlkgError)
        return _for_browser(request, error_response(error), error_body(error))

    async def on_parameters(request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        problems, places = [], []
        for item in error.errors():
            location = [str(p) for p in item.get("loc", ())]
            problems.append(f"{'.'.join(location)}: {item.get('msg', 'invalid')}")
            places.append(".".join(location[1:]) or ".".join(location))  # the parameter's name
        where = places[0] if places else None
        body = {"error": "input", "message": "; ".join(problems) or "invalid request", "where": where}
        return _for_browser(request, JSONResponse(body, status_code=400), body)

    async def on_http(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        body = {"error": "http", "message": str(error.detail), "where": request.url.path}
        headers = dict(error.headers or {})
        if error.status_code == 405:
            # Starlette names the methods of the first route on the path only; RFC 9110 15.5.6 wants all.
            headers["Allow"] = ", ".join(_methods_of(request.app, request.url.path))
        return _for_browser(request, JSONResponse(body, status_code=error.status_code, headers=headers), body)

    app.add_exception_handler(MlkgError, on_mlkg)
    app.add_exception_handler(RequestValidationError, on_parameters)
    app.add_exception_handler(StarletteHTTPException, on_http)


#: A ``/versions`` segment: it starts an entity's history routes (:mod:`mlkg.api.routers.history`).
_VERSIONS_SEGMENT = r"/versions(?:/|$)"
#: What ``{fqn}`` of an entity route matches: any rest of the path without a ``/versions`` segment.
_FQN = rf"(?:(?!{_VERSIONS_SEGMENT}).)+"


def is_history_path(path: str) -> bool:
    """True if ``path`` (under ``/id/``) names an entity's history, not the entity: no entity route but the
    history's answers it (any other method is 405)."""
    return re.search(_VERSIONS_SEGMENT, path) is not None


def _methods_of(app: FastAPI, path: str) -> list[str]:
    """The methods the OpenAPI description documents for ``path`` (``{name}`` matches one segment, ``{fqn}``
    of the entity routes any rest up to a ``/versions`` segment), sorted: the same list API clients and
    fuzzers read."""
    methods: set[str] = set()
    for template, operations in app.openapi().get("paths", {}).items():
        pattern = re.sub(
            r"\\\{(\w+)\\\}", lambda m: _FQN if m.group(1) == "fqn" else "[^/]+", re.escape(template)
        )
        if re.fullmatch(pattern, path):
            methods.update(method.upper() for method in operations)
    return sorted(methods)
