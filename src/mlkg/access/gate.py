"""The permission a parsed write needs (docs/architecture.md, section 10), for every front door at once: a
:class:`PermissionGate` is the :class:`~mlkg.reasoning.gate.WriteGate` of a request's write.

- **delete**: a delete (soft or hard), a Graph Store ``DELETE``, a SPARQL Update with ``DROP``, ``CLEAR``,
  ``MOVE`` or ``COPY`` (operations of the parsed update).
- **deploy**: a model version whose stage becomes ``Production`` or ``Archived`` or whose aliases change,
  compared with what is stored (after the registry rules, so versions archived by ``archiveExistingVersions``
  or losing an alias count); a Deployment entity written; a SPARQL Update naming ``mlkg:stage``,
  ``mlkg:alias`` or ``mlkg:Deployment`` anywhere in its parse tree.
- **write**: anything else.

Decisions are made on the parsed documents and the parsed update, never on text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Final

from rdflib import RDF, Literal, URIRef

from mlkg.access.roles import Permission
from mlkg.errors import ForbiddenError
from mlkg.store.base import Triple
from mlkg.store.sparqlcheck import UpdateGraphs
from mlkg.vocab import MLKG

__all__ = ["DEPLOY_STAGES", "PermissionGate"]

#: Stages a transition to which needs the deploy permission.
DEPLOY_STAGES: Final = frozenset({Literal("Production"), Literal("Archived")})
_DEPLOY_TERMS: Final = frozenset({MLKG.stage, MLKG.alias, MLKG.Deployment})
_ORDER: Final = tuple(Permission)


class PermissionGate:
    """Refuses a write that needs a permission ``permissions`` lacks (:class:`ForbiddenError`, HTTP 403,
    nothing written); :attr:`needed` is the highest permission the writes seen so far needed."""

    def __init__(self, *, permissions: frozenset[Permission], who: str) -> None:
        self.permissions = permissions
        self.who = who
        self.needed = Permission.WRITE
        #: The graphs the writes asked about named, allowed or not (the targets of a denied attempt).
        self.seen: list[URIRef] = []

    def _need(self, permission: Permission, why: str) -> None:
        if _ORDER.index(permission) > _ORDER.index(self.needed):
            self.needed = permission
        if permission not in self.permissions:
            raise ForbiddenError(
                f"{why} needs the {permission.value} permission, which {self.who} does not have; "
                "nothing was written"
            )

    def replacing(
        self, *, given: Mapping[URIRef, Sequence[Triple]], stored: Mapping[URIRef, Sequence[Triple]]
    ) -> None:
        self.seen.extend(given)
        for name, triples in given.items():
            before = stored.get(name, ())
            if _deployment(triples) or _deployment(before):
                self._need(Permission.DEPLOY, f"writing the deployment {name}")
            new_stage, old_stage = _values(triples, name, MLKG.stage), _values(before, name, MLKG.stage)
            if new_stage != old_stage and new_stage & DEPLOY_STAGES:
                stage = ", ".join(sorted(str(v) for v in new_stage & DEPLOY_STAGES))
                self._need(Permission.DEPLOY, f"moving {name} to the stage {stage}")
            if _values(triples, name, MLKG.alias) != _values(before, name, MLKG.alias):
                self._need(Permission.DEPLOY, f"changing the aliases of {name}")

    def changing(self, *, graph: URIRef, inserted: Sequence[Triple]) -> None:
        self.seen.append(graph)
        for _, predicate, value in inserted:
            if (
                (predicate == MLKG.stage and value in DEPLOY_STAGES)
                or predicate == MLKG.alias
                or (predicate == RDF.type and value == MLKG.Deployment)
            ):
                self._need(Permission.DEPLOY, f"writing {predicate} in {graph}")

    def deleting(self, *, graphs: Sequence[URIRef], hard: bool) -> None:
        self.seen.extend(graphs)
        what = "a hard delete" if hard else "a delete"
        self._need(Permission.DELETE, f"{what} of {', '.join(graphs[:3])}")

    def updating(self, *, graphs: UpdateGraphs) -> None:
        self.seen.extend(sorted(graphs.named))
        if graphs.drops:
            self._need(Permission.DELETE, "a SPARQL Update with DROP, CLEAR, MOVE or COPY")
        named = graphs.terms & _DEPLOY_TERMS
        if named:
            terms = ", ".join(sorted(named))
            self._need(Permission.DEPLOY, f"a SPARQL Update naming {terms}")


def _deployment(triples: Iterable[Triple]) -> bool:
    return any(p == RDF.type and o == MLKG.Deployment for _, p, o in triples)


def _values(triples: Iterable[Triple], subject: URIRef, predicate: URIRef) -> frozenset[object]:
    return frozenset(o for s, p, o in triples if s == subject and p == predicate)
