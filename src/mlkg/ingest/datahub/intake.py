"""DataHub proposals through mlkg's one ingest path: map (:mod:`.mapping`), fold the pieces of each entity
into one document, merge it with the stored entity, validate with SHACL (:meth:`Ingestor.check_batch`),
write; a report per proposal.

DataHub sends an entity aspect by aspect, each an UPSERT of that aspect alone, so a document here is a
*merge* document (:mod:`mlkg.ingest.merge`): the values it gives replace the stored ones, the links it gives
are added, and what it does not mention stays. Within one batch the aspects of one entity are folded in
input order (a later value wins; lists are joined; columns are folded by name).

A proposal (an MCP, or an MCE with all its aspects) is all-or-nothing: if its mapping fails, or a document
it contributes to is rejected, nothing of it is written and it is reported with where and why (a JSON
pointer into the input); a document shared with a rejected proposal is not written either.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from rdflib import URIRef

from mlkg.errors import InputError, ParseError
from mlkg.ingest.datahub.mapping import Piece, map_proposal
from mlkg.ingest.datahub.proposals import proposals_of
from mlkg.ingest.datahub.urns import PlatformMap
from mlkg.ingest.document import ParseOutcome
from mlkg.ingest.ingestor import DEFAULT_BATCH_SIZE, Ingestor
from mlkg.ingest.report import IngestReport, Notice, Rejected
from mlkg.ingest.settle import settle
from mlkg.store.base import Store, Triple

__all__ = ["CheckedProposals", "DataHubIntake", "ProposalItem", "ProposalOutcome"]


@dataclass(frozen=True)
class ProposalItem:
    """One proposal of an input: its source name, its JSON pointer there (``""`` for a lone proposal), and
    its parsed value, or the error reading it gave."""

    source: str
    pointer: str
    value: Any = None
    error: InputError | None = None

    @property
    def where(self) -> str:
        return f"{self.source}#{self.pointer}" if self.pointer else self.source


@dataclass
class ProposalOutcome:
    """What became of one proposal: ``accepted`` (its entities written) or ``rejected`` (nothing written)."""

    where: str
    entity: str | None = None
    aspects: list[str] = field(default_factory=list)
    entities: list[str] = field(default_factory=list)
    ignored: list[Notice] = field(default_factory=list)
    rejection: Rejected | None = None

    @property
    def accepted(self) -> bool:
        return self.rejection is None

    def to_dict(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "status": "accepted" if self.accepted else "rejected",
            "where": self.where,
            "entityUrn": self.entity,
            "aspects": self.aspects,
            "entities": self.entities,
            "ignored": [{"where": n.where, "message": n.message} for n in self.ignored],
        }
        if self.rejection is not None:
            _, _, pointer = self.rejection.where.partition("#")
            entry["errors"] = [
                {"pointer": pointer, "message": self.rejection.message, "details": self.rejection.details}
            ]
        return entry


@dataclass(frozen=True)
class CheckedProposals:
    """A validated batch of proposals: its report, one outcome per proposal in input order, the graphs."""

    report: IngestReport
    proposals: list[ProposalOutcome]
    graphs: dict[URIRef, list[Triple]]


@dataclass
class _Doc:
    """One entity's folded document and the proposals (indices in the batch) it stands for."""

    pointer: str
    body: dict[str, Any]
    items: set[int]
    weak: list[tuple[int, Piece]] = field(default_factory=list)


