"""The reference reasoner: owlrl's OWL 2 RL closure, reduced to the lineage triples mlkg infers.

owlrl is slow (brute-force forward chaining over the whole graph) but is an independent implementation of the
OWL 2 RL/RDF rules (OWL 2 Web Ontology Language Profiles, section 4.3). mlkg's own incremental reasoner is
tested against it: for any data, both must infer exactly the triples :func:`owlrl_lineage` returns.

What counts as a lineage triple (the choice the fast reasoner must match):

- its predicate is a *lineage property* (:func:`lineage_properties`): ``mlkg:upstream``, ``mlkg:downstream``
  and every property the ontology relates to them by ``rdfs:subPropertyOf`` or ``owl:inverseOf``, in any
  number of steps: the direct lineage properties (``readsFrom``, ``columnOf``, ``versionOf``, ...), their
  inverses (``writesTo``, ``hasColumn``, ``hasVersion``, ...) and the properties defined by a chain
  (``derivedFrom``, ``tableDerivedFrom``, which are sub-properties of ``mlkg:upstream``);
- it was inferred: it is in the closure but neither in ``data`` nor in the ontology. Asserted triples stay in
  their entity graphs (docs/architecture.md, habit 6), so the inferred graph holds only what reasoning added:
  every
  ``upstream`` / ``downstream`` triple (documents may not assert them), the inverse of each asserted direct
  edge (``?t mlkg:producedBy ?p`` from ``?p mlkg:writesTo ?t``) and each chain conclusion
  (``?feature mlkg:derivedFrom ?column``);
- its subject and object are IRIs. An edge to a blank node names nothing a user can ask about; chains
  *through* blank nodes still count (a feature source given as a blank node still yields
  ``?feature mlkg:derivedFrom ?column`` and ``?feature mlkg:upstream ?column``).

Reflexive triples are kept: a cycle of asserted edges entails ``?x mlkg:upstream ?x`` (rule prp-trp), and the
fast reasoner must say so too. Class memberships derived from ``rdfs:domain`` / ``rdfs:range`` (rules prp-dom,
prp-rng, cax-sco) are not lineage and are left out.

The OWL 2 RL rules that produce these triples are prp-spo1 (sub-property), prp-inv1 / prp-inv2 (inverse),
prp-trp (transitive ``upstream`` / ``downstream``) and prp-spo2 (property chain axiom).
"""

from __future__ import annotations

import owlrl
import rdflib
from rdflib import OWL, RDFS, URIRef

from mlkg.errors import ReasoningError
from mlkg.locks import RDFLIB_GLOBALS
from mlkg.reasoning.ontology import load_ontology
from mlkg.vocab import MLKG

__all__ = ["LineageTriple", "lineage_properties", "load_ontology", "owlrl_lineage"]

#: An inferred lineage edge between two IRIs.
LineageTriple = tuple[URIRef, URIRef, URIRef]


def lineage_properties(*, ontology: rdflib.Graph) -> frozenset[URIRef]:
    """``mlkg:upstream``, ``mlkg:downstream`` and every property linked to them in ``ontology`` by
    ``rdfs:subPropertyOf`` (towards them) or ``owl:inverseOf`` (either way), repeated to a fixed point."""
    found: set[URIRef] = {MLKG.upstream, MLKG.downstream}
    while True:
        grown = set(found)
        for sub, sup in ontology.subject_objects(RDFS.subPropertyOf):
            if sup in found and isinstance(sub, URIRef):
                grown.add(sub)
        for left, right in ontology.subject_objects(OWL.inverseOf):
            if isinstance(left, URIRef) and isinstance(right, URIRef) and (left in found or right in found):
                grown.update((left, right))
        if grown == found:
            return frozenset(found)
        found = grown


def owlrl_lineage(*, ontology: rdflib.Graph, data: rdflib.Graph) -> set[LineageTriple]:
    """The lineage triples OWL 2 RL entails from ``ontology`` and ``data`` that neither asserts.

    Runs ``owlrl.DeductiveClosure(owlrl.OWLRL_Semantics)`` on a fresh graph holding both (the arguments are
    not modified) while holding :data:`mlkg.locks.RDFLIB_GLOBALS`, since owlrl changes rdflib process-wide
    tables. See the module docstring for which triples are returned and why. ``data`` is one graph holding
    every asserted triple (the union of the entity graphs), not an ``rdflib.Dataset``.

    :raises TypeError: if ``data`` is an ``rdflib.Dataset`` (merge its graphs into one ``Graph`` first).
    :raises ReasoningError: if owlrl fails on the input (the owlrl error is the ``__cause__``).
    """
    if isinstance(data, rdflib.Dataset):
        raise TypeError("owlrl_lineage needs one rdflib.Graph of asserted triples, not a Dataset")
    properties = lineage_properties(ontology=ontology)
    closure = rdflib.Graph()
    closure += ontology
    closure += data
    with RDFLIB_GLOBALS:
        try:
            owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(closure)
        except Exception as error:  # owlrl raises bare Exceptions of many kinds
            raise ReasoningError(f"owlrl could not compute the OWL 2 RL closure: {error}") from error
    inferred: set[LineageTriple] = set()
    for predicate in properties:
        for subject, obj in closure.subject_objects(predicate):
            if not (isinstance(subject, URIRef) and isinstance(obj, URIRef)):
                continue
            if (subject, predicate, obj) in data or (subject, predicate, obj) in ontology:
                continue
            inferred.add((subject, predicate, obj))
    return inferred
