"""Access control and the audit trail (docs/architecture.md, section 10): roles and permissions, principals
and their tokens, the permission a parsed write needs, and the append-only audit graph."""

from mlkg.access.principals import Principal, PrincipalRegistry
from mlkg.access.roles import ROLE_PERMISSIONS, Permission, Role, parse_role

__all__ = ["ROLE_PERMISSIONS", "Permission", "Principal", "PrincipalRegistry", "Role", "parse_role"]
