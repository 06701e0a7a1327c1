"""No query or update makes the server contact another host, and no update writes a graph mlkg owns, however
the text is written (issue 11: a legal ``\\'`` escape once put a hand-written lexer out of step with the
engine, and pyoxigraph ran the SERVICE).

The fuzz tests run every generated text on the real engine, with a TCP listener on a loopback port standing
in for the target: the listener must never see a connection, and the owned graphs must never change.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import URIRef
from rdflib.namespace import RDF

from mlkg.errors import InputError, MlkgError, QueryError
from mlkg.reasoning import load_ontology
from mlkg.reasoning.program import LineageProgram
from mlkg.reasoning.store import ReasonedStore
from mlkg.store import install_ontology
from mlkg.store.oxigraph import OxigraphStore
from mlkg.store.sparqlcheck import check_query, check_update
from mlkg.vocab import INFERRED_GRAPH, MLKG, ONTOLOGY_GRAPH


class Listener:
    """A TCP listener on 127.0.0.1 that counts the connections it accepts and closes each at once."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.socket.close()


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    opened = Listener()
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def reasoned() -> Iterator[ReasonedStore]:
    inner = OxigraphStore(path=None)
    install_ontology(store=inner)
    store = ReasonedStore(inner=inner, program=LineageProgram.from_ontology(load_ontology()))
    a, b = URIRef("http://example.org/id/table/a"), URIRef("http://example.org/id/table/b")
    store.replace_graphs(graphs={a: [(a, RDF.type, MLKG.Table), (a, MLKG.derivedFrom, b)]})
    assert set(store.quads(graph=INFERRED_GRAPH)), "the fixture's lineage must infer something to protect"
    yield store
    store.close()


def owned_state(store: ReasonedStore) -> tuple[set[object], set[object]]:
    return (
        set(store.quads(graph=INFERRED_GRAPH)),
        set(store.quads(graph=ONTOLOGY_GRAPH)),
    )


# -- the cases the probe found -----------------------------------------------------------------------------

ESCAPED_SERVICE = (
    "PREFIX ex: <http://ex/> SELECT * WHERE {{ OPTIONAL {{ ?s ex:a\\' ?o }} "
    "SERVICE <http://127.0.0.1:{port}/sparql> {{ ?x ?y ?z }} FILTER(!BOUND(?o) || ?o != 'x') }}"
)


def test_the_harness_sees_an_unchecked_service_call(listener: Listener) -> None:
    """The control: the engine itself does call the listener, so the tests below would see it."""
    before = listener.connections
    with pytest.raises(OSError):
        list(
            ox.Store().query(
                f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{listener.port}/s> {{ ?a ?b ?c }} }}"
            )
        )
    assert listener.connections > before


def test_service_behind_an_escaped_quote_is_refused(reasoned: ReasonedStore, listener: Listener) -> None:
    before = listener.connections
    with pytest.raises(QueryError, match="SERVICE"):
        reasoned.query(query=ESCAPED_SERVICE.format(port=listener.port))
    assert listener.connections == before


def test_load_behind_an_escaped_quote_is_refused(reasoned: ReasonedStore, listener: Listener) -> None:
    before = listener.connections
    text = (
        "PREFIX ex: <http://ex/> INSERT { ?s ex:a\\' 'x' } WHERE { ?s ex:b 'y' } ; "
        f"LOAD <http://127.0.0.1:{listener.port}/data.ttl> INTO GRAPH <http://example.org/g>"
    )
    with pytest.raises(QueryError, match="LOAD"):
        reasoned.update(update=text)
    assert listener.connections == before


