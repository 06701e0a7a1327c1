"""DataHub URNs and the fully qualified names mlkg gives what they name (README, "DataHub").

A DataHub URN is ``urn:li:<entityType>:<key>``, the key one value or a tuple ``(a,b,...)`` whose parts may
be URNs themselves (DataHub's ``Urn`` grammar: ``urn:li:dataset:(urn:li:dataPlatform:snowflake,db.t,PROD)``).
The rule from a URN to mlkg's fully qualified name, whose first segment is a service as in OpenMetadata:

- **service**: a key's platform (``urn:li:dataPlatform:snowflake``) and environment (``PROD``, ``DEV``, ...)
  give the service: the configured one (``MLKG_DATAHUB_PLATFORMS``, a JSON object whose keys are
  ``PLATFORM`` or ``PLATFORM,ENV``, e.g. ``{"snowflake": "snowflake_prod", "postgres,DEV": "pg_dev"}``; the
  ``PLATFORM,ENV`` key wins), else the platform's name for ``PROD`` (or no environment) and
  ``{platform}_{env}`` in lower case for another environment (``postgres`` in ``DEV``: ``postgres_dev``);
- a **dataset** ``(platform, name, env)`` is the service and its name split on ``.``
  (``snowflake.shop.public.orders``), unless the name holds a ``/`` (a path), which is one segment;
- an **mlModel**, **mlModelGroup** or **mlModelDeployment** ``(platform, name, env)`` and an
  **mlFeatureTable** ``(platform, name)`` is the service and the name as one segment
  (``mlflow.churn_v3``);
- an **mlFeature** ``(namespace, name)`` is the namespace and the name (``customer_features.spend_30d``);
- a **dataProcessInstance** ``id`` is ``datahub`` and the id (``datahub.churn-train-2024-05-01``);
- a **schemaField** ``(dataset, fieldPath)`` is a column: its dataset's name and the field path as one
  segment, with the ``[version=2.0].[type=...]`` parts of a v2 field path left out.

So a table DataHub names and the same table loaded from OpenMetadata (``snowflake_prod.shop.public.orders``)
are one entity once the platform is mapped to the OpenMetadata service name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from mlkg.errors import InputError
from mlkg.ids import join_fqn

__all__ = ["PlatformMap", "Urn", "parse_urn"]

_PREFIX = "urn:li:"
_UNSAFE = re.compile(r"[^A-Za-z0-9_\-]+")
#: A ``[key=value]`` part of a v2 field path, with the ``.`` after it.
_ANNOTATION = re.compile(r"\[[^\]]*\]\.?")
#: DataHub entity types and the mlkg document type they become.
DOCUMENT_TYPES: Mapping[str, str] = MappingProxyType(
    {
        "dataset": "table",
        "mlModel": "mlmodel",
        "mlModelGroup": "mlModelGroup",
        "mlModelDeployment": "mlModelDeployment",
        "mlFeature": "mlFeature",
        "mlFeatureTable": "mlFeatureTable",
        "dataProcessInstance": "dataProcessInstance",
        "schemaField": "column",
    }
)


@dataclass(frozen=True)
class Urn:
    """A parsed URN: its entity type and its key's parts (one part for a key that is not a tuple)."""

    text: str
    entity_type: str
    parts: tuple[str, ...]


def parse_urn(text: Any) -> Urn:
    """Parse ``urn:li:<type>:<key>``.

    :raises InputError: if ``text`` is not such a URN (not a string, another prefix, unbalanced
        parentheses, an empty key).
    """
    if not isinstance(text, str) or not text.startswith(_PREFIX):
        raise InputError(f"{text!r} is not a DataHub URN (urn:li:<entityType>:<key>)")
    kind, sep, key = text[len(_PREFIX) :].partition(":")
    if not sep or not kind or not key:
        raise InputError(f"{text!r} is not a DataHub URN (urn:li:<entityType>:<key>)")
    if not key.startswith("("):
        return Urn(text=text, entity_type=kind, parts=(key,))
    if not key.endswith(")"):
        raise InputError(f"the key of {text!r} has unbalanced parentheses")
    parts: list[str] = []
    depth, current = 0, list[str]()
    for char in key[1:-1]:
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            raise InputError(f"the key of {text!r} has unbalanced parentheses")
        current.append(char)
    if depth != 0:
        raise InputError(f"the key of {text!r} has unbalanced parentheses")
    parts.append("".join(current))
    if any(not part for part in parts):
        raise InputError(f"the key of {text!r} has an empty part")
    return Urn(text=text, entity_type=kind, parts=tuple(parts))


