"""The one term writer (mlkg.ntriples): what it writes, pyoxigraph and rdflib both read back as the same term,
and it is the very text pyoxigraph writes for that term (the bulk-read keys rely on it)."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from mlkg.errors import InputError
from mlkg.ntriples import term_nt
from mlkg.store.oxterms import to_ox, to_rdflib

EX = "http://example.org/"
# IRI characters RFC 3987 allows in a path: unreserved, sub-delims, ':' '@', percent-encodings, and ucschar
# (non-ASCII, non-BMP included; not Unicode spaces such as U+00A0: rdflib's N-Triples parser cannot read them)
_PATH_CHARS = st.one_of(
    st.sampled_from(list("abcXYZ019-._~!$&'()*+,;=:@/")),
    st.sampled_from(["%20", "%2F", "%E2%82%AC", "é", "ß", "中", "𝄞", "😀"]),
)
iris = st.one_of(
    st.lists(_PATH_CHARS, max_size=8).map(lambda parts: URIRef(EX + "".join(parts))),
    st.sampled_from(
        [
            URIRef("urn:uuid:1f0e8c6e-2c1b-4f0e-9e4e-1b2c3d4e5f60"),
            URIRef("mailto:a@b.c"),
            URIRef(EX + "a?b=c#d"),
        ]
    ),
)
texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20) | st.sampled_from(
    ["\r\n", "\t", '"', "\\", "\\u0041", "\x00\x01\x7f\x08\x0c", "\ufffe\uffff", "\U0010fffd", '"""']
)
languages = st.sampled_from(["en", "EN-us", "zh-Hant-TW", "de-CH-1996", "x-private"])
literals = st.one_of(
    texts.map(Literal),
    st.tuples(texts, languages).map(lambda t: Literal(t[0], lang=t[1])),
    st.tuples(texts, iris).map(lambda t: Literal(t[0], datatype=t[1])),
    st.sampled_from([Literal("1", datatype=XSD.integer), Literal("x", datatype=XSD.string)]),
)
blank_nodes = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,6}[A-Za-z0-9_\-]", fullmatch=True).map(BNode)
terms = st.one_of(iris, literals, blank_nodes)


def _same(a: object, b: object) -> bool:
    """Term equality up to the case of language tags (case-insensitive in RDF 1.1, section 3.3)."""
    if isinstance(a, Literal) and isinstance(b, Literal) and a.language and b.language:
        return str(a) == str(b) and a.language.lower() == b.language.lower()
    if isinstance(a, Literal) and isinstance(b, Literal):
        return str(a) == str(b) and (a.datatype or XSD.string) == (b.datatype or XSD.string)
    return type(a) is type(b) and a == b


@settings(max_examples=400, deadline=None)
@given(term=terms)
def test_written_terms_read_back_with_both_parsers(term: URIRef | BNode | Literal) -> None:
    line = f"<{EX}s> <{EX}p> {term_nt(term)} .\n"
    (quad,) = ox.parse(line, format=ox.RdfFormat.N_TRIPLES)
    by_oxigraph = to_rdflib(quad.object)
    (triple,) = Graph().parse(data=line, format="nt")
    if isinstance(term, BNode):
        assert isinstance(by_oxigraph, BNode) and isinstance(triple[2], BNode)
        assert str(by_oxigraph) == str(term)
        return
    assert _same(by_oxigraph, term), (line, by_oxigraph)
    assert _same(triple[2], term), (line, triple[2])


@settings(max_examples=400, deadline=None)
@given(term=terms)
def test_written_terms_are_the_text_pyoxigraph_writes(term: URIRef | BNode | Literal) -> None:
    assert term_nt(term) == str(to_ox(term))


@settings(max_examples=100, deadline=None)
@given(subject=iris | blank_nodes, obj=terms)
def test_written_terms_are_valid_in_sparql_update(
    subject: URIRef | BNode, obj: URIRef | BNode | Literal
) -> None:
    store = ox.Store()
    store.update(f"INSERT DATA {{ {term_nt(subject)} {term_nt(RDF.value)} {term_nt(obj)} }}")
    (quad,) = store
    assert _same(to_rdflib(quad.object), obj) or isinstance(obj, BNode)


def test_a_blank_node_label_the_grammar_cannot_carry_is_hex_encoded() -> None:
    assert term_nt(BNode("a b")) == "_:x612062"
    assert term_nt(BNode("a.")) == "_:x612e"


@pytest.mark.parametrize(
    "term",
    [
        URIRef("relative/path"),
        URIRef(EX + "a b"),
        URIRef(EX + "a>b"),
        URIRef(EX + 'a"b'),
        URIRef(EX + "a\\u0041"),
        URIRef(EX + "{x}"),
        Literal("x", datatype=URIRef("not an iri")),
    ],
)
def test_terms_rdf_cannot_carry_are_refused(term: URIRef | Literal) -> None:
    with pytest.raises(InputError):
        term_nt(term)
