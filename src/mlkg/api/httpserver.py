"""The HTTP/1.1 protocol ``mlkg serve`` runs under uvicorn: a request asking to switch protocols is served as
the plain HTTP/1.1 request it also is (architecture, section 1: HTTP).

Java's built-in HTTP client (``java.net.http.HttpClient``, which Apache Jena's ``rsparql --post`` and
``rupdate`` use) sends its first request on a connection with ``Connection: Upgrade, HTTP2-Settings``,
``Upgrade: h2c`` and an ``HTTP2-Settings`` header, body included. RFC 9110, section 7.8: "A server MAY
ignore a received Upgrade header field if it wishes to continue using the current protocol on that
connection", and the client then reads an ordinary HTTP/1.1 response. uvicorn's httptools parser (llhttp)
instead stops at the end of such a request's headers and treats the rest as the new protocol's bytes:
uvicorn handed the application an empty body and logged "Unsupported upgrade request" with a hint to
install a WebSocket library (mlkg serves no WebSocket).

:class:`HttpProtocol` keeps httptools for every ordinary request (the fast path ``bench/server.py`` measures)
and moves a connection whose request carries ``Upgrade`` to uvicorn's h11 protocol, which parses the same
bytes as HTTP/1.1 (body included) and continues the connection as HTTP/1.1; the head of the request is given
to it again as uvicorn itself does when it hands a connection to its WebSocket protocol. Nothing is logged:
ignoring an upgrade is ordinary HTTP.
"""

from __future__ import annotations

import httptools
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["HttpProtocol"]


class _UpgradeIgnoringH11(H11Protocol):
    """uvicorn's h11 protocol, without the warning for an upgrade it does not perform: h11 answers such a
    request as HTTP/1.1 and keeps the connection in HTTP/1.1 (RFC 9110, section 7.8)."""

    def _unsupported_upgrade_warning(self) -> None:
        return None


class HttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, except that a request with an ``Upgrade`` header (and every later request
    on its connection) is parsed by h11 as plain HTTP/1.1. Run with ``ws="none"``: mlkg has no WebSocket."""

    def _should_upgrade(self) -> bool:
        # True for any upgrade request: httptools_impl then starts no request cycle of its own for it, and
        # llhttp raises HttpParserUpgrade at the end of its headers (handled in data_received).
        return self._get_upgrade() is not None

    def data_received(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            message = "Invalid HTTP request received."  # as uvicorn's own protocol answers it
            self.logger.warning(message)
            self.send_400_response(message)
        except httptools.HttpParserUpgrade as upgrade:
            self._continue_as_http11(rest=data[upgrade.args[0] :])

    def _continue_as_http11(self, *, rest: bytes) -> None:
        """Give the connection to h11: the request head again (from what httptools parsed), then the bytes
        that followed it (the body, and any pipelined request)."""
        self.connections.discard(self)
        version = self.parser.get_http_version().encode("ascii")
        head = [self.scope["method"].encode("ascii"), b" ", self.url, b" HTTP/" + version + b"\r\n"]
        for name, value in self.headers:
            head += [name, b": ", value, b"\r\n"]
        head.append(b"\r\n")
        protocol = _UpgradeIgnoringH11(
            config=self.config, server_state=self.server_state, app_state=self.app_state
        )
        protocol.connection_made(self.transport)
        self.transport.set_protocol(protocol)
        protocol.data_received(b"".join(head) + rest)
