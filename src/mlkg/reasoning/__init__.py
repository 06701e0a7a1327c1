"""Lineage inference (docs/architecture.md, section 1, "reasoning").

The lineage semantics live in the ontology: sub-properties of the transitive ``mlkg:upstream``, inverses and
property chains. :mod:`mlkg.reasoning.oracle` computes what OWL 2 RL entails from them with owlrl; it is the
reference the production reasoner is tested against.
"""

from __future__ import annotations

from typing import Any

from mlkg.reasoning.ontology import load_ontology

__all__ = ["LineageTriple", "lineage_properties", "load_ontology", "owlrl_lineage"]

_ORACLE = frozenset({"LineageTriple", "lineage_properties", "owlrl_lineage"})


def __getattr__(name: str) -> Any:
    """The owlrl reference (:mod:`mlkg.reasoning.oracle`) is imported on first use only: owlrl is a test
    oracle, and importing it costs every start of the CLI and the server."""
    if name in _ORACLE:
        from mlkg.reasoning import oracle

        return getattr(oracle, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
