"""Merge uploads (``mlkg load --merge``, ``POST /entities?mode=merge``): a document adds to the entity it
names instead of replacing it, as DataHub's emitters send an entity piece by piece (``add_run_to_model``,
``add_input_datasets``): what the document does not mention stays.

The rule, per triple of the stored graph: a literal value of a (subject, property) pair the document also
gives literal values for is replaced by them (a description, an algorithm, a column's data type: values);
everything else is kept, links included (features, datasets, owners, columns: collections, to which the
document's links are added). The merged graph is validated like any upload, so a partial document need not
carry what the entity already has.
"""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import Literal

from mlkg.ingest.document import EntityDocument
from mlkg.store.base import Triple

__all__ = ["merge_document"]


def merge_document(document: EntityDocument, *, stored: Iterable[Triple]) -> EntityDocument:
    """``document`` with the stored triples of its entity it does not replace (see the module docstring)."""
    given = document.triples
    replaced = {(s, p) for s, p, o in given if isinstance(o, Literal)}
    kept = [t for t in stored if not (isinstance(t[2], Literal) and (t[0], t[1]) in replaced)]
    if not kept:
        return document
    return EntityDocument(
        entity=document.entity,
        source=document.source,
        where=document.where,
        triples=tuple(dict.fromkeys([*kept, *given])),
        focus=document.focus | {s for s, _, _ in kept if s == document.entity},
    )
