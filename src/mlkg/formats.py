"""The one format registry: every format mlkg reads or writes, with its names, media types and file extensions
(docs/architecture.md, habit 12).

Everything else derives from these tables: the ``--format`` choices of the CLI, content negotiation and
the ``Content-Type`` of uploads over HTTP, file extensions of ``mlkg load``, the rdflib parser names of the
ingest, the formats named in the SPARQL Service Description, and, inside ``mlkg.store`` only, pyoxigraph's
``RdfFormat`` / ``QueryResultsFormat`` (looked up by media type: nothing here imports pyoxigraph).

- :class:`RdfFormat`: RDF serialisations, read and written (RDF 1.1 Turtle, N-Triples, N-Quads, TriG,
  RDF/XML; JSON-LD 1.1).
- :class:`ResultsFormat`: SELECT / ASK results, written (SPARQL 1.1 Query Results JSON, XML, CSV and TSV
  Formats), and a plain text table for people.
- :data:`JSON_INPUTS`: the plain JSON inputs of the ingest (JSON, JSON Lines).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType
from typing import Final

__all__ = [
    "GRAPH_PREFERENCE",
    "JSON_INPUTS",
    "RDF_SPECS",
    "RESULTS_SPECS",
    "FormatSpec",
    "RdfFormat",
    "ResultsFormat",
]


@dataclass(frozen=True)
class FormatSpec:
    """One format.

    ``media_types``: the registered type first, then aliases mlkg also reads as ``Content-Type`` and answers
    in ``Accept``. ``accept_aliases``: types only answered in ``Accept`` (a generic type such as
    ``application/json`` also names another input format). ``extensions``: lower case with the dot, the
    one mlkg writes first. ``rdflib``: rdflib's parser/serialiser name. ``w3c``: the local name of the
    format's IRI in ``http://www.w3.org/ns/formats/`` (SPARQL 1.1 Service Description ``sd:resultFormat``).
    """

    label: str
    media_types: tuple[str, ...]
    extensions: tuple[str, ...]
    rdflib: str | None = None
    w3c: str | None = None
    datasets: bool = False
    accept_aliases: tuple[str, ...] = ()

    @property
    def media_type(self) -> str:
        """The registered media type."""
        return self.media_types[0]


class RdfFormat(str, Enum):
    """RDF serialisations mlkg reads and writes; the value is the short name used by ``--format``."""

    TURTLE = "ttl"
    NTRIPLES = "nt"
    NQUADS = "nq"
    TRIG = "trig"
    JSONLD = "jsonld"
    RDFXML = "rdfxml"

    @property
    def spec(self) -> FormatSpec:
        return RDF_SPECS[self]

    @property
    def media_type(self) -> str:
        return self.spec.media_type

    @property
    def extension(self) -> str:
        """The file extension mlkg writes, without the dot."""
        return self.spec.extensions[0][1:]

    @property
    def supports_datasets(self) -> bool:
        """True if the format can carry named graphs (N-Quads, TriG, JSON-LD)."""
        return self.spec.datasets

    @classmethod
    def from_media_type(cls, media_type: str) -> RdfFormat | None:
        """The format a media type names (parameters such as charset ignored, aliases included), or None."""
        base = media_type.split(";", 1)[0].strip().lower()
        for fmt in GRAPH_PREFERENCE:
            if base in RDF_SPECS[fmt].media_types or base in RDF_SPECS[fmt].accept_aliases:
                return fmt
        return None


class ResultsFormat(str, Enum):
    """Formats for SELECT / ASK results; the value is the CLI ``--format`` name."""

    TABLE = "table"
    JSON = "json"
    XML = "xml"
    CSV = "csv"
    TSV = "tsv"

    @property
    def spec(self) -> FormatSpec:
        return RESULTS_SPECS[self]

    @property
    def media_type(self) -> str:
        """The ``Content-Type`` of this format's output (text types say their charset)."""
        base = self.spec.media_type
        return f"{base}; charset=utf-8" if base.startswith("text/") else base


RDF_SPECS: Final[Mapping[RdfFormat, FormatSpec]] = MappingProxyType(
    {
        RdfFormat.TURTLE: FormatSpec(
            "Turtle", ("text/turtle", "application/x-turtle"), (".ttl",), "turtle", "Turtle"
        ),
        RdfFormat.NTRIPLES: FormatSpec(
            "N-Triples",
            ("application/n-triples",),
            (".nt",),
            "nt",
            "N-Triples",
            accept_aliases=("text/plain",),
        ),
        RdfFormat.NQUADS: FormatSpec(
            "N-Quads", ("application/n-quads",), (".nq",), "nquads", "N-Quads", datasets=True
        ),
        RdfFormat.TRIG: FormatSpec("TriG", ("application/trig",), (".trig",), "trig", "TriG", datasets=True),
        RdfFormat.JSONLD: FormatSpec(
            "JSON-LD",
            ("application/ld+json",),
            (".jsonld",),
            "json-ld",
            "JSON-LD",
            datasets=True,
            accept_aliases=("application/json",),
        ),
        RdfFormat.RDFXML: FormatSpec(
            "RDF/XML", ("application/rdf+xml",), (".rdf", ".owl", ".xml"), "xml", "RDF_XML"
        ),
    }
)

#: The order the HTTP service prefers graphs in, when ``Accept`` allows several equally (Turtle first).
GRAPH_PREFERENCE: Final = (
    RdfFormat.TURTLE,
    RdfFormat.JSONLD,
    RdfFormat.NTRIPLES,
    RdfFormat.NQUADS,
    RdfFormat.TRIG,
    RdfFormat.RDFXML,
)

RESULTS_SPECS: Final[Mapping[ResultsFormat, FormatSpec]] = MappingProxyType(
    {
        ResultsFormat.JSON: FormatSpec(
            "SPARQL results JSON",
            ("application/sparql-results+json",),
            (".srj",),
            "json",
            "SPARQL_Results_JSON",
            accept_aliases=("application/json",),
        ),
        ResultsFormat.XML: FormatSpec(
            "SPARQL results XML",
            ("application/sparql-results+xml",),
            (".srx",),
            "xml",
            "SPARQL_Results_XML",
            accept_aliases=("application/xml", "text/xml"),
        ),
        ResultsFormat.CSV: FormatSpec(
            "SPARQL results CSV", ("text/csv",), (".csv",), "csv", "SPARQL_Results_CSV"
        ),
        ResultsFormat.TSV: FormatSpec(
            "SPARQL results TSV", ("text/tab-separated-values",), (".tsv",), "tsv", "SPARQL_Results_TSV"
        ),
        ResultsFormat.TABLE: FormatSpec("text table", ("text/plain",), (".txt",)),
    }
)

#: The plain JSON inputs of the ingest, by ``--format`` name (JSON-LD input is :data:`RdfFormat.JSONLD`'s).
JSON_INPUTS: Final[Mapping[str, FormatSpec]] = MappingProxyType(
    {
        "json": FormatSpec("JSON", ("application/json",), (".json",)),
        "jsonl": FormatSpec(
            "JSON Lines",
            ("application/x-ndjson", "application/jsonl", "application/x-jsonlines"),
            (".jsonl", ".ndjson"),
        ),
    }
)
