"""What a :class:`~mlkg.reasoning.store.ReasonedStore` asks before it writes: a gate sees each write as
parsed (the documents given and the graphs as stored, the graphs deleted, the parsed SPARQL Update) and may
refuse it before anything is written (docs/architecture.md, section 10: the deploy and delete permissions are
decided here, on parsed structures, for every front door at once).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from rdflib import URIRef

from mlkg.store.base import Triple
from mlkg.store.sparqlcheck import UpdateGraphs

__all__ = ["WriteGate"]


class WriteGate(Protocol):
    """Decides whether a write may be made; each method raises (``ForbiddenError``) to refuse it."""

    def replacing(
        self, *, given: Mapping[URIRef, Sequence[Triple]], stored: Mapping[URIRef, Sequence[Triple]]
    ) -> None:
        """Graphs are replaced by ``given`` (after the registry rules); ``stored`` is what they hold now."""

    def changing(self, *, graph: URIRef, inserted: Sequence[Triple]) -> None:
        """Triples are added to (or deleted from) ``graph`` (Graph Store POST)."""

    def deleting(self, *, graphs: Sequence[URIRef], hard: bool) -> None:
        """Graphs are deleted (soft or ``hard``)."""

    def updating(self, *, graphs: UpdateGraphs) -> None:
        """A SPARQL Update, as parsed, is run."""
