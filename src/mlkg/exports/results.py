"""Serialisers for SPARQL SELECT / ASK results.

Implements the W3C formats the CLI and the HTTP endpoint answer with:

- SPARQL 1.1 Query Results JSON Format (``application/sparql-results+json``), sections 3.1-3.2;
- SPARQL Query Results XML Format, 2nd edition (``application/sparql-results+xml``);
- SPARQL 1.1 Query Results CSV and TSV Formats (``text/csv``, ``text/tab-separated-values``): CSV gives plain
  values with RFC 4180 quoting and CRLF line ends (section 3), TSV gives terms in Turtle/N-Triples syntax
  (section 4).

and a plain text table for people (``table``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable

from rdflib import BNode, URIRef

from mlkg.errors import UnsupportedFormatError
from mlkg.formats import ResultsFormat
from mlkg.ntriples import term_nt
from mlkg.store.base import AskResult, SelectResult, Term
from mlkg.xmltext import xml_attr, xml_text

__all__ = ["ResultsFormat", "serialize_results"]


def _json_term(term: Term) -> dict[str, str]:
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    out = {"type": "literal", "value": str(term)}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype is not None:
        out["datatype"] = str(term.datatype)
    return out


def _json(result: SelectResult | AskResult) -> bytes:
    if isinstance(result, AskResult):
        doc: dict[str, object] = {"head": {}, "boolean": result.value}
    else:
        bindings = [
            {v: _json_term(t) for v, t in zip(result.variables, row, strict=True) if t is not None}
            for row in result.rows
        ]
        doc = {"head": {"vars": result.variables}, "results": {"bindings": bindings}}
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def _xml_term(term: Term) -> str:
    if isinstance(term, URIRef):
        return f"<uri>{_text(term)}</uri>"
    if isinstance(term, BNode):
        return f"<bnode>{_text(term)}</bnode>"
    attrs = ""
    if term.language:
        attrs = f" xml:lang={_attr(term.language)}"
    elif term.datatype is not None:
        attrs = f" datatype={_attr(term.datatype)}"
    return f"<literal{attrs}>{_text(term)}</literal>"


def _text(value: str) -> str:
    return xml_text(value, what="SPARQL XML results")


def _attr(value: str) -> str:
    return xml_attr(value, what="SPARQL XML results")


def _xml(result: SelectResult | AskResult) -> bytes:
    parts = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n']
    if isinstance(result, AskResult):
        parts.append(f"<head/>\n<boolean>{'true' if result.value else 'false'}</boolean>\n")
    else:
        parts.append("<head>")
        parts.extend(f"<variable name={_attr(v)}/>" for v in result.variables)
        parts.append("</head>\n<results>\n")
        for row in result.rows:
            parts.append("<result>")
            parts.extend(
                f"<binding name={_attr(v)}>{_xml_term(t)}</binding>"
                for v, t in zip(result.variables, row, strict=True)
                if t is not None
            )
            parts.append("</result>\n")
        parts.append("</results>\n")
    parts.append("</sparql>\n")
    return "".join(parts).encode("utf-8")


def _plain(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


def _csv(result: SelectResult | AskResult) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    if isinstance(result, AskResult):
        writer.writerow(["boolean"])
        writer.writerow(["true" if result.value else "false"])
    else:
        writer.writerow(result.variables)
        writer.writerows([_plain(t) for t in row] for row in result.rows)
    return buf.getvalue().encode("utf-8")


def _tsv_term(term: Term | None) -> str:
    """A TSV field: the term in N-Triples syntax, which never holds a tab or line break (section 4)."""
    if term is None:
        return ""
    return term_nt(term)


def _tsv(result: SelectResult | AskResult) -> bytes:
    if isinstance(result, AskResult):
        return f"?boolean\n{'true' if result.value else 'false'}\n".encode()
    lines = ["\t".join(f"?{v}" for v in result.variables)]
    lines.extend("\t".join(_tsv_term(t) for t in row) for row in result.rows)
    return ("\n".join(lines) + "\n").encode("utf-8")


def _table(result: SelectResult | AskResult) -> bytes:
    if isinstance(result, AskResult):
        return b"true\n" if result.value else b"false\n"
    header = result.variables
    rows = [[_plain(t) for t in row] for row in result.rows]
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows)
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return ("\n".join(lines) + "\n").encode("utf-8")


_WRITERS: dict[ResultsFormat, Callable[[SelectResult | AskResult], bytes]] = {
    ResultsFormat.TABLE: _table,
    ResultsFormat.JSON: _json,
    ResultsFormat.XML: _xml,
    ResultsFormat.CSV: _csv,
    ResultsFormat.TSV: _tsv,
}


def serialize_results(*, result: SelectResult | AskResult, format: ResultsFormat) -> bytes:
    """Serialise SELECT or ASK results in ``format``.

    :raises UnsupportedFormatError: if ``format`` is not a results format.
    """
    writer = _WRITERS.get(format)
    if writer is None:
        raise UnsupportedFormatError(f"unsupported results format {format!r}")
    return writer(result)