@pytest.mark.parametrize(
    "text",
    [
        "PREFIX g: <https://w3id.org/mlkg/graph/> "
        "INSERT DATA { GRAPH g:inferred { <urn:a> <urn:b> <urn:c> } }",
        "BASE <https://w3id.org/mlkg/graph/> DROP GRAPH <ontology>",
        "DROP GRAPH <https://w3id.org/mlkg/graph/\\u0069nferred>",
        "CLEAR GRAPH <https://w3id.org/mlkg/graph/inferred>",
        "MOVE <https://w3id.org/mlkg/graph/inferred> TO <urn:elsewhere>",
        "ADD <urn:elsewhere> TO <https://w3id.org/mlkg/graph/ontology>",
        "WITH <https://w3id.org/mlkg/graph/inferred> INSERT { <urn:a> <urn:b> <urn:c> } WHERE {}",
        "DELETE WHERE { GRAPH <https://w3id.org/mlkg/graph/ontology> { ?s ?p ?o } }",
    ],
)
def test_updates_writing_an_owned_graph_are_refused(reasoned: ReasonedStore, text: str) -> None:
    before = owned_state(reasoned)
    with pytest.raises(InputError, match="maintained by mlkg"):
        reasoned.update(update=text)
    assert owned_state(reasoned) == before


def test_reading_an_owned_graph_in_an_update_is_allowed(reasoned: ReasonedStore) -> None:
    text = (
        "INSERT { GRAPH <urn:copy> { ?s ?p ?o } } "
        "WHERE { GRAPH <https://w3id.org/mlkg/graph/inferred> { ?s ?p ?o } }"
    )
    assert check_update(text).named == {URIRef("urn:copy")}


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * WHERE { ?s <http://example.org/service> ?o }",
        "PREFIX mlkg: <https://w3id.org/mlkg#> SELECT ?svc WHERE { ?m mlkg:service ?svc }",
        "SELECT * WHERE { ?s ?p 'SERVICE <http://127.0.0.1:1/> {}' }",
        "# SERVICE <http://127.0.0.1:1/> { }\nSELECT * WHERE { ?s ?p ?o }",
        "SELECT * WHERE { ?s ?p ?o FILTER(REGEX(?o, '\\\\d+')) }",
    ],
)
def test_queries_that_only_mention_service_run(text: str) -> None:
    check_query(text)


def test_a_query_mlkg_cannot_check_is_refused_not_run() -> None:
    with pytest.raises(QueryError, match="malformed"):
        check_query("SELECT * WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o }")


def test_a_deeply_nested_query_is_refused_cleanly() -> None:
    text = "SELECT * WHERE " + "{ " * 2000 + "SERVICE <http://127.0.0.1:1/> { ?s ?p ?o }" + " }" * 2000
    with pytest.raises(QueryError):
        check_query(text)


# -- fuzzing: decorations around SERVICE, LOAD and owned-graph IRIs -----------------------------------------

_NOISE = st.sampled_from(
    [
        "",
        " ",
        "\n# a comment with SERVICE and 'quotes' and \\' \n",
        " ?s <http://ex/p> 'it\\'s' . ",
        ' ?s <http://ex/p> "a \\" quote" . ',
        " ?s <http://ex/p> '''long ' string''' . ",
        " ?s ex:a\\' ?o . ",
        " ?s ex:b\\.service ?o . ",
        " OPTIONAL { ?s ex:c\\-d ?o } ",
        " { ?s ?p ?o } UNION { ?s ex:e ?o } ",
        " FILTER(?o != 'x') ",
        " FILTER NOT EXISTS { ?s ex:f ?o } ",
        " BIND(<http://ex/x> AS ?b) ",
    ]
)
_COMMENT = st.sampled_from(["", "# SERVICE LOAD <http://127.0.0.1:1/> 'it\\'s\n", "#\\u0053ERVICE\n"])


def _keyword(word: str) -> st.SearchStrategy[str]:
    """A keyword in varied case, sometimes with a codepoint escape for one of its letters."""

    def spell(flags: list[bool], escape_at: int | None) -> str:
        letters = [c.upper() if up else c.lower() for c, up in zip(word, flags, strict=True)]
        if escape_at is not None:
            letters[escape_at] = f"\\u{ord(letters[escape_at]):04X}"
        return "".join(letters)

    return st.builds(
        spell,
        st.lists(st.booleans(), min_size=len(word), max_size=len(word)),
        st.none() | st.integers(min_value=0, max_value=len(word) - 1),
    )


