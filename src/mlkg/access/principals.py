"""Principals: names with a role and the salted hash of a token, kept in the store's principals graph
(docs/architecture.md, section 10), so ``mlkg principal ...`` and ``mlkg serve`` share them, they survive
restarts, and they work on a remote SPARQL engine as on the embedded store.

The graph is written only through this module, on the wrapped store (a :class:`~mlkg.reasoning.store.
ReasonedStore` refuses every other write of it). Each change rewrites the graph, one small graph, and
increases its generation counter (``mlkg:principalsGeneration``). A server keeps the principals in memory
and reads the counter again at most once a second (:data:`RECHECK_SECONDS`): a principal added, changed or
removed by another process (the command, another server) is seen within that time, and a request costs a
dictionary lookup and one SHA-256.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from rdflib import RDF, Literal, URIRef

from mlkg.access.roles import ROLE_PERMISSIONS, Permission, Role, parse_role
from mlkg.access.tokens import hash_token, new_salt, new_token, same_hash
from mlkg.errors import ConflictError, InputError, NotFoundError
from mlkg.history.records import agent_iri
from mlkg.store.base import Store, Triple
from mlkg.vocab import MLKG, PRINCIPALS_GRAPH

__all__ = ["PRINCIPAL_NAME_PATTERN", "RECHECK_SECONDS", "Principal", "PrincipalRegistry", "check_name"]

#: How often, at most, a registry reads the generation counter again to notice other processes' changes.
RECHECK_SECONDS: Final = 1.0

#: A principal's name: it is the user name of HTTP Basic, so no ``:`` (RFC 7617 section 2).
PRINCIPAL_NAME_PATTERN: Final = "^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$"
_NAME: Final = re.compile(PRINCIPAL_NAME_PATTERN)


@dataclass(frozen=True)
class Principal:
    """A principal as the registry holds it (the token is never held, only its hash)."""

    name: str
    role: Role
    salt: str = ""
    token_hash: str = ""

    @property
    def permissions(self) -> frozenset[Permission]:
        return ROLE_PERMISSIONS[self.role]


def check_name(name: str) -> str:
    """``name`` if it can name a principal.

    :raises InputError: if it is empty, longer than 64 characters or holds other characters than letters,
        digits, ``_ . @ -`` (it must not start with one of those).
    """
    if not _NAME.match(name) or "\n" in name:
        raise InputError(
            f"invalid principal name {name!r}: 1-64 letters, digits, '_', '.', '@' or '-', starting with a "
            "letter or digit",
            where="name",
        )
    return name


class PrincipalRegistry:
    """The principals of one store, cached in memory.

    ``clock`` is for tests (the monotonic time used to decide when to read the generation again).
    """

    def __init__(self, *, store: Store, clock: Callable[[], float] = time.monotonic) -> None:
        self._store = store
        self._clock = clock
        self._lock = threading.Lock()
        self._principals: dict[str, Principal] = {}
        #: Tokens seen valid, by their unsalted SHA-256 (never the token itself): Bearer checks skip the
        #: per-principal salted hash. Cleared whenever the principals change.
        self._known: dict[bytes, Principal] = {}
        self._generation = -1
        self._checked = float("-inf")

    # -- reading -----------------------------------------------------------------------------------------

    def _read_generation(self) -> int:
        for _, _, value, _ in self._store.quads(
            subject=PRINCIPALS_GRAPH, predicate=MLKG.principalsGeneration, graph=PRINCIPALS_GRAPH
        ):
            if isinstance(value, Literal) and isinstance(value.toPython(), int):
                return int(value.toPython())
        return 0

    def _read(self) -> dict[str, Principal]:
        fields: dict[URIRef, dict[URIRef, str]] = {}
        for subject, predicate, value, _ in self._store.quads(graph=PRINCIPALS_GRAPH):
            if isinstance(subject, URIRef) and isinstance(value, Literal):
                fields.setdefault(subject, {})[URIRef(predicate)] = str(value)
        out: dict[str, Principal] = {}
        for values in fields.values():
            name, role = values.get(MLKG.principalName), values.get(MLKG.role)
            if name is None or role is None or role not in Role.__members__.values():
                continue
            out[name] = Principal(
                name=name,
                role=Role(role),
                salt=values.get(MLKG.tokenSalt, ""),
                token_hash=values.get(MLKG.tokenHash, ""),
            )
        return out

    def refresh(self, *, force: bool = False) -> None:
        """Read the principals again if another process changed them (checked at most once a second unless
        ``force``).

        :raises StoreError: if the store fails.
        """
        now = self._clock()
        if not force and now - self._checked < RECHECK_SECONDS:
            return
        with self._lock:
            generation = self._read_generation()
            self._checked = now
            if generation != self._generation or force:
                self._principals = self._read()
                self._known = {}
                self._generation = generation

    def principals(self) -> list[Principal]:
        """Every principal, by name.

        :raises StoreError: if the store fails.
        """
        self.refresh(force=True)
        return sorted(self._principals.values(), key=lambda p: p.name)

    def empty(self) -> bool:
        """True if the store holds no principal (checked as :meth:`refresh` does)."""
        self.refresh()
        return not self._principals

    def authenticate(self, *, token: str, name: str | None = None) -> Principal | None:
        """The principal ``token`` belongs to (and named ``name``, for HTTP Basic), or None.

        Hashes are compared with :func:`hmac.compare_digest`; the token is never stored or logged.

        :raises StoreError: if the store fails while the principals are read again.
        """
        self.refresh()
        key = hashlib.sha256(token.encode("utf-8")).digest()
        known = self._known.get(key)
        if known is not None:
            return known if name is None or name == known.name else None
        candidates = self._principals.values() if name is None else [self._principals.get(name)]
        for principal in candidates:
            if principal is None or not principal.salt:
                continue
            if same_hash(hash_token(token, salt=principal.salt), principal.token_hash):
                self._known[key] = principal
                return principal
        return None

    # -- writing -----------------------------------------------------------------------------------------

    def add(self, *, name: str, role: Role | str) -> str:
        """Make a principal and return its token (shown once: only its salted hash is stored).

        :raises InputError: on an invalid name or role.
        :raises ConflictError: if a principal of that name exists.
        :raises StoreError: if the store fails.
        """
        check_name(name)
        chosen = role if isinstance(role, Role) else parse_role(role)
        token, salt = new_token(), new_salt()
        with self._lock:
            current = self._read()
            if name in current:
                raise ConflictError(f"a principal named {name!r} exists", where="name")
            current[name] = Principal(
                name=name, role=chosen, salt=salt, token_hash=hash_token(token, salt=salt)
            )
            self._write(current)
        return token

    def set_role(self, *, name: str, role: Role | str) -> Principal:
        """Give principal ``name`` another role.

        :raises InputError: on an invalid role. :raises NotFoundError: if there is no such principal.
        :raises StoreError: if the store fails.
        """
        chosen = role if isinstance(role, Role) else parse_role(role)
        with self._lock:
            current = self._read()
            found = self._named(current, name)
            current[name] = Principal(name=name, role=chosen, salt=found.salt, token_hash=found.token_hash)
            self._write(current)
            return current[name]

    def remove(self, *, name: str) -> None:
        """Remove principal ``name``; its token stops working (within a second on other servers).

        :raises NotFoundError: if there is no such principal. :raises StoreError: if the store fails.
        """
        with self._lock:
            current = self._read()
            self._named(current, name)
            del current[name]
            self._write(current)

    @staticmethod
    def _named(current: dict[str, Principal], name: str) -> Principal:
        found = current.get(name)
        if found is None:
            raise NotFoundError(f"no principal named {name!r}")
        return found

    def _write(self, principals: dict[str, Principal]) -> None:
        generation = self._read_generation() + 1
        triples: list[Triple] = [(PRINCIPALS_GRAPH, MLKG.principalsGeneration, Literal(generation))]
        for p in principals.values():
            me = agent_iri(p.name)
            triples += [
                (me, RDF.type, MLKG.Principal),
                (me, MLKG.principalName, Literal(p.name)),
                (me, MLKG.role, Literal(p.role.value)),
                (me, MLKG.tokenSalt, Literal(p.salt)),
                (me, MLKG.tokenHash, Literal(p.token_hash)),
            ]
        self._store.replace_graphs(graphs={PRINCIPALS_GRAPH: triples})
        self._principals, self._known, self._generation = dict(principals), {}, generation
        self._checked = self._clock()
