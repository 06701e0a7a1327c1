"""The audit trail (docs/architecture.md, section 10): every write attempt, granted or denied, from HTTP or
the command line, recorded as PROV-O in the append-only graph ``https://w3id.org/mlkg/graph/audit``.

An attempt is a ``prov:Activity`` and ``mlkg:WriteAttempt``: ``prov:wasAssociatedWith`` its agent (the
principal, or the operating-system user of a command; the agent IRIs of the entity history), ``prov:
startedAtTime``, ``mlkg:action`` (``POST /entities``, ``mlkg load``), ``mlkg:permission`` it needed,
``mlkg:outcome`` (``granted``, ``denied``, ``failed``) with ``mlkg:outcomeDetail``, ``mlkg:requestId``,
``mlkg:attemptTarget`` the entities (graphs) it named or changed, and ``prov:used`` / ``prov:generated`` the
version records before and after (:mod:`mlkg.history.records`).

Records are appended on the wrapped store (one ``change_graph`` insert each), a path the write routes cannot
take: a :class:`~mlkg.reasoning.store.ReasonedStore` refuses every write naming the audit graph.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from importlib.resources import files
from typing import Any, Final

from rdflib import RDF, XSD, Literal, URIRef
from rdflib.namespace import PROV

from mlkg.access.gate import PermissionGate
from mlkg.access.roles import Permission
from mlkg.errors import ForbiddenError, InputError, MlkgError
from mlkg.history.records import VERSIONS_SEGMENT, agent_iri, version_iri
from mlkg.ids import attempt_iri
from mlkg.reasoning.store import ReasonedStore
from mlkg.reasoning.written import Written
from mlkg.store.base import SelectResult, Store, Term, Triple
from mlkg.vocab import AUDIT_GRAPH, MLKG

__all__ = ["Attempt", "AuditTrail", "Outcome", "os_user", "parse_instant"]

#: The ``entity`` parameter of the audit query that stands for every entity.
_ANY: Final = URIRef("urn:mlkg:any")
_QUERY: Final = files("mlkg.access").joinpath("audit.rq").read_text(encoding="utf-8")


class Outcome(StrEnum):
    """How a write attempt ended."""

    GRANTED = "granted"
    DENIED = "denied"
    FAILED = "failed"


def parse_instant(text: str, *, where: str) -> datetime:
    """An ISO 8601 date or time (``2026-05-01``, ``2026-05-01T10:00:00Z``); without a zone, UTC.

    :raises InputError: if it is neither (naming ``where``).
    """
    try:
        at = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        raise InputError(f"{where} must be an ISO 8601 date or time, not {text!r}", where=where) from None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def os_user() -> str:
    """The operating-system user running this process (the agent of a command's writes)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@dataclass
class Attempt:
    """One write attempt, as it is recorded."""

    agent: str
    action: str
    request_id: str
    outcome: Outcome = Outcome.GRANTED
    permission: Permission = Permission.WRITE
    detail: str | None = None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    targets: list[URIRef] = field(default_factory=list)
    written: list[Written] = field(default_factory=list)

    def triples(self) -> list[Triple]:
        me, agent = attempt_iri(request_id=self.request_id), agent_iri(self.agent)
        out: list[Triple] = [
            (me, RDF.type, PROV.Activity),
            (me, RDF.type, MLKG.WriteAttempt),
            (me, PROV.wasAssociatedWith, agent),
            (agent, RDF.type, PROV.Agent),
            (agent, MLKG.principalName, Literal(self.agent)),
            (me, PROV.startedAtTime, Literal(self.at.isoformat(), datatype=XSD.dateTime)),
            (me, MLKG.action, Literal(self.action)),
            (me, MLKG.permission, Literal(self.permission.value)),
            (me, MLKG.outcome, Literal(self.outcome.value)),
            (me, MLKG.requestId, Literal(self.request_id)),
        ]
        if self.detail:
            out.append((me, MLKG.outcomeDetail, Literal(self.detail[:2000])))
        targets = dict.fromkeys(self.targets)
        for written in self.written:
            targets.update(dict.fromkeys(written.graphs))
            for record in written.versions:
                out.append((me, PROV.generated, record.iri))
                if record.previous is not None:
                    out.append((me, PROV.used, version_iri(record.entity, record.previous)))
        out.extend((me, MLKG.attemptTarget, target) for target in targets)
        return out


class AuditTrail:
    """Appends write attempts to the audit graph of ``store`` (the wrapped store, never a ReasonedStore)
    and reads them back."""

    def __init__(self, *, store: Store) -> None:
        self._store = store

    def record(self, attempt: Attempt) -> None:
        """Append ``attempt`` to the audit graph.

        :raises StoreError: if the store fails.
        """
        self._store.change_graph(graph=AUDIT_GRAPH, delete=[], insert=attempt.triples())

    @contextmanager
    def recording(
        self, *, store: ReasonedStore, attempt: Attempt, gate: PermissionGate | None = None
    ) -> Iterator[Attempt]:
        """Record ``attempt`` once the block has run: granted with what the writes through ``store`` changed
        (its observers), denied if ``gate`` or the block refused it (:class:`ForbiddenError`), failed if the
        block raised another mlkg error (the error is raised again). ``gate`` becomes the store's gate for
        the block."""
        store.observe(attempt.written.append)
        previous_gate, store.gate = store.gate, gate
        try:
            yield attempt
        except ForbiddenError as error:
            attempt.outcome, attempt.detail = Outcome.DENIED, str(error)
            raise
        except MlkgError as error:
            attempt.outcome, attempt.detail = Outcome.FAILED, str(error)
            raise
        finally:
            store.gate = previous_gate
            store.observers.remove(attempt.written.append)
            if gate is not None:
                attempt.permission = gate.needed
                if attempt.outcome is not Outcome.GRANTED:
                    attempt.targets.extend(gate.seen)
            self.record(attempt)

    def attempts(
        self,
        *,
        entity: URIRef | None = None,
        principal: str | None = None,
        since: datetime | None = None,
        limit: int = 1000,
    ) -> list[dict[str, Any]]:
        """The recorded attempts, newest first (at most ``limit``), of ``entity``, by ``principal``, at or
        after ``since``, as JSON objects.

        :raises StoreError: if the store fails.
        """
        at = since or datetime(1970, 1, 1, tzinfo=UTC)
        at = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
        bindings: dict[str, Term] = {
            "entity": entity if entity is not None else _ANY,
            "principal": Literal(principal or ""),
            "since": Literal(at.isoformat(), datatype=XSD.dateTime),
        }
        result = self._store.query(query=_QUERY, bindings=bindings)
        assert isinstance(result, SelectResult)
        found: dict[str, dict[str, Any]] = {}
        for row in result.rows:
            values = dict(zip(result.variables, row, strict=True))
            key = str(values["attempt"])
            item = found.get(key)
            if item is None:
                if len(found) >= limit:
                    break
                item = found[key] = {
                    "at": str(values["at"]),
                    "principal": str(values["name"]),
                    "action": str(values["action"]),
                    "permission": _text(values.get("permission")),
                    "outcome": str(values["outcome"]),
                    "detail": _text(values.get("detail")),
                    "requestId": str(values["requestId"]),
                    "entities": [],
                    "versions": {},
                }
            target = values.get("target")
            if target is not None and str(target) not in item["entities"]:
                item["entities"].append(str(target))
            for key_name, side in (("used", "before"), ("generated", "after")):
                _version(item["versions"], values.get(key_name), side)
        out = list(found.values())
        for item in out:
            item["versions"] = [{"entity": e, **v} for e, v in sorted(item["versions"].items())]
        return out


def _text(term: object) -> str | None:
    return None if term is None else str(term)


def _version(versions: dict[str, dict[str, str | None]], term: object, side: str) -> None:
    """Note a version record IRI (``<entity>/versions/<n>``) as the version ``before`` or ``after``."""
    if term is None:
        return
    entity, _, number = str(term).rpartition(VERSIONS_SEGMENT)
    if entity:
        versions.setdefault(entity, {"before": None, "after": None})[side] = number