@dataclass(frozen=True)
class PlatformMap:
    """Platforms (and environments) to service names, and the naming rule of the module docstring.

    :raises InputError: if a configured service name is empty or holds a ``.`` or ``"``.
    """

    services: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        cleaned: dict[str, str] = {}
        for key, service in self.services.items():
            if not service or "." in service or '"' in service:
                raise InputError(
                    f"the service name {service!r} for DataHub platform {key!r} must be one non-empty "
                    "segment (no '.' or '\"')",
                    where="MLKG_DATAHUB_PLATFORMS",
                )
            platform, _, env = key.partition(",")
            cleaned[f"{_platform_name(platform.strip())},{env.strip().upper()}" if env else key.strip()] = (
                service
            )
        object.__setattr__(self, "services", MappingProxyType(cleaned))

    def service(self, *, platform: str, env: str | None) -> str:
        """The service segment for a platform (a name or ``urn:li:dataPlatform:`` URN) in ``env``.

        :raises InputError: if nothing of the platform's name is left once made safe.
        """
        name = _platform_name(platform)
        env = (env or "PROD").upper()
        found = self.services.get(f"{name},{env}") or self.services.get(name)
        if found is not None:
            return found
        safe = _UNSAFE.sub("_", name).strip("_")
        if not safe:
            raise InputError(f"the platform {platform!r} names no service")
        return safe if env == "PROD" else f"{safe}_{env.lower()}"

    def segments(self, urn: Urn) -> list[str]:
        """The fully qualified name's segments of what ``urn`` names.

        :raises InputError: for a URN of a type mlkg does not name, or a key of the wrong shape.
        """
        kind, parts = urn.entity_type, urn.parts
        if kind in ("dataset", "mlModel", "mlModelGroup", "mlModelDeployment"):
            platform, name, env = _parts(urn, 3)
            service = self.service(platform=platform, env=env)
            if kind == "dataset" and "/" not in name:
                return [service, *_split(name, urn)]
            return [service, _segment(name, urn)]
        if kind == "mlFeatureTable":
            platform, name = _parts(urn, 2)
            return [self.service(platform=platform, env=None), _segment(name, urn)]
        if kind == "mlFeature":
            namespace, name = _parts(urn, 2)
            return [_segment(namespace, urn), _segment(name, urn)]
        if kind == "dataProcessInstance":
            return ["datahub", _segment(parts[0], urn)]
        if kind == "schemaField":
            dataset, path = _parts(urn, 2)
            return [*self.segments(parse_urn(dataset)), _segment(field_name(path), urn)]
        raise InputError(f"mlkg does not take DataHub {kind!r} entities ({urn.text})")

    def fqn(self, urn: Urn) -> str:
        """The fully qualified name (:func:`mlkg.ids.join_fqn` of :meth:`segments`).

        :raises InputError: as :meth:`segments`.
        """
        return join_fqn(self.segments(urn))


def field_name(path: str) -> str:
    """A column's name from a DataHub field path: the v2 path ``[version=2.0].[type=struct].address.[type=
    string].city`` gives ``address.city``; a v1 path is the name itself."""
    if not path.startswith("["):
        return path
    return _ANNOTATION.sub("", path).strip(".")


def _platform_name(platform: str) -> str:
    return platform.removeprefix("urn:li:dataPlatform:")


def _parts(urn: Urn, count: int) -> tuple[str, ...]:
    if len(urn.parts) != count:
        raise InputError(f"a DataHub {urn.entity_type} URN has {count} key parts, not {len(urn.parts)}")
    return urn.parts


def _segment(text: str, urn: Urn) -> str:
    if not text.strip() or '"' in text:
        raise InputError(f"{text!r} in {urn.text} cannot be a segment of a fully qualified name")
    return text


def _split(name: str, urn: Urn) -> list[str]:
    return [_segment(part, urn) for part in name.split(".")]
