"""Roles and the permissions they grant (docs/architecture.md, section 10).

=============== ==================================================================================
role            permissions
=============== ==================================================================================
viewer          read
data_scientist  read, write
ml_engineer     read, write, deploy
admin           read, write, deploy, delete, admin (principals, subscriptions, the audit)
=============== ==================================================================================

``read``: queries, exports, entity pages. ``write``: uploads, PATCH, Graph Store and SPARQL Update on entity
graphs. ``deploy``: stage transitions to Production or Archived, alias changes, deployment entities.
``delete``: deletes, hard deletes, ``DROP`` / ``CLEAR``. ``admin``: principals, subscriptions, the audit.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from mlkg.errors import InputError

__all__ = ["ROLE_PERMISSIONS", "Permission", "Role", "parse_role"]


class Permission(StrEnum):
    """What a request needs to be allowed to do."""

    READ = "read"
    WRITE = "write"
    DEPLOY = "deploy"
    DELETE = "delete"
    ADMIN = "admin"


class Role(StrEnum):
    """A principal's role: each grants the permissions of the one before it, and more."""

    VIEWER = "viewer"
    DATA_SCIENTIST = "data_scientist"
    ML_ENGINEER = "ml_engineer"
    ADMIN = "admin"


_P = Permission
#: The permissions each role grants.
ROLE_PERMISSIONS: Final[dict[Role, frozenset[Permission]]] = {
    Role.VIEWER: frozenset({_P.READ}),
    Role.DATA_SCIENTIST: frozenset({_P.READ, _P.WRITE}),
    Role.ML_ENGINEER: frozenset({_P.READ, _P.WRITE, _P.DEPLOY}),
    Role.ADMIN: frozenset(Permission),
}


def parse_role(text: str) -> Role:
    """The role named ``text``.

    :raises InputError: if no role has that name (the message lists the roles).
    """
    try:
        return Role(text)
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise InputError(f"unknown role {text!r}: use one of {names}", where="role") from None
