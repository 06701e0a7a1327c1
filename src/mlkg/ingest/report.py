"""The ingest report: what was accepted, what was rejected and why, and notices for the user.

The report is what ``mlkg load`` / ``mlkg validate`` print (``--json`` prints :meth:`IngestReport.to_dict`)
and what ``POST /entities`` answers with (201 or 400/413/415/422, chosen from :attr:`Rejected.kind`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from rdflib import URIRef

from mlkg.errors import (
    ContextError,
    InputError,
    ParseError,
    PayloadTooLargeError,
    UnsupportedFormatError,
    ValidationError,
)

__all__ = ["Accepted", "IngestReport", "Notice", "Rejected", "RejectionKind"]


class RejectionKind(str, Enum):
    """Why a document or a whole source was rejected. Each kind matches one error of :mod:`mlkg.errors`."""

    #: Malformed input: bad JSON, Turtle syntax, invalid JSON-LD, empty input, invalid UTF-8, bad IRIs.
    PARSE = "parse"
    #: A ``@context`` that cannot be used: a remote context other than mlkg's, or an invalid one.
    CONTEXT = "context"
    #: Well-formed but violates the SHACL shapes or an mlkg rule (e.g. asserted mlkg:upstream).
    VALIDATION = "validation"
    #: Larger than the configured limit (``MLKG_MAX_DOCUMENT_BYTES``).
    TOO_LARGE = "too_large"
    #: A format mlkg does not read.
    UNSUPPORTED = "unsupported"

    @classmethod
    def of(cls, error: InputError) -> RejectionKind:
        """The kind matching an error raised while reading a document."""
        for error_class, kind in _KINDS:
            if isinstance(error, error_class):
                return kind
        return cls.PARSE

    def error_class(self) -> type[InputError]:
        """The :mod:`mlkg.errors` class of this kind (the HTTP and CLI layers map it to a status)."""
        return next(error_class for error_class, kind in _KINDS if kind is self)


_KINDS: tuple[tuple[type[InputError], RejectionKind], ...] = (
    (ContextError, RejectionKind.CONTEXT),
    (ValidationError, RejectionKind.VALIDATION),
    (PayloadTooLargeError, RejectionKind.TOO_LARGE),
    (UnsupportedFormatError, RejectionKind.UNSUPPORTED),
    (ParseError, RejectionKind.PARSE),
)


@dataclass(frozen=True)
class Accepted:
    """A document that passed validation (and was written, unless the run was a dry run)."""

    entity: URIRef
    source: str
    #: ``<source>#/<json pointer>`` for JSON, the graph or subject IRI for RDF formats.
    where: str
    #: Number of triples in the entity's graph.
    triples: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "entity": str(self.entity),
            "source": self.source,
            "where": self.where,
            "triples": self.triples,
        }


@dataclass(frozen=True)
class Rejected:
    """A document (or a whole source) that was not written, with the reason.

    ``details`` lists SHACL results (focus node, path, value, message, severity, constraint) for
    validation failures and is empty otherwise.
    """

    source: str
    where: str
    message: str
    kind: RejectionKind = RejectionKind.PARSE
    details: list[dict[str, str]] = field(default_factory=list)
    entity: URIRef | None = None

    @classmethod
    def from_error(cls, error: InputError, *, source: str, entity: URIRef | None = None) -> Rejected:
        """The rejection for an error raised while reading a document of ``source``."""
        details = error.results if isinstance(error, ValidationError) else []
        return cls(
            source=source,
            where=error.where or source,
            message=error.message,
            kind=RejectionKind.of(error),
            details=list(details),
            entity=entity,
        )

    def to_error(self) -> InputError:
        """This rejection as the matching :mod:`mlkg.errors` exception (not raised)."""
        error_class = self.kind.error_class()
        if error_class is ValidationError:
            return ValidationError(self.message, where=self.where, results=list(self.details))
        return error_class(self.message, where=self.where)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "where": self.where,
            "kind": self.kind.value,
            "message": self.message,
            "details": [dict(d) for d in self.details],
            "entity": str(self.entity) if self.entity is not None else None,
        }


@dataclass(frozen=True)
class Notice:
    """Something the user should know that did not stop a document: an ignored field, a skipped graph,
    a duplicate entity in one batch, a SHACL warning."""

    source: str
    where: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "where": self.where, "message": self.message}


@dataclass(frozen=True)
class IngestReport:
    """The outcome of one batch. ``ok`` is True when nothing was rejected."""

    accepted: list[Accepted] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    #: True when nothing was written on purpose (``mlkg validate``, ``dry_run=True``).
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.rejected

    @property
    def entities(self) -> list[URIRef]:
        """The IRIs of the accepted entities, in input order."""
        return [a.entity for a in self.accepted]

    @classmethod
    def combine(cls, reports: Iterable[IngestReport], *, dry_run: bool = False) -> IngestReport:
        """One report for several batches, in their order."""
        combined = cls(dry_run=dry_run)
        for report in reports:
            combined.accepted.extend(report.accepted)
            combined.rejected.extend(report.rejected)
            combined.notices.extend(report.notices)
        return combined

    def documents(self) -> list[dict[str, Any]]:
        """One entry per document in input order (by the JSON pointer's first index where there is one):
        ``status`` (``accepted`` or ``rejected``), ``entity`` (its IRI, or None if unknown), ``where``, and
        for a rejection ``kind`` and ``errors`` (``pointer``: the JSON pointer into the input, ``message``,
        ``details``: the SHACL results)."""
        entries: list[tuple[tuple[str, int], dict[str, Any]]] = []
        for accepted in self.accepted:
            entry: dict[str, Any] = {
                "status": "accepted",
                "entity": str(accepted.entity),
                "where": accepted.where,
            }
            entries.append((_position(accepted.where), entry))
        for rejected in self.rejected:
            _, _, pointer = rejected.where.partition("#")
            error = {"pointer": pointer, "message": rejected.message, "details": list(rejected.details)}
            entry = {
                "status": "rejected",
                "entity": str(rejected.entity) if rejected.entity is not None else None,
                "where": rejected.where,
                "kind": rejected.kind.value,
                "errors": [error],
            }
            entries.append((_position(rejected.where), entry))
        entries.sort(key=lambda pair: pair[0])
        return [entry for _, entry in entries]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``ok``, ``dry_run``, ``accepted``, ``rejected``, ``notices``."""
        return {
            "ok": self.ok,
            "dry_run": self.dry_run,
            "accepted": [a.to_dict() for a in self.accepted],
            "rejected": [r.to_dict() for r in self.rejected],
            "notices": [n.to_dict() for n in self.notices],
        }


def _position(where: str) -> tuple[str, int]:
    """The source and the first array index of a ``source#/N/...`` or ``source#/@graph/N/...`` location."""
    source, _, pointer = where.partition("#")
    parts = pointer.split("/")
    for part in parts[1:3]:
        if part.isdigit():
            return source, int(part)
    return source, -1