class DataHubIntake:
    """Maps DataHub proposals to entity documents and writes them through ``ingestor``, merging."""

    def __init__(self, *, ingestor: Ingestor, names: PlatformMap) -> None:
        self._ingestor = ingestor
        self._names = names

    def check(
        self, *, proposals: Sequence[ProposalItem], store: Store | None, write: bool = True
    ) -> CheckedProposals:
        """Map, fold, merge with ``store`` (read, never written here) and validate one batch.

        :raises StoreError: if reading the store fails.
        """
        outcomes = [ProposalOutcome(where=item.where) for item in proposals]
        docs: dict[tuple[str, str], _Doc] = {}
        for index, item in enumerate(proposals):
            outcome = outcomes[index]
            if item.error is not None:
                outcome.rejection = Rejected.from_error(item.error, source=item.source)
                continue
            try:
                pieces = self._map(item, outcome)
            except ParseError as error:
                at = f"{item.pointer}{error.where or ''}"
                error.where = f"{item.source}#{at}" if at else item.source
                outcome.rejection = Rejected.from_error(error, source=item.source)
                continue
            for piece in pieces:
                doc = docs.get(piece.key)
                if doc is None:
                    doc = docs[piece.key] = _Doc(
                        pointer=f"{item.pointer}{piece.pointer}", body={}, items=set()
                    )
                if piece.weak:
                    doc.weak.append((index, piece))
                else:
                    fold(doc.body, piece.body)
                    doc.items.add(index)
        self._settle_weak(docs, outcomes=outcomes, proposals=proposals, store=store)
        parsed = ParseOutcome()
        by_where: dict[str, _Doc] = {}
        for doc in docs.values():
            if not doc.items:
                continue
            source = proposals[min(doc.items)].source
            by_where[f"{source}#{doc.pointer}"] = doc
            parsed.extend(self._ingestor.read_document(name=source, pointer=doc.pointer, item=doc.body))
        checked = self._ingestor.check_batch(parsed=parsed, store=store, write=write, merge=True)
        return _settle(checked.report, checked.graphs, by_where=by_where, outcomes=outcomes, write=write)

    def ingest_stream(
        self,
        *,
        store: Store | None,
        items: Iterable[ProposalItem],
        batch_size: int = DEFAULT_BATCH_SIZE,
        write: bool = True,
    ) -> Iterator[CheckedProposals]:
        """Check and write proposals ``batch_size`` at a time (one store write per batch), yielding each
        batch's outcome.

        :raises InputError: if ``batch_size`` is not positive.
        :raises StoreError: if the store fails (the batches before were written).
        """
        if batch_size <= 0:
            raise InputError(f"the batch size must be positive, not {batch_size}", where="--batch-size")
        batch: list[ProposalItem] = []
        for item in items:
            batch.append(item)
            if len(batch) >= batch_size:
                yield self._write(batch, store=store, write=write)
                batch = []
        if batch:
            yield self._write(batch, store=store, write=write)

    def _write(self, batch: Sequence[ProposalItem], *, store: Store | None, write: bool) -> CheckedProposals:
        checked = self.check(proposals=batch, store=store, write=write)
        if write and store is not None and checked.graphs:
            store.replace_graphs(graphs=checked.graphs)
        return checked

    def _map(self, item: ProposalItem, outcome: ProposalOutcome) -> list[Piece]:
        pieces: list[Piece] = []
        for proposal in proposals_of(item.value):
            outcome.entity = outcome.entity or proposal.urn
            if proposal.aspect_name:
                outcome.aspects.append(proposal.aspect_name)
            mapped = map_proposal(proposal, names=self._names)
            pieces.extend(mapped.pieces)
            outcome.ignored.extend(
                Notice(item.source, f"{item.source}#{item.pointer}{at}", message)
                for at, message in mapped.ignored
            )
        return pieces

    def _settle_weak(
        self,
        docs: dict[tuple[str, str], _Doc],
        *,
        outcomes: list[ProposalOutcome],
        proposals: Sequence[ProposalItem],
        store: Store | None,
    ) -> None:
        """Fold each weak piece into an entity otherwise known (in this batch, or stored); report the others
        as ignored."""
        minter = self._ingestor.minter
        for (kind, fqn), doc in docs.items():
            if not doc.weak:
                continue
            known = bool(doc.items)
            if not known and store is not None:
                iri = minter.mint(segment=minter.type_named(kind).segment, fqn=fqn)
                known = any(True for _ in store.quads(subject=iri, graph=iri))
            for index, piece in doc.weak:
                if known:
                    fold(doc.body, piece.body)
                    doc.items.add(index)
                else:
                    source = proposals[index].source
                    outcomes[index].ignored.append(
                        Notice(
                            source,
                            f"{source}#{proposals[index].pointer}{piece.pointer}",
                            f"the {kind} {fqn} is not known (neither stored nor in this load): the link "
                            "to it is not written",
                        )
                    )


def fold(into: dict[str, Any], piece: dict[str, Any]) -> None:
    """Fold ``piece`` into the document ``into``: a later value wins, lists are joined (an entry already
    there, by its fully qualified name or else its name, is folded: columns, hyperparameters, metrics)."""
    for key, value in piece.items():
        old = into.get(key)
        if isinstance(value, list) and isinstance(old, list):
            for entry in value:
                same = next((o for o in old if _same(o, entry)), None) if isinstance(entry, dict) else None
                if same is not None:
                    fold(same, entry)
                elif entry not in old:
                    old.append(entry)
        elif isinstance(value, list):
            into[key] = [dict(e) if isinstance(e, dict) else e for e in value]
        elif isinstance(value, dict) and isinstance(old, dict):
            fold(old, value)  # custom properties: a later value of a name wins
        else:
            into[key] = value


def _same(a: Any, b: dict[str, Any]) -> bool:
    """Whether two list entries are one node: a reference by its fully qualified name, a column, a
    hyperparameter or a metric by its name (so a later value of it wins)."""
    if not isinstance(a, dict):
        return False
    if "fullyQualifiedName" in b:
        return bool(a.get("fullyQualifiedName") == b["fullyQualifiedName"])
    return "name" in b and a.get("name") == b["name"]


def _settle(
    report: IngestReport,
    graphs: dict[URIRef, list[Triple]],
    *,
    by_where: dict[str, _Doc],
    outcomes: list[ProposalOutcome],
    write: bool,
) -> CheckedProposals:
    """Reject every proposal one of whose documents was rejected, and drop its other documents."""
    members = {where: doc.items for where, doc in by_where.items()}
    final = settle(report, graphs, members=members, outcomes=outcomes, noun="proposal", write=write)
    return CheckedProposals(report=final, proposals=outcomes, graphs=graphs)
