"""Named SPARQL queries: one file per question in ``queries/``, with typed parameters bound as RDF terms."""

from __future__ import annotations

from mlkg.queries.catalog import NamedQuery, Parameter, ParamType, QueryCatalog

__all__ = ["NamedQuery", "ParamType", "Parameter", "QueryCatalog"]
