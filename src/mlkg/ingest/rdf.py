"""RDF sources (Turtle, N-Triples, N-Quads, TriG, RDF/XML) to entity documents, through rdflib.

How triples are grouped into entity documents (one named graph each, graph name = entity IRI):

- dataset formats (N-Quads, TriG): each named graph is one entity document. Graphs named
  :data:`mlkg.vocab.INFERRED_GRAPH`, :data:`mlkg.vocab.ONTOLOGY_GRAPH` or :data:`mlkg.vocab.PENDING_GRAPH`
  are skipped with a notice: mlkg recomputes the first and owns the others, which is what lets the output of
  ``mlkg export`` be loaded back (an export taken during a write may hold a write record).
  Default-graph triples are grouped like a triple format's;
- triple formats (Turtle, N-Triples, RDF/XML), and the default graph of a dataset: one entity document per IRI
  subject. Blank-node subjects are folded into the document of the IRI subject that references them
  (directly or through other blank nodes; the first such subject in IRI order if several do). Blank nodes
  no IRI subject reaches are rejected, as they could not be replaced or deleted later. Subjects that are
  terms of mlkg's own vocabulary are skipped with a notice.

Relative IRIs are resolved against the configured base of entity IRIs. rdflib fetches nothing while parsing
these formats (no remote contexts, no ``owl:imports``); JSON-LD never comes here but goes through
:mod:`mlkg.ingest.jsonld` and its frozen loader.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from types import MappingProxyType
from typing import Any, Final

import rdflib
from rdflib import BNode, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from mlkg.errors import InputError, ParseError
from mlkg.formats import RdfFormat
from mlkg.ingest.document import EntityDocument, ParseOutcome, check_document, describing_nodes, is_reserved
from mlkg.ingest.formats import InputFormat, Source
from mlkg.ingest.limits import refuse_doctype
from mlkg.ingest.report import Notice, Rejected
from mlkg.locks import RDFLIB_GLOBALS
from mlkg.store.base import Quad, Subject, Triple
from mlkg.vocab import INFERRED_GRAPH, ONTOLOGY_GRAPH, PENDING_GRAPH, SUBSCRIPTIONS_GRAPH

__all__ = ["RdfReader"]

#: The graphs mlkg maintains, skipped in dataset sources, and the word the notice uses for each.
_MLKG_GRAPHS: Final = MappingProxyType(
    {
        INFERRED_GRAPH: "inferred",
        ONTOLOGY_GRAPH: "ontology",
        PENDING_GRAPH: "pending",
        SUBSCRIPTIONS_GRAPH: "subscriptions",
    }
)

#: The formats read here (JSON-LD goes through :mod:`mlkg.ingest.jsonld`), from the registry.
_SPECS: Final = MappingProxyType({fmt: RdfFormat(fmt.value).spec for fmt in InputFormat if not fmt.is_json})
_RDFLIB_FORMATS = MappingProxyType({fmt: spec.rdflib for fmt, spec in _SPECS.items()})
_LABELS = MappingProxyType({fmt: spec.label for fmt, spec in _SPECS.items()})


class RdfReader:
    """Reads RDF sources into :class:`EntityDocument` objects; relative IRIs resolve against ``base``."""

    def __init__(self, *, base: str) -> None:
        self._base = base

    def read(self, *, source: Source, data: str | bytes) -> ParseOutcome:
        """Parse and split one source; a syntax error rejects the whole source (with rdflib's line)."""
        outcome = ParseOutcome()
        try:
            dataset = self._parse(source=source, data=data)
        except ParseError as error:
            outcome.rejected.append(Rejected.from_error(error, source=source.name))
            return outcome
        for graph in dataset.graphs():
            name = graph.identifier
            triples: list[Triple] = list(graph)  # type: ignore[arg-type]
            if not triples:
                continue
            if name == DATASET_DEFAULT_GRAPH_ID:
                self._split_subjects(triples, source=source, outcome=outcome)
            elif name in _MLKG_GRAPHS:
                what = _MLKG_GRAPHS[URIRef(name)]
                outcome.notices.append(
                    Notice(
                        source.name,
                        str(name),
                        f"the {what} graph <{name}> is maintained by mlkg and was skipped",
                    )
                )
            elif isinstance(name, URIRef):
                self._add(
                    URIRef(name), triples, source=source, outcome=outcome, where=str(name), grouped=False
                )
            else:
                outcome.rejected.append(
                    Rejected.from_error(
                        ParseError(f"a named graph needs an IRI as its name, not the blank node {name}"),
                        source=source.name,
                    )
                )
        return outcome

    def quads(self, *, source: Source, data: str | bytes) -> list[Quad]:
        """Parse one RDF source into quads as they are, without splitting into entity documents (the Graph
        Store Protocol writes graphs whole). Default-graph triples carry graph None.

        :raises ParseError: on a syntax error, with rdflib's line.
        """
        dataset = self._parse(source=source, data=data)
        found: list[Quad] = []
        for graph in dataset.graphs():
            name = None if graph.identifier == DATASET_DEFAULT_GRAPH_ID else graph.identifier
            if name is not None and not isinstance(name, URIRef):
                raise ParseError("a graph named by a blank node cannot be stored", where=source.name)
            found.extend((s, p, o, name) for s, p, o in graph)  # type: ignore[misc]
        return found

    def _parse(self, *, source: Source, data: str | bytes) -> rdflib.Dataset:
        """Parse with rdflib into a dataset (triple formats land in its default graph).

        :raises ParseError: rdflib's error, with the line (and column) when rdflib gives them; an RDF/XML
            document with a ``<!DOCTYPE>`` (:func:`~mlkg.ingest.limits.refuse_doctype`).
        """
        if source.format is InputFormat.RDFXML:
            refuse_doctype(data, where=source.name)
        dataset = rdflib.Dataset()
        target: rdflib.Graph = dataset if source.format.is_dataset else dataset.default_graph
        # rdflib's own dataset parsers go through APIs it deprecated (ConjunctiveGraph, default_context):
        # silence those warnings only, while holding the lock of code that touches process-wide state.
        with RDFLIB_GLOBALS, warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            try:
                target.parse(data=data, format=_RDFLIB_FORMATS[source.format], publicID=self._base)
            # rdflib raises BadSyntax, ParserError, SAXParseException, ValueError... depending on the format.
            except Exception as error:
                raise ParseError(
                    f"malformed {_LABELS[source.format]}: {_describe(error, data)}", where=source.name
                ) from error
        return dataset

    def _split_subjects(self, triples: list[Triple], *, source: Source, outcome: ParseOutcome) -> None:
        by_subject: dict[Subject, list[Triple]] = defaultdict(list)
        for triple in triples:
            by_subject[triple[0]].append(triple)
        owner: dict[BNode, URIRef] = {}
        iri_subjects: list[URIRef] = sorted((s for s in by_subject if isinstance(s, URIRef)), key=str)
        for iri in iri_subjects:
            stack: list[Subject] = [iri]
            while stack:
                for _, _, o in by_subject.get(stack.pop(), []):
                    if isinstance(o, BNode) and o not in owner:
                        owner[o] = iri
                        stack.append(o)
        documents: dict[URIRef, list[Triple]] = {s: list(by_subject[s]) for s in iri_subjects}
        orphans: list[BNode] = []
        for node, node_triples in by_subject.items():
            if isinstance(node, BNode):
                if node in owner:
                    documents[owner[node]].extend(node_triples)
                else:
                    orphans.append(node)
        if orphans:
            error = ParseError(
                f"{len(orphans)} blank node subject(s) are not referenced by any IRI subject: give each "
                "described thing an IRI, or nest it under the entity it belongs to",
                where=source.name,
            )
            outcome.rejected.append(Rejected.from_error(error, source=source.name))
        for subject, subject_triples in documents.items():
            if is_reserved(subject):
                outcome.notices.append(
                    Notice(
                        source.name, str(subject), f"<{subject}> is owned by mlkg's ontology and was skipped"
                    )
                )
                continue
            self._add(
                subject, subject_triples, source=source, outcome=outcome, where=str(subject), grouped=True
            )

    @staticmethod
    def _add(
        entity: URIRef,
        triples: list[Triple],
        *,
        source: Source,
        outcome: ParseOutcome,
        where: str,
        grouped: bool,
    ) -> None:
        try:
            check_document(entity=entity, triples=triples, where=where)
        except InputError as error:
            outcome.rejected.append(Rejected.from_error(error, source=source.name, entity=entity))
            return
        if grouped:  # one subject (and its blank nodes): everything in it is the entity's own description
            focus = frozenset(s for s, _, _ in triples) | {entity}
        else:
            focus = describing_nodes(entity=entity, triples=triples)
        outcome.documents.append(
            EntityDocument(
                entity=entity, source=source.name, where=where, triples=tuple(triples), focus=focus
            )
        )


def _describe(error: Exception, data: str | bytes) -> str:
    """rdflib's message, reduced to one line with its position.

    rdflib's Turtle / TriG errors carry a line, its XML parser's a line and column; its N-Triples / N-Quads
    errors quote the rest of the bad line, which is looked up in ``data`` to give its number.
    """
    lines = getattr(error, "lines", None)
    why = getattr(error, "_why", None)
    if isinstance(lines, int) and why:
        return f"{why} at line {lines + 1}"
    get_line: Any = getattr(error, "getLineNumber", None)
    get_column: Any = getattr(error, "getColumnNumber", None)
    if callable(get_line) and callable(get_column):
        reason = getattr(error, "getMessage", lambda: str(error))()
        return f"{reason} at line {get_line()} column {get_column()}"
    message = " ".join(str(error).split()) or type(error).__name__
    if message.startswith("Invalid line") and isinstance(data, str):
        fragment = message.rsplit(": ", 1)[-1].strip("'\"")
        for number, line in enumerate(data.splitlines(), start=1):
            if fragment and fragment in line:
                return f"{message} at line {number}"
    return message
