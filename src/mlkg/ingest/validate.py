"""SHACL validation of entity documents with pyshacl, against ``ontology/shapes.ttl``.

pyshacl changes rdflib's process-wide tables while it runs, so it is called only from
:meth:`ShapesValidator.results`, which holds :data:`mlkg.locks.RDFLIB_GLOBALS` (docs/architecture.md, habit
3).

The data graph of one validation is small on purpose: the document's triples plus the ``rdf:type`` triples of
the IRIs it references (from the same batch or the store), so that a reference by bare IRI to a column
already loaded satisfies ``sh:class``. The ontology's ``rdfs:subClassOf`` triples are added to it, so
that ``sh:class`` and ``sh:targetClass`` follow ``rdfs:subClassOf`` (SHACL sections 2.1.3.2 and 4.1.1: "SHACL
instance" is ``rdf:type/rdfs:subClassOf*``): a FeatureTable is a Table. No inference is run, so a
property's ``rdfs:domain`` / ``rdfs:range`` never makes a violation pass.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
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
        self._parents: dict[URIRef, set[URIRef]] = {}
        for child, _, parent in self._hierarchy:
            self._parents.setdefault(child, set()).add(parent)  # type: ignore[arg-type]
        self._batchable = _focus_local(self._shapes)
        self._names = NamespaceManager(Graph(), bind_namespaces="none")
        self._names.bind("mlkg", Namespace(NS))
        self._names.bind("xsd", Namespace("http://www.w3.org/2001/XMLSchema#"))

    @property
    def batchable(self) -> bool:
        """True when every constraint of the shapes looks only at a focus node's own outgoing triples and
        at the types of their values (simple ``sh:path`` IRIs; no ``sh:node``, qualified shapes, property
        paths, ``sh:targetObjectsOf`` or SPARQL constraints). Then validating many documents in one data
        graph gives each document the results it would get alone (see :mod:`mlkg.ingest.batchcheck`)."""
        return self._batchable

    def results(
        self, *, triples: Iterable[Triple], context: Iterable[Triple], focus: frozenset[Subject]
    ) -> ValidationResults:
        """Validate ``triples`` (one entity document) with ``context`` (type triples of what it references)
        and return the results whose focus node is in ``focus``.

        Implements SHACL section 3 (Validation): every shape's targets in the data graph are validated;
        results about nodes the document only references are left out, as their own document answers for
        them. Holds :data:`mlkg.locks.RDFLIB_GLOBALS` while pyshacl runs.
        """
        found = self.results_by_focus(triples=[*triples, *context], focus=focus)
        return found.get(None) or ValidationResults(violations=[], warnings=[])

    def implied(self, types: Iterable[URIRef]) -> set[URIRef]:
        """``types`` and all their superclasses in the ontology (``rdfs:subClassOf*``)."""
        found = set(types)
        stack = list(found)
        while stack:
            for parent in self._parents.get(stack.pop(), ()):
                if parent not in found:
                    found.add(parent)
                    stack.append(parent)
        return found

    def results_by_focus(
        self,
        *,
        triples: Iterable[Triple],
        focus: Mapping[Subject, Iterable[object]] | frozenset[Subject],
        aliases: Mapping[Subject, Subject] | None = None,
    ) -> dict[object, ValidationResults]:
        """Validate one data graph (``triples`` plus the ontology's class hierarchy) in one pyshacl run and
        group the results by the owners of their focus node: ``focus`` maps each focus node to its owners (a
        set means one owner, ``None``); results about other nodes are left out. Each group's violations and
        warnings are sorted by focus, path and message. ``aliases`` maps IRIs used in ``triples`` in place of
        others back to them: results show the original.

        Holds :data:`mlkg.locks.RDFLIB_GLOBALS` while pyshacl runs.
        """
        import pyshacl  # imported here: slow to import, and only ingest needs it

        owners: Mapping[Subject, Iterable[object]] = (
            dict.fromkeys(focus, (None,)) if isinstance(focus, frozenset) else focus
        )
        data = Graph()
        for triple in triples:
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
        grouped: dict[object, ValidationResults] = {}
        for result in report.subjects(RDF.type, SH.ValidationResult):
            focus_node = report.value(result, SH.focusNode)
            if focus_node not in owners:
                continue
            described = self._describe(report, result, aliases or {})
            for owner in owners[focus_node]:
                found = grouped.setdefault(owner, ValidationResults(violations=[], warnings=[]))
                target = found.violations if described["severity"] == "Violation" else found.warnings
                target.append(dict(described))
        for found in grouped.values():
            found.violations.sort(key=lambda d: (d["focus"], d["path"], d["message"]))
            found.warnings.sort(key=lambda d: (d["focus"], d["path"], d["message"]))
        return grouped

    def _describe(self, report: Graph, result: Subject, aliases: Mapping[Subject, Subject]) -> dict[str, str]:
        """One result as the dict :class:`mlkg.errors.ValidationError` carries (SHACL section 3.6)."""
        severity = report.value(result, SH.resultSeverity)
        component = report.value(result, SH.sourceConstraintComponent)
        messages = sorted(str(m) for m in report.objects(result, SH.resultMessage))
        focus, value = report.value(result, SH.focusNode), report.value(result, SH.value)
        return {
            "focus": self._show(aliases.get(focus, focus)),  # type: ignore[call-overload]
            "path": self._show(report.value(result, SH.resultPath)),
            "value": self._show(aliases.get(value, value)),  # type: ignore[call-overload]
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


#: The SHACL terms of shapes whose results depend only on a focus node's outgoing triples and the types of
#: their values (SHACL sections 2.1.3 targets by class / subjects-of, 4.1 value type, 4.2 cardinality, 4.6
#: string, 4.8 property pair and 4.7 other constraints on the focus node's own values, 4.6 logical sh:or /
#: sh:and / sh:not / sh:xone over such shapes).
_FOCUS_LOCAL = frozenset(
    SH[name]
    for name in (
        *("NodeShape", "PropertyShape", "targetClass", "targetSubjectsOf", "targetNode", "property", "path"),
        *("class", "datatype", "nodeKind", "minCount", "maxCount", "minInclusive", "maxInclusive"),
        *("minExclusive", "maxExclusive", "minLength", "maxLength", "pattern", "flags", "languageIn"),
        *("uniqueLang", "in", "hasValue", "or", "and", "not", "xone", "message", "severity", "name"),
        *("description", "deactivated", "order", "group", "equals", "disjoint", "lessThan"),
        *("lessThanOrEquals", "Violation", "Warning", "Info", "IRI", "Literal", "BlankNode"),
    )
)


def _focus_local(shapes: Graph) -> bool:
    """True if every SHACL term the shapes use is in :data:`_FOCUS_LOCAL` and every ``sh:path`` is an IRI
    (no property path), so no constraint looks past a focus node's own triples and its values' types."""
    for _, p, o in shapes:
        for term in (p, o):
            if isinstance(term, URIRef) and str(term).startswith(str(SH)) and term not in _FOCUS_LOCAL:
                return False
        if p == SH.path and not isinstance(o, URIRef):
            return False
    return True


def _local(term: object) -> str:
    text = str(term)
    return text.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
