"""Entity documents: the unit mlkg validates and writes, one named graph per entity (docs/architecture.md,
section 1).

Also the checks every document passes whatever its input format: valid IRIs, no reserved graph name, and no
asserted ``mlkg:upstream`` / ``mlkg:downstream`` (they live only in the inferred graph, docs/architecture.md,
habit 6).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from rdflib import BNode, Literal, URIRef

from mlkg.errors import ParseError, ValidationError
from mlkg.ingest.report import Notice, Rejected
from mlkg.store.base import Subject, Triple
from mlkg.vocab import (
    ALIGNMENT_IRI,
    INFERRED_GRAPH,
    MLKG,
    NS,
    ONTOLOGY_GRAPH,
    ONTOLOGY_IRI,
    PENDING_GRAPH,
    REFERENCE_PREDICATES,
    SUBSCRIPTIONS_GRAPH,
)

__all__ = [
    "EntityDocument",
    "ParseOutcome",
    "ValidationOutcome",
    "check_document",
    "describing_nodes",
    "is_absolute_iri",
    "is_reserved",
]

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
# Characters RFC 3987 does not allow anywhere in an IRI (and N-Triples cannot write between < and >).
_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|\\^`\x7f]')
#: Predicates an entity reference may carry without being a description of its own (see describing_nodes).
_REFERENCE_PREDICATES = REFERENCE_PREDICATES


@dataclass(frozen=True)
class EntityDocument:
    """The triples of one entity, to be stored in the named graph ``entity``.

    ``focus`` holds the nodes the document describes (the entity, its nested owned nodes, its blank nodes):
    SHACL results are reported for them only, so a bare reference such as ``{"type": "mlmodel",
    "fullyQualifiedName": "..."}`` is not required to carry everything a model needs.
    """

    entity: URIRef
    source: str
    where: str
    triples: tuple[Triple, ...]
    focus: frozenset[Subject]


@dataclass
class ParseOutcome:
    """What reading one source gave: entity documents, rejected parts, notices."""

    documents: list[EntityDocument] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)

    def extend(self, other: ParseOutcome) -> None:
        self.documents.extend(other.documents)
        self.rejected.extend(other.rejected)
        self.notices.extend(other.notices)


@dataclass
class ValidationOutcome:
    """Documents that satisfy the shapes, documents that do not, and SHACL warnings as notices."""

    valid: list[EntityDocument] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)


def is_absolute_iri(value: str) -> bool:
    """True if ``value`` has a scheme and no character IRIs forbid (RFC 3987 section 2.2)."""
    return bool(_SCHEME.match(value)) and not _FORBIDDEN.search(value)


def is_reserved(iri: URIRef) -> bool:
    """True for IRIs owned by mlkg itself: the inferred, ontology and pending graphs and the vocabulary's
    terms."""
    text = str(iri)
    owned = (INFERRED_GRAPH, ONTOLOGY_GRAPH, PENDING_GRAPH, SUBSCRIPTIONS_GRAPH, ONTOLOGY_IRI, ALIGNMENT_IRI)
    return iri in owned or text.startswith(NS)


def describing_nodes(*, entity: URIRef, triples: Iterable[Triple]) -> frozenset[Subject]:
    """The subjects a graph describes, as opposed to the entities it only references.

    The entity and every blank node are described; another IRI subject is described when it has a
    predicate beyond what an entity reference carries (type, name, fully qualified name, display name,
    description, external id). Used for RDF inputs, where no JSON structure tells references apart.
    """
    found: set[Subject] = {entity}
    for s, p, _ in triples:
        if isinstance(s, BNode) or p not in _REFERENCE_PREDICATES:
            found.add(s)
    return frozenset(found)


def check_document(*, entity: URIRef, triples: Iterable[Triple], where: str) -> None:
    """Checks every entity document passes before SHACL validation.

    :raises ParseError: an IRI is not absolute or contains characters IRIs forbid (it could not be stored
        or exported); the document is empty.
    :raises ValidationError: the entity IRI is reserved by mlkg (inferred graph, ontology graph, vocabulary),
        or the document asserts ``mlkg:upstream`` / ``mlkg:downstream``, which only mlkg infers.
    """
    if is_reserved(entity):
        raise ValidationError(
            f"{entity} is reserved by mlkg (the inferred graph, the ontology graph or a vocabulary term) "
            "and cannot be written as an entity",
            where=where,
        )
    count = 0
    for triple in triples:
        count += 1
        s, p, o = triple
        for term in (s, p, o):
            if isinstance(term, URIRef) and not is_absolute_iri(str(term)):
                raise ParseError(f"invalid IRI <{term}>: an IRI needs a scheme and no spaces", where=where)
            if isinstance(term, Literal) and term.datatype is not None and not is_absolute_iri(term.datatype):
                raise ParseError(f"invalid datatype IRI <{term.datatype}>", where=where)
        if p in (MLKG.upstream, MLKG.downstream):
            name = "upstream" if p == MLKG.upstream else "downstream"
            raise ValidationError(
                f"mlkg:{name} is inferred by mlkg and lives only in the inferred graph; state direct lineage "
                "instead (trainedOn, readsFrom, writesTo, dataSource, usesFeature, derivedFromColumns, ...)",
                where=where,
            )
    if count == 0:
        raise ParseError(f"the document for {entity} has no triples", where=where)
