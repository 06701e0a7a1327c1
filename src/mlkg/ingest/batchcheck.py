"""SHACL validation of a batch of entity documents in one pyshacl run, with each document getting exactly the
results it would get validated alone.

Validated alone (:meth:`~mlkg.ingest.validate.ShapesValidator.results`), a document's data graph is its own
triples, the ``rdf:type`` triples of the IRIs it references (from the whole batch and from the store) and the
class hierarchy, and only results about the nodes it describes (its *focus*) are kept. When the shapes are
focus-local (:attr:`~mlkg.ingest.validate.ShapesValidator.batchable`: every constraint reads only a focus
node's outgoing triples and the types of their values, as mlkg's shapes do), a result about a focus node
X depends only on X's outgoing triples, X's types and the types of X's values. The batch's data graph is
built so that these are the same as in each document's own graph:

- each document contributes only the triples whose subject it describes;
- every node a document references (an object it does not describe) gets the types the batch and the store
  give it, which are exactly the types it has in the referencing document's own graph;
- a node a document describes that another document also describes (an owned tag such as ``PII.Sensitive``),
  or that another document references and so gets types its own document does not imply (a type that is
  not one of its own or a superclass of one: "SHACL instance" follows ``rdfs:subClassOf``, SHACL section
  2.1.3.2), is renamed in that document to a private IRI for the run, and renamed back in its results;
- a document that shares a blank node with another (a dataset format's shared label) is validated alone.

Results are mapped back to documents by focus node (SHACL section 3.6, ``sh:focusNode``). With shapes that are
not focus-local every document is validated alone, as before.
"""

from __future__ import annotations

from collections.abc import Sequence

from rdflib import RDF, BNode, URIRef

from mlkg.errors import ValidationError
from mlkg.ingest.document import EntityDocument, ValidationOutcome
from mlkg.ingest.report import Notice, Rejected
from mlkg.ingest.validate import ShapesValidator, ValidationResults
from mlkg.store.base import Store, Subject, Triple

__all__ = ["validate_documents"]


def validate_documents(
    *, shapes: ShapesValidator, documents: Sequence[EntityDocument], store: Store | None
) -> ValidationOutcome:
    """Validate ``documents`` against the shapes: one pyshacl run for the batch (plus one per document
    sharing a blank node with another, see the module docstring). Outcomes are in document order; the
    messages are those of validating each document alone.

    :raises StoreError: if reading types from the store fails.
    """
    types: dict[Subject, set[URIRef]] = {}
    for document in documents:
        for s, p, o in document.triples:
            if p == RDF.type and isinstance(o, URIRef):
                types.setdefault(s, set()).add(o)
    stored: dict[URIRef, set[URIRef]] = {}

    def stored_types(node: URIRef) -> set[URIRef]:
        if node not in stored:
            found: set[URIRef] = set()
            if store is not None:
                found = {o for _, _, o, _ in store.quads(subject=node, predicate=RDF.type)}  # type: ignore[misc]
            stored[node] = found
        return stored[node]

    def context_types(node: Subject) -> set[URIRef]:
        """The types a referencing document's own graph gives ``node``."""
        found = set(types.get(node, ()))
        if isinstance(node, URIRef):
            found |= stored_types(node)
        return found

    references = [_references(document) for document in documents]
    referenced: set[Subject] = set().union(*references) if references else set()
    describers: dict[Subject, int] = {}
    for document in documents:
        for node in document.focus:
            describers[node] = describers.get(node, 0) + 1
    blank_owners: dict[BNode, int] = {}
    for index, document in enumerate(documents):
        for triple in document.triples:
            for term in triple:
                if isinstance(term, BNode) and blank_owners.setdefault(term, index) != index:
                    blank_owners[term] = -1  # in two documents (a dataset format's shared label)

    alone = {
        index
        for index, document in enumerate(documents)
        if not shapes.batchable or _shares_blank(document, blank_owners)
    }
    batched = [index for index in range(len(documents)) if index not in alone]
    results: dict[int, ValidationResults] = {}
    if batched:
        data: list[Triple] = []
        owners: dict[Subject, list[object]] = {}
        aliases: dict[Subject, Subject] = {}
        for index in batched:
            document = documents[index]
            private: dict[Subject, Subject] = {}
            for node in document.focus:
                if isinstance(node, URIRef) and (
                    describers[node] > 1
                    or (
                        node in referenced
                        and not context_types(node) <= shapes.implied(_own_types(document, node))
                    )
                ):
                    private[node] = URIRef(f"urn:mlkg:batch:{len(aliases) + len(private)}")
            aliases.update((copy, node) for node, copy in private.items())
            for s, p, o in document.triples:
                if s in document.focus:
                    data.append((private.get(s, s), p, private.get(o, o) if isinstance(o, URIRef) else o))
            for node in document.focus:
                owners.setdefault(private.get(node, node), []).append(index)
        for node in referenced:
            data.extend((node, RDF.type, cls) for cls in context_types(node))
        found = shapes.results_by_focus(triples=data, focus=owners, aliases=aliases)
        for index in batched:
            results[index] = found.get(index) or ValidationResults(violations=[], warnings=[])
    for index in sorted(alone):
        document = documents[index]
        context = [(node, RDF.type, cls) for node in references[index] for cls in context_types(node)]
        results[index] = shapes.results(triples=document.triples, context=context, focus=document.focus)
    return _outcome(documents, results)


def _references(document: EntityDocument) -> set[Subject]:
    """The nodes ``document`` points at without describing them (values outside its focus)."""
    return {
        o
        for _, p, o in document.triples
        if p != RDF.type and isinstance(o, URIRef | BNode) and o not in document.focus
    }


def _shares_blank(document: EntityDocument, owners: dict[BNode, int]) -> bool:
    return any(isinstance(t, BNode) and owners[t] < 0 for triple in document.triples for t in triple)


def _own_types(document: EntityDocument, node: Subject) -> set[URIRef]:
    return {o for s, p, o in document.triples if s == node and p == RDF.type and isinstance(o, URIRef)}


def _outcome(documents: Sequence[EntityDocument], results: dict[int, ValidationResults]) -> ValidationOutcome:
    outcome = ValidationOutcome()
    for index, document in enumerate(documents):
        found = results[index]
        for warning in found.warnings:
            outcome.notices.append(
                Notice(document.source, document.where, f"{warning['focus']}: {warning['message']}")
            )
        if not found.violations:
            outcome.valid.append(document)
            continue
        first = found.violations[0]
        more = len(found.violations) - 1
        message = f"{document.entity} does not satisfy the mlkg shapes: {first['message']}" + (
            f" (and {more} more)" if more else ""
        )
        error = ValidationError(message, where=document.where, results=found.violations)
        outcome.rejected.append(Rejected.from_error(error, source=document.source, entity=document.entity))
    return outcome
