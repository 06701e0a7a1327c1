"""Lineage inference (DESIGN.md section 1, "reasoning").

The lineage semantics live in the ontology: sub-properties of the transitive ``mlkg:upstream``, inverses and
property chains. :mod:`mlkg.reasoning.oracle` computes what OWL 2 RL entails from them with owlrl; it is the
reference the production reasoner is tested against.
"""

from __future__ import annotations

from mlkg.reasoning.oracle import LineageTriple, lineage_properties, load_ontology, owlrl_lineage

__all__ = ["LineageTriple", "lineage_properties", "load_ontology", "owlrl_lineage"]
