"""Ingest: JSON-LD, plain (OpenMetadata-shaped) JSON and RDF formats into entity documents, validated with
SHACL before anything is written, with a report of what was accepted and rejected.

Typical use::

    ingestor = Ingestor(minter=IriMinter.from_ontology(base=settings.base_iri),
                        max_bytes=settings.max_document_bytes)
    report = ingestor.ingest(store=store, sources=[Source(name="model.json", data=raw,
                                                          format=InputFormat.from_path("model.json"))])
    if not report.ok: ...

Every entity document is stored in its own named graph, whose IRI is the entity's; re-ingesting an entity
replaces its graph as a whole. Malformed input, refused contexts and SHACL violations are reported in the
:class:`IngestReport`, never raised; only a failing store raises (:class:`mlkg.errors.StoreError`).
"""

from __future__ import annotations

from mlkg.ingest.document import EntityDocument, ParseOutcome, ValidationOutcome
from mlkg.ingest.formats import InputFormat, Source
from mlkg.ingest.ingestor import Ingestor
from mlkg.ingest.loader import FrozenContextLoader
from mlkg.ingest.report import Accepted, IngestReport, Notice, Rejected, RejectionKind

__all__ = [
    "Accepted",
    "EntityDocument",
    "FrozenContextLoader",
    "IngestReport",
    "Ingestor",
    "InputFormat",
    "Notice",
    "ParseOutcome",
    "Rejected",
    "RejectionKind",
    "Source",
    "ValidationOutcome",
]