@st.composite
def service_queries(draw: st.DrawFn, port: int) -> str:
    target = draw(
        st.sampled_from(
            [
                f"<http://127.0.0.1:{port}/sparql>",
                "t:sparql",
                "<sparql>",
                f"<http://127.0.0.1:{port}/\\u0073parql>",
            ]
        )
    )
    silent = draw(st.sampled_from(["", " SILENT", " silent"]))
    service = f"{draw(_keyword('service'))}{silent} {target} {{ ?x ?y ?z }}"
    depth = draw(st.integers(min_value=0, max_value=3))
    body = "{ " * depth + draw(_NOISE) + service + draw(_NOISE) + " }" * depth
    wrapper = draw(
        st.sampled_from(
            [
                "SELECT * WHERE {{ {} }}",
                "SELECT * WHERE {{ ?s ?p ?o FILTER EXISTS {{ {} }} }}",
                "SELECT * WHERE {{ {{ SELECT ?x WHERE {{ {} }} }} }}",
                "ASK {{ OPTIONAL {{ {} }} }}",
                "CONSTRUCT {{ ?x ?y ?z }} WHERE {{ {} }}",
            ]
        )
    )
    prologue = (
        f"BASE <http://127.0.0.1:{port}/> PREFIX ex: <http://ex/> PREFIX t: <http://127.0.0.1:{port}/> "
    )
    return prologue + draw(_COMMENT) + wrapper.format(body)


@pytest.mark.reliability
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_generated_query_reaches_a_loopback_listener(
    data: st.DataObject, reasoned: ReasonedStore, listener: Listener
) -> None:
    text = data.draw(service_queries(listener.port))
    before = listener.connections
    with contextlib.suppress(MlkgError):
        reasoned.query(query=text)
    assert listener.connections == before, text


@st.composite
def owned_graph_updates(draw: st.DrawFn, port: int) -> str:
    owned = draw(st.sampled_from(["inferred", "ontology"]))
    escaped = owned.replace("i", "\\u0069", 1) if draw(st.booleans()) else owned
    iri = draw(
        st.sampled_from(
            [
                f"<https://w3id.org/mlkg/graph/{escaped}>",
                f"g:{owned}",
                f"<{escaped}>",
                f"<../graph/{escaped}>",
            ]
        )
    )
    operation = draw(
        st.sampled_from(
            [
                "INSERT DATA {{ GRAPH {g} {{ <urn:a> <urn:b> <urn:c> }} }}",
                "DELETE DATA {{ GRAPH {g} {{ <urn:a> <urn:b> <urn:c> }} }}",
                "DROP GRAPH {g}",
                "DROP SILENT GRAPH {g}",
                "CLEAR GRAPH {g}",
                "MOVE {g} TO <urn:moved>",
                "COPY <urn:empty> TO {g}",
                "ADD <urn:empty> TO {g}",
                "WITH {g} DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}",
                "DELETE {{ GRAPH {g} {{ ?s ?p ?o }} }} WHERE {{ GRAPH {g} {{ ?s ?p ?o }} }}",
                "DELETE WHERE {{ GRAPH {g} {{ ?s ?p ?o }} }}",
                "INSERT {{ GRAPH {g} {{ ?s <urn:forged> ?o }} }} WHERE {{ ?s ?p ?o }}",
                f"LOAD <http://127.0.0.1:{port}/x.ttl> INTO GRAPH {{g}}",
            ]
        )
    )
    keyword_case = draw(st.sampled_from([str.upper, str.lower, str.title]))
    first, _, rest = operation.partition(" ")
    prologue = "BASE <https://w3id.org/mlkg/graph/> PREFIX g: <https://w3id.org/mlkg/graph/> "
    return prologue + draw(_COMMENT) + keyword_case(first) + " " + rest.format(g=iri)


@pytest.mark.reliability
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_generated_update_changes_an_owned_graph(
    data: st.DataObject, reasoned: ReasonedStore, listener: Listener
) -> None:
    text = data.draw(owned_graph_updates(listener.port))
    before_state = owned_state(reasoned)
    before = listener.connections
    with contextlib.suppress(MlkgError):
        reasoned.update(update=text)
    assert listener.connections == before, text
    assert owned_state(reasoned) == before_state, text
