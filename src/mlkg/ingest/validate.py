"""SHACL validation of entity documents with pyshacl, against ``ontology/shapes.ttl``.

pyshacl changes rdflib's process-wide tables while it runs, so it is called only from
:meth:`ShapesValidator.results`, which holds :data:`mlkg.locks.RDFLIB_GLOBALS` (DESIGN.md habit 3).

The data graph of one validation is small on purpose: the document's triples plus the ``rdf:type`` triples of
the IRIs it references (from the same batch or the store), so that a reference by bare IRI to a column
already loaded satisfies ``sh:class``. The ontology's ``rdfs:subClassOf`` triples are added to it, so
that ``sh:class`` and ``sh:targetClass`` follow ``rdfs:subClassOf`` (SHACL sections 2.1.3.2 and 4.1.1: "SHACL
instance" is ``rdf:type/rdfs:subClassOf*``): a FeatureTable is a Table. No inference is run, so a
property's ``rdfs:domain`` / ``rdfs:range`` never makes a violation pass.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from rdflib import RDF, RDFS, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import NamespaceManager

from mlkg.errors import StoreError
from mlkg.locks import RDFLIB_GLOBALS
from mlkg.resources import SHAPES_FILE, data_file, ontology_text
from mlkg.store.base import Subject, Triple
from mlkg.vocab import NS

__all__ = ["ShapesValidator", "ValidationResults"]

SH = Namespace("http://www.w3.org/ns/shacl#")


@dataclass(frozen=True)
class ValidationResults:
    """SHACL results about the nodes a document describes: violations reject it, warnings do not."""

    violations: list[dict[str, str]]
    warnings: list[dict[str, str]]


class ShapesValidator:
    """The shapes and the ontology, parsed once; validates one document graph at a time.

    :raises StoreError: if the shapes or the ontology shipped with mlkg cannot be parsed (a broken install).
    """

    def __init__(self) -> None:
        try:
            self._shapes = Graph().parse(
                data=data_file(SHAPES_FILE).read_text(encoding="utf-8"), format="turtle"
            )
            ontology = Graph().parse(data=ontology_text(), format="turtle")
        except Exception as error:  # rdflib's BadSyntax: the installed package is broken
            raise StoreError(f"cannot read mlkg's shapes or ontology: {error}") from error
        # Only the class hierarchy matters to SHACL without inference ("SHACL instance" is
        # rdf:type/rdfs:subClassOf*): mixing these few triples into each data graph replaces pyshacl's
        # ont_graph, which copied the whole ontology into every document's graph (42% of an upload's time).
        self._hierarchy: list[Triple] = [
            (s, RDFS.subClassOf, o)
            for s, o in ontology.subject_objects(RDFS.subClassOf)
            if isinstance(s, URIRef) and isinstance(o, URIRef)
        ]
        self._names = NamespaceManager(Graph(), bind_namespaces="none")
        self._names.bind("mlkg", Namespace(NS))
        self._names.bind("xsd", Namespace("http://www.w3.org/2001/XMLSchema#"))

    def results(
        self, *, triples: Iterable[Triple], context: Iterable[Triple], focus: frozenset[Subject]
    ) -> ValidationResults:
        """Validate ``triples`` (one entity document) with ``context`` (type triples of what it references)
        and return the results whose focus node is in ``focus``.

        Implements SHACL section 3 (Validation): every shape's targets in the data graph are validated;
        results about nodes the document only references are left out, as their own document answers for
        them. Holds :data:`mlkg.locks.RDFLIB_GLOBALS` while pyshacl runs.
        """
        import pyshacl  # imported here: slow to import, and only ingest needs it

        data = Graph()
        for triple in triples:
            data.add(triple)
        for triple in context:
            data.add(triple)
        for triple in self._hierarchy:
            data.add(triple)
        with RDFLIB_GLOBALS:
            _, report, _ = pyshacl.validate(
                data,
                shacl_graph=self._shapes,
                inference="none",
                allow_warnings=True,
                allow_infos=True,
            )
        violations: list[dict[str, str]] = []
        warnings: list[dict[str, str]] = []
        for result in report.subjects(RDF.type, SH.ValidationResult):
            focus_node = report.value(result, SH.focusNode)
            if focus_node not in focus:
                continue
            described = self._describe(report, result)
            (violations if described["severity"] == "Violation" else warnings).append(described)
        violations.sort(key=lambda d: (d["focus"], d["path"], d["message"]))
        warnings.sort(key=lambda d: (d["focus"], d["path"], d["message"]))
        return ValidationResults(violations=violations, warnings=warnings)

    def _describe(self, report: Graph, result: Subject) -> dict[str, str]:
        """One result as the dict :class:`mlkg.errors.ValidationError` carries (SHACL section 3.6)."""
        severity = report.value(result, SH.resultSeverity)
        component = report.value(result, SH.sourceConstraintComponent)
        messages = sorted(str(m) for m in report.objects(result, SH.resultMessage))
        return {
            "focus": self._show(report.value(result, SH.focusNode)),
            "path": self._show(report.value(result, SH.resultPath)),
            "value": self._show(report.value(result, SH.value)),
            "message": messages[0] if messages else "",
            "severity": _local(severity) if severity is not None else "Violation",
            "constraint": _local(component) if component is not None else "",
        }

    def _show(self, term: object) -> str:
        if term is None:
            return ""
        if isinstance(term, URIRef):
            return term.n3(self._names)
        if isinstance(term, Literal):  # by hand: rdflib's n3() warns on ill-typed numbers
            text = json.dumps(str(term), ensure_ascii=False)
            if term.language:
                return f"{text}@{term.language}"
            return f"{text}^^{term.datatype.n3(self._names)}" if term.datatype else text
        if isinstance(term, BNode):
            return f"_:{term}"
        return str(term)


def _local(term: object) -> str:
    text = str(term)
    return text.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
