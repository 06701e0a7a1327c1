"""ontology/shapes.ttl is checked against the ontology (docs/architecture.md, habit 4)."""

from __future__ import annotations

from rdflib import RDF, Graph, Namespace, URIRef

from mlkg.resources import SHAPES_FILE, data_file, ontology_text
from mlkg.vocab import NS

SH = Namespace("http://www.w3.org/ns/shacl#")


def test_every_mlkg_term_in_the_shapes_is_declared_by_the_ontology() -> None:
    shapes = Graph().parse(data=data_file(SHAPES_FILE).read_text(encoding="utf-8"), format="turtle")
    ontology = Graph().parse(data=ontology_text(), format="turtle")
    declared = {s for s in ontology.subjects(RDF.type, None) if isinstance(s, URIRef)}
    used = {t for triple in shapes for t in triple if isinstance(t, URIRef) and str(t).startswith(NS)}
    assert used and used <= declared, sorted(used - declared)


def test_every_constraint_has_a_message_for_the_user() -> None:
    shapes = Graph().parse(data=data_file(SHAPES_FILE).read_text(encoding="utf-8"), format="turtle")
    constrained = set(shapes.subjects(SH.path, None)) | set(shapes.subjects(SH["or"], None))
    nested = {m for lst in shapes.objects(None, SH["or"]) for m in shapes.items(lst)}
    missing = [s for s in constrained - nested if shapes.value(s, SH.message) is None]
    assert not missing
