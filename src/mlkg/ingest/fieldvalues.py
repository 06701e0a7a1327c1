"""Model documentation fields whose JSON value is reshaped before JSON-LD expansion (issue 15, point 5), for
:mod:`mlkg.ingest.normalize`: what a context cannot say about ``dependencies``, custom property values and
values kept as JSON text (an MLflow model signature, a dataset schema)."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["custom_value", "json_text", "requirements"]


def json_text(value: Any) -> str:
    """A JSON value as its JSON text, as MLflow stores a signature (``ModelSignature.to_dict()`` dumped): the
    value of ``mlkg:signature`` / ``mlkg:schema`` when a document gives an object instead of text."""
    return json.dumps(value, ensure_ascii=False)


def requirements(value: Any) -> Any:
    """``dependencies`` with conda-style ``{"pip": ["mlflow==2.17"]}`` entries (MLflow's conda.yaml) flattened
    into the list; anything else is left for validation to judge."""
    items = value if isinstance(value, list) else [value]
    if not any(isinstance(item, dict) for item in items):
        return value
    flat: list[Any] = []
    for item in items:
        if isinstance(item, dict) and not any(k.startswith("@") for k in item):
            for nested in item.values():
                flat.extend(nested if isinstance(nested, list) else [nested])
        else:
            flat.append(item)
    return flat


def custom_value(value: Any) -> Any:
    """A custom property's value: a scalar or list of scalars as is, anything else (an entity reference, a
    time interval, a table of values) as its JSON text."""
    scalars = (str, int, float, bool)
    if isinstance(value, scalars) or (isinstance(value, list) and all(isinstance(v, scalars) for v in value)):
        return value
    return json_text(value)
