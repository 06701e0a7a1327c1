"""How a page shows an RDF term: its text, and a link only where following it is safe
(docs/architecture.md, section 11, safe HTML).

A link is made only for an IRI whose parsed scheme is ``http`` or ``https`` (an IRI minted under the
server's base links to its page on this server); any other IRI (``javascript:``, ``data:``, ``urn:``) is shown
as text. The decision is taken on the parsed IRI (habit 11), never on a text pattern; the text itself is
escaped by the templates' autoescaping.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, XSD

from mlkg.store.base import Object
from mlkg.vocab import NS

__all__ = ["Shown", "safe_href", "shorten", "show_term"]

_PREFIXES = (
    (NS, "mlkg:"),
    (str(RDF), "rdf:"),
    (str(RDFS), "rdfs:"),
    (str(XSD), "xsd:"),
    (str(PROV), "prov:"),
    (str(DCTERMS), "dcterms:"),
)


@dataclass(frozen=True)
class Shown:
    """A term as a page shows it: ``text``, ``href`` (None: not a link), and a ``note`` (a literal's datatype
    or language, a blank node's mark)."""

    text: str
    href: str | None = None
    note: str | None = None
    iri: str | None = None


def shorten(iri: str) -> str:
    """``iri`` with a well-known namespace written as its prefix (``mlkg:name``)."""
    for namespace, prefix in _PREFIXES:
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return prefix + iri[len(namespace) :]
    return iri


def safe_href(iri: str, *, base: str) -> str | None:
    """Where a link to ``iri`` goes: ``/id/...`` for an IRI under the server's ``base``; the IRI itself if its
    scheme is http or https and it has a host; None (no link) otherwise."""
    if iri.startswith(base) and len(iri) > len(base):
        rest = iri[len(base) :]
        if urlsplit(rest).scheme == "" and not rest.startswith("/"):
            return "/id/" + rest
    try:
        parts = urlsplit(iri)
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return iri
    return None


def show_term(term: Object | str, *, base: str) -> Shown:
    """How a page shows ``term``: an IRI by its name under the base or its prefixed form, linked when safe; a
    literal by its text with its datatype or language as a note; a blank node as ``_:id``."""
    if isinstance(term, URIRef) or (isinstance(term, str) and not isinstance(term, (Literal, BNode))):
        text = str(term)
        label = text[len(base) :] if text.startswith(base) and len(text) > len(base) else shorten(text)
        return Shown(text=label, href=safe_href(text, base=base), iri=text)
    if isinstance(term, Literal):
        if term.language:
            return Shown(text=str(term), note=f"@{term.language}")
        if term.datatype is not None and term.datatype != XSD.string:
            return Shown(text=str(term), note=shorten(str(term.datatype)))
        return Shown(text=str(term))
    return Shown(text=f"_:{term}", note="blank node")
