"""Settling a batch of connector inputs (OpenLineage events, DataHub proposals) whose documents were folded
across inputs: an input is written whole or not at all, so one rejected document rejects every input it
stands for, and those inputs' other documents are not written either (repeated until nothing changes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from rdflib import URIRef

from mlkg.ingest.report import IngestReport, Notice, Rejected
from mlkg.store.base import Triple

__all__ = ["InputOutcome", "settle"]


class InputOutcome(Protocol):
    """What became of one input (an event, a proposal): where it is, its rejection, what it wrote."""

    where: str
    rejection: Rejected | None
    entities: list[str]
    ignored: list[Notice]


def settle(
    report: IngestReport,
    graphs: dict[URIRef, list[Triple]],
    *,
    members: Mapping[str, set[int]],
    outcomes: Sequence[InputOutcome],
    noun: str,
    write: bool,
) -> IngestReport:
    """The report of the batch after its rejections spread to every input they touch; ``graphs`` loses the
    documents of rejected inputs and each accepted outcome learns its entities.

    ``members`` maps each document's ``where`` to the indices (in ``outcomes``) of the inputs it stands for;
    ``noun`` names an input in messages ("event", "proposal").
    """
    inputs_of: dict[URIRef, set[int]] = {}
    for accepted in report.accepted:
        found = members.get(accepted.where)
        if found is not None:
            inputs_of[accepted.entity] = found
    for rejected in report.rejected:
        found = members.get(rejected.where) or _members_at(members, rejected.where)
        for index in sorted(found or ()):
            if outcomes[index].rejection is None:
                outcomes[index].rejection = rejected
    changed = True
    while changed:  # a document shared with a rejected input goes, and so does every input in it
        changed = False
        for entity, indices in list(inputs_of.items()):
            bad = [i for i in indices if outcomes[i].rejection is not None]
            if not bad:
                continue
            del inputs_of[entity]
            graphs.pop(entity, None)
            cause = outcomes[bad[0]].rejection
            for index in indices:
                if outcomes[index].rejection is None and cause is not None:
                    outcomes[index].rejection = Rejected(
                        source=cause.source,
                        where=outcomes[index].where,
                        message=f"shares {entity} with the rejected {noun} at {outcomes[bad[0]].where}: "
                        f"{cause.message}",
                        kind=cause.kind,
                        details=cause.details,
                    )
                    changed = True
    for entity, indices in inputs_of.items():
        for index in sorted(indices):
            outcomes[index].entities.append(str(entity))
    kept = [a for a in report.accepted if a.entity in inputs_of]
    refused = [o.rejection for o in outcomes if o.rejection is not None]
    notices = [n for o in outcomes for n in o.ignored] + report.notices
    return IngestReport(accepted=kept, rejected=refused, notices=notices, dry_run=not write)


def _members_at(members: Mapping[str, set[int]], where: str) -> set[int] | None:
    """The inputs of the document a rejection points into (its ``where`` extends the document's)."""
    best: set[int] | None = None
    best_length = -1
    for start, indices in members.items():
        if where.startswith(start) and len(start) > best_length:
            best, best_length = indices, len(start)
    return best
