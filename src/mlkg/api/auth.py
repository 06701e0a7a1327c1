"""Who calls, and whether they may (docs/architecture.md, section 10): credentials from ``Authorization``
(``Bearer TOKEN``, or HTTP Basic with the principal's name and its token as the password, RFC 7617), the
permission each route needs (:func:`require`), the request id, and denied attempts recorded in the audit.

Credentials come from the store's principals (:class:`~mlkg.access.principals.PrincipalRegistry`) or the
server's single write token (``MLKG_WRITE_TOKEN``: an admin principal named ``write-token``). With neither
(no principal in the store, no write token), the server is open, as a demo on a loopback address: every
request may do everything (``mlkg serve`` refuses to listen elsewhere then). Otherwise a request without
credentials may read (unless ``--auth-reads``) and nothing else: 401 without credentials, 403 with a role
lacking the permission. Tokens are compared in constant time and never logged or echoed.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

import anyio.to_thread
from fastapi import Depends, Request

from mlkg.access.audit import Attempt, Outcome
from mlkg.access.roles import ROLE_PERMISSIONS, Permission, Role
from mlkg.api.caller import CALLER_KEY, Caller, request_id_of
from mlkg.api.guard import check_write_origin
from mlkg.errors import AuthenticationError, ForbiddenError

if TYPE_CHECKING:  # deps builds on this module (require_writer)
    from mlkg.api.deps import AppState

__all__ = [
    "ANONYMOUS",
    "WRITE_TOKEN_PRINCIPAL",
    "authorize",
    "caller_of",
    "needs",
    "reads_checked",
    "require",
]

#: The principal the write token (``MLKG_WRITE_TOKEN``) stands for: an admin.
WRITE_TOKEN_PRINCIPAL: Final = "write-token"
#: The name of a caller without credentials.
ANONYMOUS: Final = "anonymous"
_OPEN: Final = Caller(name=ANONYMOUS, role=None, permissions=frozenset(Permission), authenticated=False)
_READER: Final = Caller(
    name=ANONYMOUS, role=None, permissions=frozenset({Permission.READ}), authenticated=False
)
_NOBODY: Final = Caller(name=ANONYMOUS, role=None, permissions=frozenset(), authenticated=False)


def state_of(request: Request) -> AppState:
    state: AppState = request.app.state.mlkg
    return state


def _credentials(header: str) -> tuple[str | None, str]:
    """The principal name (Basic) and token in an ``Authorization`` value.

    :raises AuthenticationError: for another scheme or a malformed value (never quoting the value).
    """
    scheme, _, rest = header.strip().partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer" and rest.strip():
        return None, rest.strip()
    if scheme == "basic" and rest.strip():
        try:
            decoded = base64.b64decode(rest.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise AuthenticationError("malformed Basic credentials") from None
        name, colon, token = decoded.partition(":")
        if colon and name and token:
            return name, token
        raise AuthenticationError("Basic credentials need the principal's name and its token as the password")
    raise AuthenticationError("unsupported Authorization: use 'Bearer TOKEN' or Basic (name, token)")


def caller_of(state: AppState, headers: Mapping[str, str]) -> Caller:
    """Who a request is, from its ``Authorization`` header.

    :raises AuthenticationError: if it carries credentials that are malformed or match no principal.
    :raises StoreError: if the store fails while the principals are read.
    """
    settings, principals = state.settings, state.catalog.principals
    write_token = settings.write_token
    if write_token is None and principals.empty():
        return _OPEN
    header = headers.get("authorization")
    if not header:
        return _NOBODY if settings.auth_reads else _READER
    name, token = _credentials(header)
    if write_token is not None and hmac.compare_digest(
        token.encode("utf-8"), write_token.get_secret_value().encode("utf-8")
    ):
        return Caller(
            name=WRITE_TOKEN_PRINCIPAL, role=Role.ADMIN, permissions=frozenset(Permission), authenticated=True
        )
    principal = principals.authenticate(token=token, name=name)
    if principal is None:
        raise AuthenticationError("the credentials match no principal (wrong name or token)")
    return Caller(
        name=principal.name,
        role=principal.role,
        permissions=ROLE_PERMISSIONS[principal.role],
        authenticated=True,
    )


def _check(state: AppState, request: Request, permission: Permission, *, audited: bool) -> Caller:
    """The caller, if it may ``permission`` (see :func:`authorize`)."""
    headers = request.headers
    caller: Caller | None = None
    try:
        if permission is not Permission.READ:
            check_write_origin(
                origin=headers.get("origin"),
                host=headers.get("host"),
                fetch_site=headers.get("sec-fetch-site"),
                settings=state.settings,
            )
        caller = caller_of(state, headers)
        if permission not in caller.permissions:
            if not caller.authenticated:
                raise AuthenticationError(
                    f"this request needs the {permission.value} permission: send credentials"
                )
            raise ForbiddenError(
                f"this request needs the {permission.value} permission, which {caller.describe()} does not "
                "have"
            )
    except (AuthenticationError, ForbiddenError) as error:
        if audited and permission is not Permission.READ:
            state.catalog.audit.record(
                Attempt(
                    agent=caller.name if caller is not None else ANONYMOUS,
                    action=f"{request.method} {request.url.path}",
                    request_id=request_id_of(request),
                    outcome=Outcome.DENIED,
                    permission=permission,
                    detail=str(error),
                )
            )
        raise
    return caller


def authorize(request: Request, permission: Permission, *, audited: bool = True) -> Caller:
    """The caller of ``request`` if it has ``permission``; kept on the request for
    :func:`~mlkg.api.deps.run_write`. A request needing more than ``read`` that is refused (401, 403) is
    recorded in the audit as denied, unless not ``audited`` (a query of the audit graph: a read).

    :raises ForbiddenError: if a browser page of another origin sends a write, or the caller's role lacks
        ``permission`` (HTTP 403).
    :raises AuthenticationError: if credentials are needed and missing, or do not match (HTTP 401).
    :raises StoreError: if the store fails while principals are read or the audit is written.
    """
    caller = _check(state_of(request), request, permission, audited=audited)
    request.scope[CALLER_KEY] = caller
    return caller


def require(permission: Permission) -> Callable[[Request], object]:
    """A route dependency: the request needs ``permission`` (``Depends(require(Permission.ADMIN))``)."""

    async def dependency(request: Request) -> Caller:
        if permission is Permission.READ:
            # reads record nothing: checked on the event loop (a dict lookup and one SHA-256)
            return authorize(request, permission) if reads_checked(request) else _READER
        return await anyio.to_thread.run_sync(authorize, request, permission)

    dependency.__name__ = f"require_{permission.value}"
    return dependency


def reads_checked(request: Request) -> bool:
    """False if a read may go without looking at credentials: reads are open and none were sent."""
    return state_of(request).settings.auth_reads or "authorization" in request.headers


def needs(permission: Permission) -> Any:
    """A route's dependency on ``permission``: ``@router.get(path, dependencies=[needs(Permission.READ)])``.
    Every route of the app declares one (or is public: ``/health``), as the route table of
    ``tests/api/test_permissions.py`` checks."""
    return Depends(require(permission))
