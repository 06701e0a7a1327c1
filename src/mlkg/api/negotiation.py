"""HTTP content negotiation: pick a representation from an ``Accept`` header with q-values.

RFC 9110, section 12.5.1: each media range carries a quality (``q``, default 1); a more specific range
overrides a less specific one for the types it matches (``text/turtle`` over ``text/*`` over ``*/*``); a
range with ``q=0`` refuses. Among acceptable offers the highest quality wins, ties going to the server's
order of preference (the order of ``offers``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from mlkg.errors import NotAcceptableError

__all__ = ["MediaRange", "choose", "parse_accept", "prefers_html"]


@dataclass(frozen=True)
class MediaRange:
    """One element of an ``Accept`` header."""

    type: str
    subtype: str
    quality: float

    def matches(self, media_type: str) -> int:
        """How specifically this range matches ``media_type``: 3 exact, 2 ``type/*``, 1 ``*/*``, 0 not."""
        kind, _, sub = media_type.partition("/")
        if self.type == "*" and self.subtype == "*":
            return 1
        if self.type != kind:
            return 0
        if self.subtype == "*":
            return 2
        return 3 if self.subtype == sub else 0


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an ``Accept`` header; an absent or empty header accepts everything.

    Malformed elements (no ``/``, a non-numeric ``q``) are skipped, as browsers and servers do in practice.
    """
    if not header or not header.strip():
        return [MediaRange("*", "*", 1.0)]
    ranges = []
    for element in header.split(","):
        parts = [p.strip() for p in element.split(";")]
        kind, slash, sub = parts[0].lower().partition("/")
        if not slash or not kind or not sub:
            continue
        quality = 1.0
        for param in parts[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    quality = -1.0
        if quality >= 0:
            ranges.append(MediaRange(kind.strip(), sub.strip(), quality))
    return ranges


def _quality(ranges: Sequence[MediaRange], media_type: str) -> float:
    best, quality = 0, 0.0
    for accepted in ranges:
        specificity = accepted.matches(media_type)
        if specificity > best or (specificity == best and specificity and accepted.quality > quality):
            best, quality = specificity, accepted.quality
    return quality if best else 0.0


def choose(header: str | None, offers: Sequence[str], *, what: str) -> str:
    """The offer the client prefers (``offers`` in the server's order of preference).

    :raises NotAcceptableError: if the client accepts none of ``offers`` (HTTP 406); the message lists them.
    """
    chosen = _preferred(header, tuple(offers))
    if chosen is None:
        raise NotAcceptableError(
            f"cannot answer {what} in any type the Accept header {header!r} allows; available: "
            + ", ".join(offers)
        )
    return chosen


@lru_cache(maxsize=512)
def _preferred(header: str | None, offers: tuple[str, ...]) -> str | None:
    """:func:`choose` without the error, remembered: a client sends the same header with every request."""
    ranges = parse_accept(header)
    best, chosen = 0.0, None
    for offer in offers:
        quality = _quality(ranges, offer)
        if quality > best:
            best, chosen = quality, offer
    return chosen


#: Media types a browser's navigation request lists by name: both, as every browser's default ``Accept`` does.
_BROWSER_TYPES = ("text/html", "application/xhtml+xml")


def prefers_html(header: str | None, *, data_types: Sequence[str]) -> bool:
    """True if the ``Accept`` header is a browser's asking for a page rather than data.

    That is: it names ``text/html`` and ``application/xhtml+xml`` themselves (not through ``*/*`` or
    ``text/*``), as Chromium, Firefox and Safari do for a page load, and ranks ``text/html`` above every
    one of ``data_types`` (the RDF or SPARQL results types the route serves). A protocol client keeps its
    data even when it accepts HTML: Java's default ``text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2``
    lists no XHTML, and SPARQL clients rank their results types first.
    """
    ranges = parse_accept(header)
    for media_type in _BROWSER_TYPES:
        if not any(r.matches(media_type) == 3 and r.quality > 0 for r in ranges):
            return False
    html = _quality(ranges, "text/html")
    return all(_quality(ranges, other) < html for other in data_types)
