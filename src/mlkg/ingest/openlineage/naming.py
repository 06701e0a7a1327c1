"""Fully qualified names for OpenLineage datasets and jobs (README, "OpenLineage").

OpenLineage names a dataset by ``(namespace, name)`` (OpenLineage spec, "Naming": ``postgres://db.host:5432``
and ``shop.public.orders``); mlkg names a table by a fully qualified name whose first segment is its service,
as OpenMetadata does (``postgres_prod.shop.public.orders``). The rule:

- the **service** segment is the namespace's configured service name (``MLKG_OPENLINEAGE_NAMESPACES``, a JSON
  object such as ``{"postgres://db.host:5432": "postgres_prod", "snowflake://xy12345": "snowflake"}``; a
  namespace matches with or without a trailing ``/``); an unmapped namespace gives its text with every run of
  characters other than letters, digits, ``_`` and ``-`` replaced by one ``_`` (``postgres://db.host:5432``
  becomes ``postgres_db_host_5432``, ``airflow`` stays ``airflow``);
- the **name** is split on ``.`` into segments (``shop.public.orders``), except a name holding a ``/`` (a
  path: ``s3://bucket`` + ``data/orders.parquet``), which is one segment;
- a job is named the same way: ``airflow`` + ``churn.train`` gives the pipeline ``airflow.churn.train``; a
  column is its table's name plus the field name (one segment, whatever it holds).

So a table loaded from an OpenMetadata document and the same table named by an OpenLineage event get one IRI
(:mod:`mlkg.ids`) once the namespace is mapped to the OpenMetadata service name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from mlkg.errors import InputError
from mlkg.ids import join_fqn

__all__ = ["NamespaceMap"]

_UNSAFE = re.compile(r"[^A-Za-z0-9_\-]+")


@dataclass(frozen=True)
class NamespaceMap:
    """Namespaces to service names, and the naming rule of the module docstring.

    :raises InputError: if a configured service name is empty or holds a ``.`` or ``"`` (it must be one
        segment of a fully qualified name).
    """

    services: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        cleaned: dict[str, str] = {}
        for namespace, service in self.services.items():
            if not service or "." in service or '"' in service:
                raise InputError(
                    f"the service name {service!r} for OpenLineage namespace {namespace!r} must be one "
                    "non-empty segment (no '.' or '\"')",
                    where="MLKG_OPENLINEAGE_NAMESPACES",
                )
            cleaned[namespace.rstrip("/")] = service
        object.__setattr__(self, "services", MappingProxyType(cleaned))

    def service(self, namespace: str) -> str:
        """The service segment for ``namespace``: its configured name, else the namespace made safe.

        :raises InputError: if nothing of the namespace is left (empty, or only punctuation).
        """
        found = self.services.get(namespace.rstrip("/"))
        if found is not None:
            return found
        safe = _UNSAFE.sub("_", namespace).strip("_")
        if not safe:
            raise InputError(f"the namespace {namespace!r} names no service")
        return safe

    def segments(self, *, namespace: str, name: str) -> list[str]:
        """The fully qualified name's segments for a dataset or job.

        :raises InputError: for an empty namespace or name, a name with an empty segment (``a..b``) or a
            ``"`` in it.
        """
        if not name.strip():
            raise InputError("the name is empty")
        if '"' in name:
            raise InputError(f"the name {name!r} holds a '\"', which mlkg's fully qualified names reserve")
        parts = [name] if "/" in name else name.split(".")
        if any(not part for part in parts):
            raise InputError(f"the name {name!r} has an empty segment")
        return [self.service(namespace), *parts]

    def fqn(self, *, namespace: str, name: str) -> str:
        """The fully qualified name (segments holding a ``.`` quoted, :func:`mlkg.ids.join_fqn`).

        :raises InputError: as :meth:`segments`.
        """
        return join_fqn(self.segments(namespace=namespace, name=name))
