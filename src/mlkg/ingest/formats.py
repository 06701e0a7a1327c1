"""Input formats and sources of the ingest; their names, media types and extensions come from the format
registry, :mod:`mlkg.formats`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import PurePath
from types import MappingProxyType

from mlkg.errors import UnsupportedFormatError
from mlkg.formats import JSON_INPUTS, FormatSpec, RdfFormat

__all__ = ["InputFormat", "Source", "extensions"]


class InputFormat(str, Enum):
    """Formats ``mlkg load`` and ``POST /entities`` read; the value is the ``--format`` name.

    ``JSON`` and ``JSONLD`` are read the same way: a document without ``@context`` is plain JSON
    (OpenMetadata-shaped) and gets mlkg's context; one with ``@context`` is JSON-LD.
    """

    JSON = "json"
    JSONLD = "jsonld"
    #: JSON Lines / NDJSON: one JSON or JSON-LD document per line.
    JSONL = "jsonl"
    TURTLE = "ttl"
    NTRIPLES = "nt"
    NQUADS = "nq"
    TRIG = "trig"
    RDFXML = "rdfxml"

    @property
    def is_json(self) -> bool:
        """True for JSON, JSON-LD and JSON Lines, which are read as JSON rather than by rdflib."""
        return self in (InputFormat.JSON, InputFormat.JSONLD, InputFormat.JSONL)

    @property
    def is_dataset(self) -> bool:
        """True for the RDF formats that carry named graphs (N-Quads, TriG)."""
        return self in (InputFormat.NQUADS, InputFormat.TRIG)

    @property
    def media_type(self) -> str:
        return _MEDIA_TYPES[self][0]

    @classmethod
    def from_path(cls, name: str) -> InputFormat:
        """The format of a file, from its extension (case-insensitive).

        :raises UnsupportedFormatError: if the extension is missing or not one mlkg reads; the message names
            the extension and the supported ones.
        """
        suffix = PurePath(name).suffix.lower()
        found = _EXTENSIONS.get(suffix)
        if found is None:
            shown = repr(suffix) if suffix else "(none)"
            raise UnsupportedFormatError(
                f"cannot tell the format of {name!r} from its extension {shown}; supported extensions: "
                f"{', '.join(_EXTENSIONS)} (or give the format explicitly)",
                where=name,
            )
        return found

    @classmethod
    def from_media_type(cls, media_type: str) -> InputFormat:
        """The format of an HTTP body from its ``Content-Type`` (parameters such as charset are ignored).

        :raises UnsupportedFormatError: for a media type mlkg does not read.
        """
        base = media_type.split(";", 1)[0].strip().lower()
        for fmt, types in _MEDIA_TYPES.items():
            if base in types:
                return fmt
        supported = ", ".join(types[0] for types in _MEDIA_TYPES.values())
        raise UnsupportedFormatError(f"unsupported media type {base!r}; supported: {supported}")


def _spec(fmt: InputFormat) -> FormatSpec:
    """The registry's entry for an input format (:mod:`mlkg.formats`)."""
    if fmt.is_json and fmt is not InputFormat.JSONLD:
        return JSON_INPUTS[fmt.value]
    return RdfFormat(fmt.value).spec


_EXTENSIONS = MappingProxyType({ext: fmt for fmt in InputFormat for ext in _spec(fmt).extensions})
_MEDIA_TYPES = MappingProxyType({fmt: _spec(fmt).media_types for fmt in InputFormat})


@dataclass(frozen=True)
class Source:
    """One input: a name for messages (file name, ``<stdin>``, ``POST /entities``), its bytes and format."""

    name: str
    data: bytes
    format: InputFormat


def extensions() -> frozenset[str]:
    """The file extensions (lower case, with the dot) whose format mlkg tells by itself."""
    return frozenset(_EXTENSIONS)
