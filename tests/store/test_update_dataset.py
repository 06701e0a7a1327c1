"""``Store.update`` with a protocol dataset (SPARQL 1.1 Protocol 2.2.3), the same on both backends: the
embedded store writes it as USING clauses, the remote one sends it as protocol parameters."""

from __future__ import annotations

import pytest
from rdflib import Literal, URIRef

from mlkg.errors import QueryError
from mlkg.store.base import SelectResult, Store

EX = "http://example.org/"
G1, G2 = URIRef(f"{EX}g1"), URIRef(f"{EX}g2")


def rows(store: Store, query: str) -> list[tuple[object, ...]]:
    result = store.query(query=query)
    assert isinstance(result, SelectResult)
    return sorted(tuple(row) for row in result.rows)


def fill(store: Store) -> None:
    store.update(
        update=f"INSERT DATA {{ GRAPH <{G1}> {{ <{EX}a> <{EX}n> 1 }} GRAPH <{G2}> {{ <{EX}b> <{EX}n> 2 }} }}"
    )


def test_using_reads_the_where_pattern_from_the_given_graphs(store: Store) -> None:
    fill(store)
    text = (
        f"INSERT {{ GRAPH <{EX}out> {{ ?s <{EX}seen> ?n }} }} WHERE {{ ?s <{EX}n> ?n }} ;"
        f" INSERT {{ GRAPH <{EX}named> {{ ?s <{EX}in> ?g }} }} WHERE {{ GRAPH ?g {{ ?s <{EX}n> ?n }} }}"
    )
    store.update(update=text, using=[G1], using_named=[G2])
    assert rows(store, f"SELECT ?s ?n {{ GRAPH <{EX}out> {{ ?s ?p ?n }} }}") == [
        (URIRef(f"{EX}a"), Literal(1))
    ]
    assert rows(store, f"SELECT ?s ?g {{ GRAPH <{EX}named> {{ ?s ?p ?g }} }}") == [(URIRef(f"{EX}b"), G2)]


def test_delete_where_takes_the_protocol_dataset(store: Store) -> None:
    fill(store)
    store.update(update="DELETE WHERE { GRAPH ?g { ?s ?p ?o } }", using_named=[G1])
    left = rows(store, f"SELECT ?g {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g IN (<{G1}>, <{G2}>)) }}")
    assert left == [(G2,)]


@pytest.mark.parametrize(
    "text",
    [
        f"WITH <{EX}g1> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}",
        f"DELETE {{ ?s ?p ?o }} USING <{EX}g1> WHERE {{ ?s ?p ?o }}",
        f"DELETE {{ ?s ?p ?o }} USING NAMED <{EX}g1> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    ],
)
def test_a_dataset_in_the_text_and_one_given_are_refused(store: Store, text: str) -> None:
    fill(store)
    with pytest.raises(QueryError, match=r"2\.2\.3"):
        store.update(update=text, using=[G2])
    assert len(rows(store, "SELECT ?s { GRAPH ?g { ?s ?p ?o } }")) == 2


def test_using_goes_before_the_operation_where_only(store: Store) -> None:
    """``where`` in a string, an IRI, a comment, a prefixed name, a variable or a sub-select is not the
    operation's WHERE: the clauses go before the one outside braces."""
    fill(store)
    text = (
        f"PREFIX where: <{EX}> # WHERE {{ }}\n"
        f'INSERT {{ GRAPH <{EX}out> {{ ?where where:said "WHERE" ; <{EX}where> ?n }} }}\n'
        f"WHERE {{ {{ SELECT ?where ?n WHERE {{ ?where where:n ?n }} }} }}"
    )
    store.update(update=text, using=[G2])
    found = rows(store, f"SELECT ?s ?n {{ GRAPH <{EX}out> {{ ?s <{EX}where> ?n }} }}")
    assert found == [(URIRef(f"{EX}b"), Literal(2))]
