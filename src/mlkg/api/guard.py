"""Which browser pages and host names may reach the API.

- **Host names** (against DNS rebinding): a page on ``evil.example`` whose name is made to resolve to
  127.0.0.1 talks to a loopback server as its own origin, so CORS does not stop it; only the ``Host`` header
  tells. With ``allowed_hosts`` set, a request addressed to any other name is refused (HTTP 400), before
  routing. ``mlkg serve`` on a loopback address sets it to the loopback names and the base IRI's host unless
  configured (:func:`default_allowed_hosts`).
- **Origins** (against cross-site request forgery): a browser sends a form POST to any site without asking
  first, so a page could write to a server with open writes, or one whose credentials the browser holds.
  Every write from a browser page must come from the server's own origin or from an origin configured in
  ``cors_origins`` by name (the wildcard ``*`` opens reads only); others are refused (HTTP 403).
  Requests without an ``Origin`` header (curl, SPARQL clients, scripts) are not browser pages and pass.
- **CORS** response headers are sent only for the configured ``cors_origins`` (none by default).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

from mlkg.config import Settings
from mlkg.errors import ForbiddenError

__all__ = ["check_write_origin", "cors_options", "default_allowed_hosts", "host_allowed"]

_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def _hostname(authority: str) -> str | None:
    """The lower-cased host name of ``host[:port]`` (IPv6 in brackets), or None if it is not one."""
    try:
        parts = urlsplit("//" + authority.strip())
        name = parts.hostname
        parts.port  # noqa: B018 -- raises ValueError on a port that is not a number
    except ValueError:
        return None
    return name or None


def host_allowed(host_header: str | None, allowed: Sequence[str]) -> bool:
    """True if the request's ``Host`` names one of ``allowed`` (any port); ``*.example.org`` matches the
    sub-domains of example.org, ``*`` any name. A missing or malformed ``Host`` is not allowed."""
    name = _hostname(host_header) if host_header else None
    if name is None:
        return False
    for pattern in allowed:
        pattern = pattern.lower().strip("[]")
        if pattern == "*" or name == pattern:
            return True
        if pattern.startswith("*.") and name.endswith(pattern[1:]):
            return True
    return False


def default_allowed_hosts(*, base_iri: str) -> list[str]:
    """The names a loopback server answers to: the loopback names and the host of the base IRI."""
    names = list(_LOOPBACK_NAMES)
    base_host = urlsplit(base_iri).hostname
    if base_host and base_host not in names:
        names.append(base_host)
    return names


def cors_options(settings: Settings) -> dict[str, Any] | None:
    """Starlette ``CORSMiddleware`` options for the configured origins, or None (no CORS headers at all)."""
    if not settings.cors_origins:
        return None
    return {
        "allow_origins": list(settings.cors_origins),
        "allow_methods": ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"],
        "allow_headers": ["Authorization", "Content-Type", "Accept"],
        "expose_headers": ["Location", "Content-Type"],
        "max_age": 3600,
    }


def check_write_origin(
    *, origin: str | None, host: str | None, fetch_site: str | None, settings: Settings
) -> None:
    """Refuse a write sent by a browser page of another origin.

    ``origin`` and ``fetch_site`` are the request's ``Origin`` and ``Sec-Fetch-Site`` headers, ``host`` its
    ``Host``. The page's origin is the server's own when its ``host[:port]`` is the request's ``Host``.

    :raises ForbiddenError: if the write comes from a page of an origin that is neither the server's own nor
        named in ``cors_origins`` (HTTP 403).
    """
    if origin is None:
        if fetch_site in (None, "same-origin", "none"):
            return
        raise ForbiddenError(
            f"a write from a browser page of another site (Sec-Fetch-Site: {fetch_site}) is refused"
        )
    if origin in _named(settings.cors_origins):
        return
    own = urlsplit(origin).netloc.lower() if origin != "null" else None
    if own and host is not None and own == host.strip().lower():
        return
    raise ForbiddenError(
        f"a write from a browser page of {origin} is refused (cross-site request forgery protection); "
        "to let that page write, name its origin with --cors-origin or MLKG_CORS_ORIGINS"
    )


def _named(origins: Iterable[str]) -> set[str]:
    return {origin.rstrip("/") for origin in origins if origin != "*"}
