"""The one XML escaper: text and attribute values XML 1.0 reads back exactly, or a clear error.

XML 1.0 cannot carry most control characters at all (production [2], ``Char``): a document holding U+0001 is
not well-formed, whatever the escaping. A carriage return can be carried, but only as ``&#13;``: written as
is, a parser reads it back as a line feed (section 2.11, end-of-line handling); in an attribute value, tab and
line feed are normalised to spaces unless written as references (section 3.3.3). Some readers also trim
white space around element content (pyoxigraph's SPARQL XML results reader reads ``"a\\n"`` as ``"a"``), so
white space at either end of a text is written as character references, which no reader trims. Used by the
RDF/XML writer, the SPARQL XML results writer, and to repair pyoxigraph's XML results, which pass such
characters through.
"""

from __future__ import annotations

import re
from typing import Final

from mlkg.errors import NotAcceptableError

__all__ = ["check_xml_chars", "xml_attr", "xml_results", "xml_text"]

#: Characters XML 1.0 cannot carry at all (production [2]).
_NOT_XML: Final = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_TEXT_ESCAPES: Final = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}
_ATTR_ESCAPES: Final = {**_TEXT_ESCAPES, '"': "&quot;", "\t": "&#9;", "\n": "&#10;"}
_TEXT: Final = re.compile("[&<>\r]")
_EDGE_SPACE: Final = re.compile("^[ \t\n]+|[ \t\n]+$")
_ATTR: Final = re.compile('[&<>\r"\t\n]')


def check_xml_chars(value: str, *, what: str = "XML") -> str:
    """``value`` if XML 1.0 can carry every character of it.

    :raises NotAcceptableError: naming the first character it cannot carry and where.
    """
    bad = _NOT_XML.search(value)
    if bad:
        raise NotAcceptableError(
            f"{what} cannot carry the character U+{ord(bad.group()):04X} in {value[:60]!r}; "
            "choose another format"
        )
    return value


def xml_text(value: str, *, what: str = "XML") -> str:
    """``value`` escaped as element content; white space at either end as character references.

    :raises NotAcceptableError: as :func:`check_xml_chars`.
    """
    text = _TEXT.sub(lambda m: _TEXT_ESCAPES[m.group()], check_xml_chars(value, what=what))
    return _EDGE_SPACE.sub(lambda m: "".join(f"&#{ord(c)};" for c in m.group()), text)


def xml_attr(value: str, *, what: str = "XML") -> str:
    """``value`` as a double-quoted attribute value.

    :raises NotAcceptableError: as :func:`check_xml_chars`.
    """
    return '"' + _ATTR.sub(lambda m: _ATTR_ESCAPES[m.group()], check_xml_chars(value, what=what)) + '"'


def xml_results(document: bytes) -> bytes:
    """A SPARQL XML results document from pyoxigraph made well-formed and exact: its carriage returns (only
    ever inside values: pyoxigraph writes no line breaks of its own) as ``&#13;``.

    :raises NotAcceptableError: if a value holds a character XML 1.0 cannot carry.
    """
    check_xml_chars(document.decode("utf-8"), what="SPARQL XML results")
    return document.replace(b"\r", b"&#13;")
