"""Running the app under uvicorn (``mlkg serve``), and the rule that keeps open writes off the network."""

from __future__ import annotations

import gc
import ipaddress
import socket
import sys
from collections.abc import Callable

from mlkg.api.app import create_app
from mlkg.api.guard import default_allowed_hosts
from mlkg.api.httpserver import HttpProtocol
from mlkg.config import Settings
from mlkg.errors import InputError
from mlkg.reasoning.store import repair_note
from mlkg.served import served

__all__ = ["check_listen", "is_loopback", "listen", "run_server", "server_url"]

_LOOPBACK = ("localhost",)


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host in _LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_listen(*, settings: Settings, host: str, principals: bool = False) -> None:
    """Refuse to listen beyond loopback while writes are open: no write token and no ``principals`` in the
    store (docs/architecture.md, sections 1 and 8).

    :raises InputError: if writes are open and ``host`` is not a loopback address.
    """
    if settings.write_token is None and not principals and not is_loopback(host):
        raise InputError(
            f"refusing to listen on {host} with writes open: add a principal (mlkg principal add NAME "
            "--role admin), set a write token (--write-token or MLKG_WRITE_TOKEN), or listen on 127.0.0.1",
            where="--host",
        )


def server_url(*, host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{shown}:{port}/"


def run_server(
    *, settings: Settings, host: str, port: int, demo: bool, announce: Callable[[str], None]
) -> None:
    """Listen, build the app (loading the demo catalog if asked), say where it listens, and serve until
    interrupted. On a loopback address, requests must name a loopback host or the base IRI's host unless
    ``settings.allowed_hosts`` says otherwise (:mod:`mlkg.api.guard`). The socket is bound first, so a port
    in use is reported before the store is opened, and a
    client that connects as soon as the URL is printed is answered (it waits in the listen queue).

    :raises InputError: as :func:`check_listen`, or if the address cannot be listened on.
    :raises StoreError: if the store cannot be opened or the demo catalog cannot be loaded.
    """
    import uvicorn

    if settings.allowed_hosts is None and is_loopback(host):
        # DNS rebinding: a page whose name resolves to 127.0.0.1 would otherwise be "same-origin" here.
        settings = settings.model_copy(
            update={"allowed_hosts": default_allowed_hosts(base_iri=settings.base_iri)}
        )
    listener = listen(host=host, port=port)
    if demo:
        announce("mlkg: loading the demo catalog ...")
    # The process is ours: let waiting query threads take the GIL every 0.5 ms instead of 5 ms, so queries
    # are not starved while an upload is validated (measured: p50 13 -> 8 ms, queries/s +65% during uploads).
    sys.setswitchinterval(0.0005)
    try:
        app = create_app(settings, demo=demo)
        # principals in the store close writes to anonymous callers (mlkg.api.auth)
        check_listen(settings=settings, host=host, principals=not app.state.mlkg.catalog.principals.empty())
    except BaseException:
        listener.close()
        raise
    repaired = app.state.mlkg.store.repaired
    if repaired is not None:
        announce(repair_note(repaired))
    # The reasoner's state is millions of long-lived objects on a large store: move them out of the cyclic
    # collector's reach, so a full collection during an upload does not stall every query behind it.
    gc.collect()
    gc.freeze()
    url = server_url(host=host, port=int(listener.getsockname()[1]))
    # httptools for speed, h11 for a request carrying Upgrade (Java's h2c attempt), no WebSocket at all
    # (mlkg.api.httpserver).
    config = uvicorn.Config(app, log_level="warning", access_log=False, http=HttpProtocol, ws="none")
    events = app.state.mlkg.events

    class Server(uvicorn.Server):
        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            # uvicorn waits for every response to end before the app's own shutdown: end /events streams first
            if events is not None:
                events.hub.close()
            await super().shutdown(sockets)

    with served(settings=settings, url=url):  # lets other mlkg commands say where the store is served
        announce(f"mlkg: serving {url} (SPARQL endpoint {url}sparql, API docs {url}docs)")
        Server(config).run(sockets=[listener])


def listen(*, host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host``:``port`` and listening (port 0: any free port).

    :raises InputError: if the address cannot be resolved or listened on (in use, not this machine's).
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host.strip("[]"), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        listener = socket.socket(family, kind, proto)
    except OSError as error:
        raise InputError(f"cannot listen on {host}:{port}: {error}", where="--host") from error
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
        listener.listen(2048)
    except OSError as error:
        listener.close()
        raise InputError(
            f"cannot listen on {host}:{port}: {error.strerror or error}", where="--port"
        ) from error
    return listener
