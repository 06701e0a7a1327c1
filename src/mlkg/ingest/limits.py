"""Limits on what one input may make mlkg do, checked before the expensive work starts (issue 11, point 8).

- **Depth**: a JSON document nested deeper than :data:`MAX_JSON_DEPTH` arrays and objects is refused with a
  JSON pointer to the first node too deep. Entity documents need a handful of levels (a model, its features,
  their sources, a data source reference); deep nesting only exhausts the stack of the JSON-LD processor.
- **Documents per request**: one request body holding more entity documents than the configured limit
  (``Settings.max_request_documents``) is refused as a whole before its documents are read further
  (:func:`too_many_documents`); streams (JSON Lines, ``mlkg load``) are written in batches and have none.
- **No XML document type declarations**: RDF/XML never needs one, and its entity declarations are how a
  477-byte document expands to gigabytes ("billion laughs") or pulls in a local file (external entities).
  A ``<!DOCTYPE`` is found by expat itself (the parser rdflib uses), not by a text search, and refused.
"""

from __future__ import annotations

from typing import Any, Final
from xml.parsers import expat

from mlkg.errors import ParseError, PayloadTooLargeError

__all__ = ["MAX_JSON_DEPTH", "refuse_doctype", "too_deep", "too_many_documents"]

#: The deepest nesting of JSON arrays and objects accepted in one document.
MAX_JSON_DEPTH: Final = 64


def too_deep(value: Any, *, limit: int = MAX_JSON_DEPTH) -> str | None:
    """The JSON pointer (RFC 6901) of the first array or object nested deeper than ``limit``, or None.

    Walked without recursion, so a pathological input cannot exhaust the stack here.
    """
    stack: list[tuple[Any, str, int]] = [(value, "", 1)]
    while stack:
        node, pointer, depth = stack.pop()
        if isinstance(node, dict):
            children = ((str(key), child) for key, child in node.items())
        elif isinstance(node, list):
            children = ((str(index), child) for index, child in enumerate(node))
        else:
            continue
        if depth > limit:
            return pointer or "/"
        for key, child in children:
            if isinstance(child, dict | list):
                escaped = key.replace("~", "~0").replace("/", "~1")
                stack.append((child, f"{pointer}/{escaped}", depth + 1))
    return None


def too_many_documents(*, count: int, limit: int, where: str) -> PayloadTooLargeError:
    """The error for a source of ``count`` entity documents, more than ``limit`` in one request; ``where``
    names the first document past the limit."""
    return PayloadTooLargeError(
        f"the input holds {count} entity documents, more than the limit of {limit} in one request "
        "(MLKG_MAX_REQUEST_DOCUMENTS); send them as application/x-ndjson (written in batches) or load them "
        "with mlkg load",
        where=where,
    )


class _Seen(Exception):
    """Raised inside expat's callbacks to stop it: the answer is known."""

    def __init__(self, doctype: bool) -> None:
        super().__init__()
        self.doctype = doctype


def refuse_doctype(data: str | bytes, *, where: str) -> None:
    """Refuse an XML document with a document type declaration.

    expat reads the prologue only: a ``<!DOCTYPE`` can only come before the root element, so reading stops at
    the first element. A document expat cannot read is left to the RDF/XML parser, which reports it with a
    line and column.

    :raises ParseError: if the document has a ``<!DOCTYPE ...>``, naming ``where``.
    """
    parser = expat.ParserCreate()

    def doctype(*_: object) -> None:
        raise _Seen(doctype=True)

    def element(*_: object) -> None:
        raise _Seen(doctype=False)

    parser.StartDoctypeDeclHandler = doctype
    parser.StartElementHandler = element
    try:
        parser.Parse(data, True)
    except _Seen as seen:
        if seen.doctype:
            raise ParseError(
                "an XML document type declaration (<!DOCTYPE ...>) is refused: mlkg expands no XML "
                "entities (RDF/XML needs none)",
                where=where,
            ) from None
    except expat.ExpatError:
        return
