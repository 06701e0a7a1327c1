"""Which URLs webhooks may be posted to: the allow-list (``MLKG_WEBHOOK_ALLOW``, ``mlkg serve
--webhook-allow``), decided on parsed URLs (docs/architecture.md, habit 11 and section 8).

An entry is a URL prefix ``scheme://host[:port][/path]``. A webhook URL is allowed when one entry has its
scheme, its host (case-insensitive), its port (the scheme's default when absent) and, as a prefix, its path
*segments*: ``https://hooks.example/mlkg`` admits ``https://hooks.example/mlkg/a`` but neither
``https://hooks.example/mlkgx`` nor ``https://hooks.example.evil/mlkg``. URLs with user information, a
fragment, dot segments (``..``, also percent-encoded) or a scheme other than http/https are refused outright.
The list is empty by default: no webhook is delivered anywhere until it is configured. Hosts are compared as
names: an allowed name is trusted to resolve where its owner means.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from mlkg.errors import ValidationError

__all__ = ["AllowList", "WebhookUrl"]

_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class WebhookUrl:
    """A parsed http(s) URL: scheme, host (lower case), port and path segments (percent-decoded)."""

    text: str
    scheme: str
    host: str
    port: int
    segments: tuple[str, ...]

    @classmethod
    def parse(cls, text: str, *, where: str = "url") -> WebhookUrl:
        """Parse ``text``.

        :raises ValidationError: if it is not an absolute http(s) URL with a host, or has user information,
            a fragment or dot segments.
        """
        try:
            parts = urlsplit(text.strip())
            port = parts.port
        except ValueError as error:
            raise ValidationError(f"{text!r} is not a URL: {error}", where=where) from error
        scheme = parts.scheme.lower()
        if scheme not in _PORTS:
            raise ValidationError(f"{text!r} is not an http or https URL", where=where)
        host = (parts.hostname or "").lower()
        if not host:
            raise ValidationError(f"{text!r} has no host", where=where)
        if parts.username is not None or parts.password is not None:
            raise ValidationError(
                f"{text!r} holds user information; a webhook URL must carry no credentials (events are "
                "signed instead)",
                where=where,
            )
        if parts.fragment or text.strip().endswith("#"):
            raise ValidationError(f"{text!r} has a fragment", where=where)
        segments = tuple(unquote(s) for s in parts.path.split("/")[1:])
        if any(s in (".", "..") for s in segments):
            raise ValidationError(f"{text!r} has '.' or '..' path segments", where=where)
        if segments and segments[-1] == "":  # a trailing slash names no further segment
            segments = segments[:-1]
        return cls(
            text=text.strip(), scheme=scheme, host=host, port=port or _PORTS[scheme], segments=segments
        )

    def admits(self, url: WebhookUrl) -> bool:
        """Whether ``url`` is under this prefix (same scheme, host and port; path segments extended)."""
        return (
            url.scheme == self.scheme
            and url.host == self.host
            and url.port == self.port
            and url.segments[: len(self.segments)] == self.segments
        )


class AllowList:
    """The URL prefixes webhooks may be posted to; empty: none."""

    def __init__(self, *, prefixes: Sequence[WebhookUrl]) -> None:
        self.prefixes = tuple(prefixes)

    @classmethod
    def parse(cls, entries: Sequence[str]) -> AllowList:
        """The allow-list of ``entries`` (URL prefixes).

        :raises ValidationError: if an entry is not an http(s) URL prefix (``where`` names the setting).
        """
        return cls(
            prefixes=[
                WebhookUrl.parse(e, where="--webhook-allow / MLKG_WEBHOOK_ALLOW")
                for e in entries
                if e.strip()
            ]
        )

    def check(self, text: str, *, where: str = "url") -> WebhookUrl:
        """``text`` parsed, if the list admits it.

        :raises ValidationError: if it is malformed or outside the list (HTTP 422).
        """
        url = WebhookUrl.parse(text, where=where)
        if not any(prefix.admits(url) for prefix in self.prefixes):
            allowed = ", ".join(p.text for p in self.prefixes) or "none are configured"
            raise ValidationError(
                f"{url.text!r} is outside the webhook allow-list (MLKG_WEBHOOK_ALLOW / --webhook-allow; "
                f"allowed: {allowed})",
                where=where,
            )
        return url
