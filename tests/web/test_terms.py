"""Links are made only for http(s) IRIs and this server's own entity IRIs (mlkg.web.terms)."""

from __future__ import annotations

import pytest
from rdflib import BNode, Literal, URIRef

from mlkg.web.terms import safe_href, show_term

BASE = "http://localhost:8000/id/"


@pytest.mark.parametrize(
    ("iri", "href"),
    [
        (f"{BASE}model/a.b", "/id/model/a.b"),
        ("https://example.org/x?y=1", "https://example.org/x?y=1"),
        ("http://example.org/", "http://example.org/"),
        ("javascript:alert(1)", None),
        ("JavaScript:alert(1)", None),
        (" javascript:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("urn:uuid:1234", None),
        ("http:relative", None),
        ("vbscript:msgbox", None),
        # under the base, but the rest would read as a scheme: linked as the http IRI it is
        (f"{BASE}javascript:alert(1)", f"{BASE}javascript:alert(1)"),
    ],
)
def test_links_only_for_http_and_own_iris(iri: str, href: str | None) -> None:
    assert safe_href(iri, base=BASE) == href


def test_terms_shown_as_text_with_notes() -> None:
    assert show_term(URIRef("https://w3id.org/mlkg#name"), base=BASE).text == "mlkg:name"
    literal = show_term(Literal("<script>", lang="en"), base=BASE)
    assert (literal.text, literal.href, literal.note) == ("<script>", None, "@en")
    typed = show_term(Literal(3), base=BASE)
    assert typed.note == "xsd:integer"
    assert show_term(BNode("b1"), base=BASE).text == "_:b1"
    hostile = show_term(URIRef("javascript:alert(1)"), base=BASE)
    assert hostile.href is None and hostile.text == "javascript:alert(1)"
