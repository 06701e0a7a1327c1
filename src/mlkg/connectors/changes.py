"""Which mapped documents differ from what the store holds: what makes a connector's re-import incremental.

A connector maps everything it reads, every time, and parses the documents as an upload would
(:meth:`mlkg.ingest.Ingestor.parse_values`); before writing, each entity document is compared with the
entity's stored named graph (docs/architecture.md, section 1: one graph per entity, replaced whole), and only
the documents whose triples differ go to the write path. So a second import of an unchanged source writes
nothing (no history version, no audit record, no reasoning), and a change on the source side rewrites exactly
the entities whose documents it changes, whatever else happened in between: no watermark to keep, and an
entity edited in mlkg since the last import is put back to what the source says.

Triples are compared as :func:`mlkg.store.compare.same_triples` does: as sets, literals by value where their
datatype has one (a store may give back ``"1.0E0"^^xsd:double`` for ``"1.0"``).
"""

from __future__ import annotations

from mlkg.ingest import EntityDocument, ParseOutcome
from mlkg.store import Store
from mlkg.store.base import Triple
from mlkg.store.compare import same_triples

__all__ = ["changed_documents"]


def _stored(store: Store, document: EntityDocument) -> list[Triple]:
    return [(s, p, o) for s, p, o, _ in store.quads(graph=document.entity)]


def changed_documents(*, store: Store, outcome: ParseOutcome) -> tuple[ParseOutcome, list[EntityDocument]]:
    """``outcome`` without the documents whose entity graph already holds exactly their triples, and those
    unchanged documents. Rejections and notices are kept.

    :raises StoreError: if reading the store fails.
    """
    kept = ParseOutcome(rejected=list(outcome.rejected), notices=list(outcome.notices))
    unchanged: list[EntityDocument] = []
    for document in outcome.documents:
        if same_triples(document.triples, _stored(store, document)):
            unchanged.append(document)
        else:
            kept.documents.append(document)
    return kept, unchanged
