"""Connectors: read another system's metadata and write it through the catalog's one write path.

A connector maps what it reads to the plain JSON documents an upload takes (the OpenMetadata shape of
README, "Writing documents"), so SHACL validation, reasoning and everything else the catalog does on a write
apply unchanged; it never writes triples of its own. Each reports what it read, wrote and ignored.

- :mod:`mlkg.connectors.mlflow`: an MLflow tracking store and model registry (``mlkg import mlflow``).
- :mod:`mlkg.connectors.changes`: what makes a re-import incremental (only changed documents are written).
"""
