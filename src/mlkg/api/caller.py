"""Who a request is, as :mod:`mlkg.api.auth` found it, and its request id (docs/architecture.md, section 10):
kept in the request's ASGI scope so the write path (:func:`mlkg.api.deps.run_write`) gates and audits the
write as that caller."""

from __future__ import annotations

import re
import uuid
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any, Final

from starlette.requests import Request

from mlkg.access.roles import Permission, Role

__all__ = ["CALLER_KEY", "Caller", "caller_in", "request_id_in", "request_id_of"]

#: A request id a client may give (``X-Request-Id``): 1-128 characters of this set; anything else is
#: replaced by a generated one.
_REQUEST_ID: Final = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
#: The scope keys (ASGI lets applications add their own).
CALLER_KEY: Final = "mlkg.caller"
REQUEST_ID_KEY: Final = "mlkg.request_id"


@dataclass(frozen=True)
class Caller:
    """The principal a request authenticated as (or ``anonymous``) and what it may do."""

    name: str
    role: Role | None
    permissions: frozenset[Permission]
    authenticated: bool

    def describe(self) -> str:
        return f"{self.name} ({self.role.value})" if self.role is not None else self.name


def request_id_of(request: Request) -> str:
    """The request's id: ``X-Request-Id`` if the client gave a valid one, else a new one (kept in the
    scope, echoed in the response header by the app)."""
    return request_id_in(request.scope)


def request_id_in(scope: MutableMapping[str, Any]) -> str:
    """:func:`request_id_of` for an ASGI scope."""
    known = scope.get(REQUEST_ID_KEY)
    if isinstance(known, str):
        return known
    given = next((v for k, v in scope.get("headers", ()) if k == b"x-request-id"), None)
    text = given.decode("latin-1") if given else None
    chosen = text if text and _REQUEST_ID.fullmatch(text) else uuid.uuid4().hex
    scope[REQUEST_ID_KEY] = chosen
    return chosen


def caller_in(request: Request) -> Caller | None:
    """The caller :func:`mlkg.api.auth.authorize` found for this request, if it ran."""
    caller = request.scope.get(CALLER_KEY)
    return caller if isinstance(caller, Caller) else None
