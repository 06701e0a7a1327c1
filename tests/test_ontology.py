"""The ontology and its alignment module: they parse, stay inside the OWL 2 RL constructs mlkg's reasoner
implements, declare lineage so that it reaches ``mlkg:upstream``, and align only with terms that exist."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib
from rdflib import OWL, RDF, RDFS, XSD, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS

from mlkg.reasoning import lineage_properties
from mlkg.resources import ALIGNMENT_FILE, data_file, ontology_text
from mlkg.vocab import ALIGNMENT_IRI, MLKG, NS, ONTOLOGY_IRI

ROOT = Path(__file__).resolve().parents[1]
#: CI runs with the project's shared folder beside the clone; the OpenMetadata ontology is there.
OPENMETADATA_TTL = ROOT.parent / "shared" / "interop" / "openmetadata" / "openmetadata.ttl"

PROV = "http://www.w3.org/ns/prov#"
DCAT = "http://www.w3.org/ns/dcat#"
MLS = "http://www.w3.org/ns/mls#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
OM = "https://open-metadata.org/ontology/"

#: The predicates the ontology may use: the OWL 2 RL axioms mlkg reasons with, list cells for property
#: chains, and annotations.
ALLOWED_PREDICATES = {
    RDF.type, RDFS.subClassOf, RDFS.subPropertyOf, RDFS.domain, RDFS.range, OWL.inverseOf,
    OWL.propertyChainAxiom, OWL.equivalentClass, OWL.equivalentProperty, RDF.first, RDF.rest,
    RDFS.label, RDFS.comment, RDFS.seeAlso, OWL.versionInfo, DCTERMS.description,
    MLKG.iriSegment, MLKG.jsonType, MLKG.kindName, MLKG.kindPrecedence, MLKG.kindOrder, MLKG.majorChange,
}  # fmt: skip
ALLOWED_TYPES = {
    OWL.Ontology, OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty,
    OWL.TransitiveProperty,
}  # fmt: skip
ANNOTATIONS = {RDFS.label, RDFS.comment, RDFS.seeAlso, OWL.versionInfo, DCTERMS.description}

#: The direct lineage properties documents assert (ontology section "Direct lineage properties").
DIRECT_LINEAGE = {
    MLKG.readsFrom, MLKG.writesTo, MLKG.producedBy, MLKG.columnOf, MLKG.hasColumn, MLKG.derivedFromColumn,
    MLKG.tableDerivedFrom, MLKG.derivedFrom, MLKG.featureOf,
    MLKG.usesFeature, MLKG.trainedOn, MLKG.usedDataset, MLKG.producedVersion, MLKG.producedByRun,
    MLKG.versionOf, MLKG.hasVersion, MLKG.servesVersion, MLKG.servesModel, MLKG.writesPredictions,
    MLKG.predictionsFrom, MLKG.monitors, MLKG.performanceDashboard,
}  # fmt: skip
#: Lineage only as steps of a property chain (``derivedFrom``): a feature source is a descriptor, never an
#: upstream/downstream node itself.
CHAIN_STEPS = {MLKG.hasFeatureSource, MLKG.dataSource}
#: Object properties that are not lineage: a change to the object does not flow into the subject.
NOT_LINEAGE = {
    MLKG.service, MLKG.hyperParameter, MLKG.metric, MLKG.measuredOn, MLKG.modelStore, MLKG.experiment,
    MLKG.owner, MLKG.follower, MLKG.memberOf, MLKG.domain, MLKG.tag, MLKG.classification, MLKG.restoredFrom,
    MLKG.history, MLKG.sourceTag, MLKG.loggedModel, MLKG.runOf, MLKG.modelCard, MLKG.customProperty,
    MLKG.dataProduct, MLKG.fromEntity, MLKG.toEntity, MLKG.columnLineage, MLKG.lineagePipeline,
    MLKG.attemptTarget,
    MLKG.filterType, MLKG.filterUpstreamOf,
}  # fmt: skip


@pytest.fixture(scope="module")
def ontology() -> rdflib.Graph:
    return rdflib.Graph().parse(data=ontology_text(), format="turtle")


@pytest.fixture(scope="module")
def alignment() -> rdflib.Graph:
    return rdflib.Graph().parse(data=data_file(ALIGNMENT_FILE).read_text(encoding="utf-8"), format="turtle")


def of_kind(graph: rdflib.Graph, kind: URIRef) -> set[URIRef]:
    return {s for s in graph.subjects(RDF.type, kind) if isinstance(s, URIRef)}


def super_properties(graph: rdflib.Graph, prop: URIRef) -> set[URIRef]:
    """``prop`` and everything it is a sub-property of, transitively."""
    return {p for p in graph.transitive_objects(prop, RDFS.subPropertyOf) if isinstance(p, URIRef)}


# --- the ontology ---------------------------------------------------------------------------------------


def test_ontology_parses_and_names_itself(ontology: rdflib.Graph) -> None:
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in ontology
    assert ontology.value(ONTOLOGY_IRI, OWL.versionInfo) is not None
    assert len(ontology) > 100


def test_ontology_uses_only_the_allowed_owl_2_rl_constructs(ontology: rdflib.Graph) -> None:
    assert set(ontology.predicates()) <= ALLOWED_PREDICATES, set(ontology.predicates()) - ALLOWED_PREDICATES
    assert set(ontology.objects(None, RDF.type)) <= ALLOWED_TYPES, set(ontology.objects(None, RDF.type))


def test_blank_nodes_are_only_property_chain_lists(ontology: rdflib.Graph) -> None:
    cells: set[rdflib.BNode] = set()
    for chain in ontology.objects(None, OWL.propertyChainAxiom):
        cell = chain
        while cell != RDF.nil:
            assert isinstance(cell, rdflib.BNode)
            cells.add(cell)
            cell = ontology.value(cell, RDF.rest)
    for s, _, o in ontology:
        for node in (s, o):
            assert not isinstance(node, rdflib.BNode) or node in cells, f"blank node outside a chain: {s} {o}"


def test_every_subject_is_an_mlkg_term_or_the_ontology(ontology: rdflib.Graph) -> None:
    for subject in set(ontology.subjects()):
        if isinstance(subject, rdflib.BNode):
            continue
        assert subject == ONTOLOGY_IRI or subject.startswith(NS), subject


def test_axioms_relate_declared_terms_of_the_right_kind(ontology: rdflib.Graph) -> None:
    classes = of_kind(ontology, OWL.Class)
    object_properties = of_kind(ontology, OWL.ObjectProperty)
    datatype_properties = of_kind(ontology, OWL.DatatypeProperty)
    for sub, sup in ontology.subject_objects(RDFS.subClassOf):
        assert {sub, sup} <= classes, (sub, sup)
    for sub, sup in ontology.subject_objects(RDFS.subPropertyOf):
        assert {sub, sup} <= object_properties or {sub, sup} <= datatype_properties, (sub, sup)
    for left, right in ontology.subject_objects(OWL.inverseOf):
        assert {left, right} <= object_properties, (left, right)
    for prop in of_kind(ontology, OWL.TransitiveProperty):
        assert prop in object_properties
    for prop, cls in ontology.subject_objects(RDFS.domain):
        assert cls in classes, (prop, cls)
    for prop, target in ontology.subject_objects(RDFS.range):
        if prop in object_properties:
            assert target in classes, (prop, target)
        else:
            # rdf:JSON: the JSON literal datatype of JSON-LD 1.1 (a version's change description)
            assert prop in datatype_properties, (prop, target)
            assert str(target).startswith(str(XSD)) or target == RDF.JSON, (prop, target)
    for prop, chain in ontology.subject_objects(OWL.propertyChainAxiom):
        steps = list(Collection(ontology, chain))
        assert len(steps) >= 2 and set(steps) <= object_properties, (prop, steps)


def test_every_term_has_an_english_label(ontology: rdflib.Graph) -> None:
    for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty):
        for term in of_kind(ontology, kind):
            labels = [lbl for lbl in ontology.objects(term, RDFS.label) if isinstance(lbl, Literal)]
            assert any(lbl.language == "en" for lbl in labels), f"{term} has no rdfs:label in English"


def test_upstream_and_downstream_are_transitive_inverses(ontology: rdflib.Graph) -> None:
    assert (MLKG.upstream, RDF.type, OWL.TransitiveProperty) in ontology
    assert (MLKG.downstream, RDF.type, OWL.TransitiveProperty) in ontology
    assert (MLKG.upstream, OWL.inverseOf, MLKG.downstream) in ontology or (
        MLKG.downstream,
        OWL.inverseOf,
        MLKG.upstream,
    ) in ontology


@pytest.mark.parametrize("prop", sorted(DIRECT_LINEAGE), ids=lambda p: p.removeprefix(NS))
def test_direct_lineage_property_reaches_upstream(ontology: rdflib.Graph, prop: URIRef) -> None:
    """Each direct lineage property is a sub-property of mlkg:upstream, or the inverse of one; a property
    defined by a chain is a sub-property of mlkg:upstream whose every step is itself lineage."""
    inverses = set(ontology.objects(prop, OWL.inverseOf)) | set(ontology.subjects(OWL.inverseOf, prop))
    reaches = MLKG.upstream in super_properties(ontology, prop) or any(
        MLKG.upstream in super_properties(ontology, inverse) for inverse in inverses
    )
    assert reaches, f"{prop} is neither a sub-property of mlkg:upstream nor the inverse of one"
    lineage = lineage_properties(ontology=ontology) | CHAIN_STEPS
    for chain in ontology.objects(prop, OWL.propertyChainAxiom):
        assert MLKG.upstream in super_properties(ontology, prop)
        assert set(Collection(ontology, chain)) <= lineage


def test_lineage_properties_are_exactly_the_direct_ones_and_upstream_downstream(
    ontology: rdflib.Graph,
) -> None:
    # A sub-property or inverse added by mistake (say owner under upstream) would make owners lineage.
    assert lineage_properties(ontology=ontology) == DIRECT_LINEAGE | {MLKG.upstream, MLKG.downstream}
    assert not (NOT_LINEAGE | CHAIN_STEPS) & lineage_properties(ontology=ontology)
    assert DIRECT_LINEAGE | CHAIN_STEPS | NOT_LINEAGE | {MLKG.upstream, MLKG.downstream} == of_kind(
        ontology, OWL.ObjectProperty
    )


# --- the alignment module -------------------------------------------------------------------------------


def test_alignment_relates_only_mlkg_terms_to_external_ones(
    ontology: rdflib.Graph, alignment: rdflib.Graph
) -> None:
    mlkg_terms = (
        of_kind(ontology, OWL.Class)
        | of_kind(ontology, OWL.ObjectProperty)
        | of_kind(ontology, OWL.DatatypeProperty)
    )
    assert (ALIGNMENT_IRI, RDF.type, OWL.Ontology) in alignment
    for s, p, o in alignment:
        if s == ALIGNMENT_IRI:
            continue
        assert s in mlkg_terms, f"alignment subject {s} is not a term the ontology declares"
        assert p in {
            RDFS.subClassOf,
            RDFS.subPropertyOf,
            OWL.equivalentClass,
            OWL.equivalentProperty,
            RDFS.seeAlso,
        }
        assert isinstance(o, URIRef) and not o.startswith(NS), f"{s} {p} {o} does not point outside mlkg"
        if p in (RDFS.subClassOf, OWL.equivalentClass):
            assert s in of_kind(ontology, OWL.Class), (s, p, o)
        if p in (RDFS.subPropertyOf, OWL.equivalentProperty):
            assert s not in of_kind(ontology, OWL.Class), (s, p, o)


@pytest.mark.parametrize("namespace", [PROV, DCAT, MLS, str(DCTERMS), SKOS, OM])
def test_alignment_mentions_each_vocabulary(alignment: rdflib.Graph, namespace: str) -> None:
    assert any(str(o).startswith(namespace) for o in alignment.objects()), f"nothing aligned with {namespace}"


def test_alignment_is_not_in_the_reasoned_ontology(ontology: rdflib.Graph) -> None:
    for _, _, o in ontology:
        assert not any(str(o).startswith(ns) for ns in (PROV, DCAT, MLS, SKOS, OM)), o


def test_openmetadata_terms_exist_in_openmetadata_ontology(alignment: rdflib.Graph) -> None:
    if not OPENMETADATA_TTL.is_file():
        pytest.skip(f"{OPENMETADATA_TTL} is not beside the clone")
    om = rdflib.Graph().parse(OPENMETADATA_TTL, format="turtle")
    om_classes = of_kind(om, OWL.Class)
    om_properties = of_kind(om, OWL.ObjectProperty) | of_kind(om, OWL.DatatypeProperty)
    used = 0
    for _, p, o in alignment:
        if not str(o).startswith(OM):
            continue
        used += 1
        expected = om_classes if p in (RDFS.subClassOf, OWL.equivalentClass) else om_properties
        assert o in expected, f"{o} (used with {p}) is not declared in OpenMetadata's ontology"
    assert used > 0


def test_alignment_keeps_prov_entities_and_activities_apart(
    ontology: rdflib.Graph, alignment: rdflib.Graph
) -> None:
    # PROV-O: prov:Activity owl:disjointWith prov:Entity. Importing PROV-O with the alignment must not make
    # any mlkg class unsatisfiable.
    both = ontology + alignment
    clashing = []
    for cls in of_kind(ontology, OWL.Class):
        supers = set(both.transitive_objects(cls, RDFS.subClassOf))
        if URIRef(PROV + "Entity") in supers and URIRef(PROV + "Activity") in supers:
            clashing.append(cls)
    assert not clashing, f"both prov:Entity and prov:Activity: {sorted(clashing)}"
