"""The vocabulary is one: ``mlkg.vocab.MLKG``, the JSON-LD context and the IRI minter all say what
``ontology/mlkg.ttl`` says (docs/architecture.md, habit 4), so a term added, renamed or dropped in one place
and not the
others fails here rather than as silently missing triples."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import rdflib
from rdflib import OWL, RDF, RDFS, XSD, URIRef

from mlkg.config import DEFAULT_BASE_IRI
from mlkg.ids import IriMinter
from mlkg.resources import context_text, ontology_text
from mlkg.vocab import MLKG, NS

DECLARATIONS = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)


@pytest.fixture(scope="module")
def ontology() -> rdflib.Graph:
    return rdflib.Graph().parse(data=ontology_text(), format="turtle")


@pytest.fixture(scope="module")
def context() -> dict[str, Any]:
    document = json.loads(context_text())
    assert isinstance(document["@context"], dict)
    return dict(document["@context"])


def declared(ontology: rdflib.Graph, *kinds: URIRef) -> set[URIRef]:
    """The mlkg terms the ontology declares as one of ``kinds`` (every kind of term by default)."""
    found: set[URIRef] = set()
    for kind in kinds or DECLARATIONS:
        found.update(
            s for s in ontology.subjects(RDF.type, kind) if isinstance(s, URIRef) and s.startswith(NS)
        )
    return found


def vocab_terms() -> set[URIRef]:
    return {URIRef(NS + name) for name in MLKG.__annotations__}


# --- mlkg.vocab -----------------------------------------------------------------------------------------


def test_every_vocab_term_is_declared_in_the_ontology(ontology: rdflib.Graph) -> None:
    missing = vocab_terms() - declared(ontology)
    assert not missing, f"in mlkg.vocab.MLKG but not declared in ontology/mlkg.ttl: {sorted(missing)}"


def test_every_ontology_term_is_in_vocab(ontology: rdflib.Graph) -> None:
    missing = declared(ontology) - vocab_terms()
    assert not missing, f"declared in ontology/mlkg.ttl but missing from mlkg.vocab.MLKG: {sorted(missing)}"


def test_vocab_attributes_are_the_ontology_iris() -> None:
    assert MLKG.usesFeature == URIRef("https://w3id.org/mlkg#usesFeature")
    with pytest.raises(AttributeError):
        MLKG.usesFeatures  # noqa: B018  (a misspelt term must fail loudly)


def test_every_term_is_declared_with_one_kind(ontology: rdflib.Graph) -> None:
    for term in declared(ontology):
        kinds = {k for k in ontology.objects(term, RDF.type) if k in DECLARATIONS}
        assert len(kinds) == 1, f"{term} is declared as {sorted(kinds)}"


# --- contexts/mlkg.jsonld -------------------------------------------------------------------------------


def term_definitions(
    context: dict[str, Any], *, where: str = ""
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """``(where, term, expanded definition)`` for every term of the context and of its scoped contexts,
    leaving out keywords, keyword aliases (``type``) and prefixes (``mlkg``, ``xsd``)."""
    for term, definition in context.items():
        if term.startswith("@"):
            continue
        full = {"@id": definition} if isinstance(definition, str) else dict(definition)
        iri = full.get("@id", "")
        if iri.startswith("@") or iri.endswith(("#", "/")):
            continue
        yield f"{where}{term}", term, full
        scoped = full.get("@context")
        if isinstance(scoped, dict):
            yield from term_definitions(scoped, where=f"{where}{term}/")


def expand(context: dict[str, Any], compact: str) -> URIRef:
    prefix, sep, local = compact.partition(":")
    if sep and isinstance(context.get(prefix), str) and not local.startswith("//"):
        return URIRef(context[prefix] + local)
    return URIRef(compact)


def context_cases() -> list[Any]:
    document = json.loads(context_text())
    return [pytest.param(*case, id=case[0]) for case in term_definitions(document["@context"])]


@pytest.mark.parametrize(("where", "term", "definition"), context_cases())
def test_context_term_maps_to_an_ontology_term_of_the_right_kind(
    ontology: rdflib.Graph, context: dict[str, Any], where: str, term: str, definition: dict[str, Any]
) -> None:
    iri = expand(context, definition["@id"])
    assert iri.startswith(NS), f"{where} maps to {iri}, outside the mlkg namespace"
    classes = declared(ontology, OWL.Class)
    object_properties = declared(ontology, OWL.ObjectProperty)
    datatype_properties = declared(ontology, OWL.DatatypeProperty)
    if term[:1].isupper():
        assert iri in classes, (
            f"{where} is capitalised, so it must name a class; {iri} is not a declared class"
        )
        return
    assert iri in object_properties | datatype_properties, f"{where} maps to {iri}, not a declared property"
    value_type = definition.get("@type")
    if iri in object_properties:
        assert value_type == "@id", f'{where} maps to object property {iri}: it needs "@type": "@id"'
        return
    assert value_type != "@id", f'{where} has "@type": "@id" but {iri} is a datatype property'
    ranges = set(ontology.objects(iri, RDFS.range))
    if value_type is not None:
        datatype = expand(context, value_type)
        assert datatype.startswith(str(XSD)), f"{where} has a non-XSD value type {datatype}"
        assert not ranges or ranges == {datatype}, (
            f"{where} types values as {datatype}, the range is {ranges}"
        )
    else:
        typed = {r for r in ranges if r.startswith(str(XSD))}
        assert not typed, f'{where} gives plain strings but {iri} has range {typed}: add "@type"'


def test_context_covers_the_fields_of_openmetadata_mlmodel(context: dict[str, Any]) -> None:
    # The OpenMetadata MlModel fields mlkg keeps (schema entity/data/mlmodel.json).
    fields = {
        "name", "fullyQualifiedName", "displayName", "description", "algorithm", "target", "mlFeatures",
        "featureSources", "dataSource", "featureAlgorithm", "dataType", "mlHyperParameters", "value",
        "mlStore", "storage", "imageRepository", "server", "dashboard", "service", "owners", "followers",
        "domains", "tags", "tagFQN", "updatedAt", "updatedBy", "version",
    }  # fmt: skip
    assert fields <= set(context)


# --- IRI minting ----------------------------------------------------------------------------------------


def test_every_class_with_an_iri_segment_is_reachable_by_each_json_type(ontology: rdflib.Graph) -> None:
    minter = IriMinter.from_ontology(base=DEFAULT_BASE_IRI)
    segments = {cls: str(seg) for cls, seg in ontology.subject_objects(MLKG.iriSegment)}
    assert segments
    for cls, segment in segments.items():
        names = [str(n) for n in ontology.objects(cls, MLKG.jsonType)]
        assert names, f"{cls} has an IRI segment but no mlkg:jsonType"
        for name in names:
            found = minter.type_named(name)
            assert (found.cls, found.segment) == (cls, segment), (
                f"type {name!r} gives {found}, expected {cls}"
            )


def test_json_type_names_are_unambiguous(ontology: rdflib.Graph) -> None:
    owners: dict[str, set[URIRef]] = {}
    for cls, name in ontology.subject_objects(MLKG.jsonType):
        assert isinstance(cls, URIRef)
        owners.setdefault(str(name), set()).add(cls)
    shared = {name: classes for name, classes in owners.items() if len(classes) > 1}
    assert not shared, f"type names naming more than one class: {shared}"


def test_json_type_only_on_classes_with_an_iri_segment(ontology: rdflib.Graph) -> None:
    for cls in set(ontology.subjects(MLKG.jsonType)):
        assert (cls, MLKG.iriSegment, None) in ontology, f"{cls} has a type name but no IRI segment"


def test_subclasses_share_their_family_iri_segment(ontology: rdflib.Graph) -> None:
    # One entity, one IRI, whichever of its classes a document names (a feature table is a table).
    for sub, sup in ontology.subject_objects(RDFS.subClassOf):
        sub_segment = ontology.value(sub, MLKG.iriSegment)
        sup_segment = ontology.value(sup, MLKG.iriSegment)
        if sub_segment is not None and sup_segment is not None:
            assert sub_segment == sup_segment, (
                f"{sub} mints {sub_segment}/ but its superclass {sup} {sup_segment}/"
            )
