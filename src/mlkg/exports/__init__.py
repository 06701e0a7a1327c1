"""Linked-data exports: the store, one entity, or a CONSTRUCT result in every RDF format mlkg writes.

``results`` holds the serialisers for SELECT / ASK results.
"""

from __future__ import annotations

from mlkg.exports.rdf import PREFIXES, GraphSelection, export, serialize_triples

__all__ = ["PREFIXES", "GraphSelection", "export", "serialize_triples"]
