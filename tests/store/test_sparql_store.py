"""The remote backend's own behaviour: selection by settings, the union-default-graph check, parameters as
VALUES blocks, and clear errors (unreachable engine, credentials, timeouts, engine-side errors) with the
documented retry policy. The shared behaviour is in test_contract.py, which runs on both backends."""

from __future__ import annotations

import base64
import http.server
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from rdflib import BNode, Literal, URIRef
from tests.remote_server import OxigraphServer, ServerFactory

from mlkg.config import Settings
from mlkg.errors import InputError, QueryError, QueryTimeoutError, StoreError
from mlkg.store import open_store
from mlkg.store.base import SelectResult
from mlkg.store.oxigraph import OxigraphStore
from mlkg.store.sparql import Endpoints, SparqlStore
from mlkg.store.sparqltext import bind_values
from mlkg.vocab import ONTOLOGY_GRAPH

EX = "http://example.org/"
G1, G2 = URIRef(EX + "graph/1"), URIRef(EX + "graph/2")
A, B, P = URIRef(EX + "a"), URIRef(EX + "b"), URIRef(EX + "p")


@pytest.fixture
def remote(oxigraph_server: OxigraphServer) -> Iterator[SparqlStore]:
    oxigraph_server.clear()
    with SparqlStore(endpoints=oxigraph_server.endpoints) as opened:
        yield opened


# -- selection and the union default graph -------------------------------------------------------------


def test_open_store_selects_the_remote_backend_and_leaves_an_empty_engine_empty(
    oxigraph_server: OxigraphServer,
) -> None:
    oxigraph_server.clear()
    with open_store(settings=oxigraph_server.settings()) as opened:
        assert isinstance(opened, SparqlStore)
        assert opened.graph_names() == []  # the ontology graph is served by mlkg, the union probe dropped
        assert opened.has_graph(graph=ONTOLOGY_GRAPH)


def test_update_endpoint_defaults_to_the_query_endpoint(oxigraph_server: OxigraphServer) -> None:
    # Oxigraph server answers updates on /update only: the default must send them to /query and fail there
    settings = oxigraph_server.settings(update_endpoint=None, gsp_endpoint=None)
    oxigraph_server.clear()
    with pytest.raises(QueryError, match="update"):
        open_store(settings=settings)


def test_an_engine_without_a_union_default_graph_is_refused(oxigraph_servers: ServerFactory) -> None:
    server = oxigraph_servers(union=False)
    with pytest.raises(StoreError, match="--union-default-graph"):
        open_store(settings=server.settings())


# -- writes and reads without a Graph Store endpoint ----------------------------------------------------


@pytest.fixture
def without_gsp(oxigraph_server: OxigraphServer) -> Iterator[SparqlStore]:
    oxigraph_server.clear()
    endpoints = oxigraph_server.endpoints
    with SparqlStore(endpoints=Endpoints(query=endpoints.query, update=endpoints.update)) as opened:
        yield opened


def test_load_graph_sends_only_the_difference_in_chunks(
    remote: SparqlStore, oxigraph_server: OxigraphServer
) -> None:
    triples = [(URIRef(f"{EX}s{i}"), P, Literal(i)) for i in range(25_000)]
    remote.replace_graphs(graphs={G1: [(A, P, B), triples[0]]})
    assert remote.load_graph(graph=G1, triples=iter(triples)) == 25_000
    assert set(remote.quads(graph=G1)) == {(*t, G1) for t in triples}
    # a second load of almost the same content: one DELETE DATA and one INSERT DATA, small
    sent: list[str] = []
    with SparqlStore(endpoints=oxigraph_server.endpoints) as watched:
        http = watched._open()
        original = http.update

        def recording(*, text: str) -> None:
            sent.append(text)
            original(text=text)

        http.update = recording  # type: ignore[method-assign]
        assert watched.load_graph(graph=G1, triples=[*triples[1:], (A, P, B)]) == 25_000
    assert [text.split(" {", 1)[0] for text in sent] == ["DELETE DATA", "INSERT DATA"]
    assert all(len(text) < 500 for text in sent)
    assert set(remote.quads(graph=G1)) == {(*t, G1) for t in [*triples[1:], (A, P, B)]}


def test_default_graph_quads_with_and_without_a_graph_store(
    remote: SparqlStore, without_gsp: SparqlStore
) -> None:
    remote.update(update=f"INSERT DATA {{ <{A}> <{P}> <{B}> }}")
    remote.replace_graphs(graphs={G1: [(B, P, A)]})
    for store in (remote, without_gsp):
        assert set(store.quads(predicate=P)) == {(A, P, B, None), (B, P, A, G1)}
        assert list(store.quads(subject=A)) == [(A, P, B, None)]
        assert list(store.quads(graph=G1)) == [(B, P, A, G1)]


def test_load_graph_refuses_blank_nodes(remote: SparqlStore) -> None:
    with pytest.raises(InputError, match="blank node"):
        remote.load_graph(graph=G1, triples=[(BNode(), P, A)])


# -- parameters --------------------------------------------------------------------------------------------


def test_bindings_are_a_values_block_first_in_the_where_group() -> None:
    text = bind_values('SELECT ?s WHERE { ?s ?p "{" }', {"s": "<http://x>"})
    assert text == 'SELECT ?s WHERE { VALUES (?s) { (<http://x>) }  ?s ?p "{" }'
    construct = bind_values("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", {"s": "<http://x>"})
    assert construct.endswith("WHERE { VALUES (?s) { (<http://x>) }  ?s ?p ?o }")


def test_bindings_go_into_a_sub_select_that_projects_them() -> None:
    x = {"s": "<http://x>"}
    sub = bind_values("SELECT ?s { { SELECT ?s WHERE { ?s ?p ?o } } }", x)
    assert sub == "SELECT ?s { { SELECT ?s WHERE { VALUES (?s) { (<http://x>) }  ?s ?p ?o } } }"
    # bound before the LIMIT, as substitution binds it
    limited = bind_values("SELECT ?s { SELECT ?s WHERE { ?s ?p ?o } LIMIT 3 }", x)
    assert limited == "SELECT ?s { SELECT ?s WHERE { VALUES (?s) { (<http://x>) }  ?s ?p ?o } LIMIT 3 }"
    # not into a sub-select whose ?s is another variable: wrapped and joined outside
    computed = bind_values("SELECT ?s { SELECT (?o AS ?s) WHERE { ?a ?p ?o } }", x)
    assert computed.startswith("SELECT ?s { VALUES (?s) { (<http://x>) } {  SELECT (?o AS ?s)")
    star = bind_values("SELECT * { SELECT * WHERE { ?s ?p ?o } }", x)
    assert star == "SELECT * { SELECT * WHERE { VALUES (?s) { (<http://x>) }  ?s ?p ?o } }"


def test_bindings_give_the_embedded_answers_around_sub_selects(remote: SparqlStore) -> None:
    data = {G1: [(A, P, Literal(1)), (B, P, Literal(2))]}
    remote.replace_graphs(graphs=data)
    with OxigraphStore(path=None) as embedded:
        embedded.replace_graphs(graphs=data)
        for query in (
            f"SELECT ?s ?o {{ SELECT ?s ?o WHERE {{ ?s <{P}> ?o }} ORDER BY ?s LIMIT 1 }}",
            f"SELECT ?s {{ SELECT (?o AS ?s) WHERE {{ ?a <{P}> ?o }} }}",
            f"SELECT ?s (COUNT(*) AS ?n) {{ {{ SELECT ?s WHERE {{ ?s <{P}> ?o }} }} }} GROUP BY ?s",
        ):
            for value in (A, B, Literal(2)):
                left = embedded.query(query=query, bindings={"s": value})
                right = remote.query(query=query, bindings={"s": value})
                assert isinstance(left, SelectResult) and isinstance(right, SelectResult)
                assert sorted(left.rows, key=str) == sorted(right.rows, key=str), (query, value)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("SELECT ?o WHERE { ?s ?p ?o }", "SELECT projection"),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "short form"),
        ("DESCRIBE <http://x>", "no WHERE group"),
    ],
)
def test_unbindable_queries_are_query_errors(query: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        bind_values(query, {"s": "<http://x>"})


def test_a_blank_node_cannot_be_bound_remotely(remote: SparqlStore) -> None:
    with pytest.raises(QueryError, match="blank node"):
        remote.query(query="SELECT ?s WHERE { ?s ?p ?o }", bindings={"s": BNode()})


def test_bindings_reach_filters_and_optional_parts(remote: SparqlStore) -> None:
    remote.replace_graphs(graphs={G1: [(A, P, Literal(1)), (B, P, Literal(2))]})
    result = remote.query(
        query=f"SELECT ?s ?n WHERE {{ ?s <{P}> ?v FILTER(?v >= ?n) }}", bindings={"n": Literal(2)}
    )
    assert isinstance(result, SelectResult) and result.rows == [(B, Literal(2))]


# -- errors and the retry policy --------------------------------------------------------------------------


@dataclass
class FakeEngine:
    """A local HTTP server playing a misbehaving engine: ``behave(handler)`` answers each request."""

    behave: Callable[[http.server.BaseHTTPRequestHandler], None]
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    url: str = ""


Behaviour = Callable[[http.server.BaseHTTPRequestHandler], None]
FakeEngines = Callable[[Behaviour], FakeEngine]


@pytest.fixture
def fake_engine() -> Iterator[FakeEngines]:
    servers: list[http.server.ThreadingHTTPServer] = []  # stopped at teardown

    def start(behave: Callable[[http.server.BaseHTTPRequestHandler], None]) -> FakeEngine:
        engine = FakeEngine(behave=behave)

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                engine.requests.append((self.command, body, dict(self.headers)))
                engine.behave(self)

            do_GET = do_POST
            do_PUT = do_POST

            def log_message(self, *args: object) -> None:
                pass

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: object, client_address: object) -> None:
                pass  # the client gave up on purpose (timeouts): no traceback on stderr

        server = Server(("127.0.0.1", 0), Handler)
        servers.append(server)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
        engine.url = f"http://127.0.0.1:{server.server_address[1]}/sparql"
        return engine

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def answer(status: int, body: bytes, content_type: str = "text/plain") -> Callable[..., None]:
    def behave(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return behave


def store_at(url: str, **options: object) -> SparqlStore:
    return SparqlStore(endpoints=Endpoints(query=url, update=url), **options)  # type: ignore[arg-type]


ENGINE = "http://engine.test/sparql"


def mocked(
    status: int, body: bytes, content_type: str = "text/plain", *, user: str | None = None, url: str = ENGINE
) -> tuple[SparqlStore, list[httpx.Request]]:
    """A store on an engine that answers every request with ``status`` and ``body``, through
    ``httpx.MockTransport`` (no socket), and the requests it received."""
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, content=body, headers={"Content-Type": content_type})

    endpoints = Endpoints(query=url, update=url, user=user, password="s3cret" if user else None)
    return SparqlStore(endpoints=endpoints, transport=httpx.MockTransport(handle)), seen


def test_an_unreachable_engine_is_a_store_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with store_at(f"http://127.0.0.1:{port}/sparql") as unreachable:
        with pytest.raises(StoreError, match="cannot reach the SPARQL engine"):
            unreachable.graph_names()
        with pytest.raises(StoreError, match="cannot reach the SPARQL engine"):
            unreachable.replace_graphs(graphs={G1: [(A, P, B)]})


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_are_a_store_error_and_credentials_are_sent(status: int) -> None:
    opened, seen = mocked(status, b"go away", user="ann")
    with opened, pytest.raises(StoreError, match="refused the credentials"):
        opened.has_graph(graph=G1)
    [request] = seen
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"ann:s3cret").decode()


def test_credentials_never_appear_in_errors_or_reprs() -> None:
    url = ENGINE.replace("http://", "http://ann:s3cret@")
    endpoints = Endpoints(query=url, update=url, user="bob", password="hunter2")
    assert "hunter2" not in repr(endpoints)
    opened, _ = mocked(502, b"bad gateway", url=url)
    with opened, pytest.raises(StoreError) as caught:
        opened.replace_graphs(graphs={G1: [(A, P, B)]})
    assert "HTTP 502" in str(caught.value) and "engine.test/sparql" in str(caught.value)
    assert "s3cret" not in str(caught.value) and "hunter2" not in str(caught.value)


def test_an_engine_side_query_error_carries_the_engines_message(remote: SparqlStore) -> None:
    with pytest.raises(QueryError, match=r"HTTP 400.*error at"):
        remote.query(query="SELECT * WHERE { ?s ?p }")


def test_an_engine_side_update_error_is_a_query_error_and_writes_nothing(remote: SparqlStore) -> None:
    remote.replace_graphs(graphs={G1: [(A, P, B)]})
    with pytest.raises(QueryError, match="already exists"):
        remote.update(update=f"INSERT DATA {{ GRAPH <{G2}> {{ <{A}> <{P}> <{B}> }} }} ; CREATE GRAPH <{G1}>")
    assert remote.graph_names() == [G1]


def test_a_slow_query_is_a_timeout_and_is_not_retried(fake_engine: FakeEngines) -> None:
    def slow(handler: http.server.BaseHTTPRequestHandler) -> None:
        time.sleep(1.5)
        answer(200, b'{"boolean": true}', "application/sparql-results+json")(handler)

    engine = fake_engine(slow)
    with store_at(engine.url, timeout=0.3) as opened, pytest.raises(QueryTimeoutError, match=r"0\.3 s"):
        opened.has_graph(graph=G1)
    assert len(engine.requests) == 1


def test_a_slow_write_has_an_unknown_outcome_and_is_not_retried(fake_engine: FakeEngines) -> None:
    def slow(handler: http.server.BaseHTTPRequestHandler) -> None:
        time.sleep(1.5)
        answer(204, b"")(handler)

    engine = fake_engine(slow)
    opened = store_at(engine.url, timeout=0.3, write_timeout=0.3)
    with opened, pytest.raises(StoreError, match="outcome is unknown"):
        opened.replace_graphs(graphs={G1: [(A, P, B)]})
    assert len(engine.requests) == 1


def drop_first(then: Callable[..., None]) -> Callable[..., None]:
    """Close the connection without an answer on the first request, then behave as ``then``."""
    calls = [0]

    def behave(handler: http.server.BaseHTTPRequestHandler) -> None:
        calls[0] += 1
        if calls[0] == 1:
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return
        then(handler)

    return behave


def test_a_read_is_retried_once_when_the_connection_breaks(fake_engine: FakeEngines) -> None:
    engine = fake_engine(drop_first(answer(200, b'{"boolean": true}', "application/sparql-results+json")))
    with store_at(engine.url) as opened:
        assert opened.has_graph(graph=G1)
    assert len(engine.requests) == 2


def test_a_write_is_not_retried_when_the_connection_breaks(fake_engine: FakeEngines) -> None:
    engine = fake_engine(drop_first(answer(204, b"")))
    with store_at(engine.url) as opened, pytest.raises(StoreError, match="outcome is unknown"):
        opened.update(update=f"INSERT DATA {{ <{A}> <{P}> <{B}> }}")
    assert len(engine.requests) == 1


@pytest.mark.parametrize(
    ("status", "error", "message"),
    [
        (404, StoreError, "no SPARQL service"),
        (500, QueryError, "could not run"),
        (502, StoreError, "HTTP 502"),
        (504, QueryTimeoutError, "gave up"),
        (503, QueryTimeoutError, "gave up"),
    ],
)
def test_http_failures_map_to_mlkg_errors(status: int, error: type, message: str) -> None:
    opened, seen = mocked(status, b"query timeout reached" if status == 503 else b"boom")
    with opened, pytest.raises(error, match=message):
        opened.query(query="ASK { ?s ?p ?o }")
    assert len(seen) == 1  # an answer, even an error, is never retried


def test_a_non_results_answer_is_a_store_error() -> None:
    opened, _ = mocked(200, b"<html>login</html>", "text/html")
    with opened, pytest.raises(StoreError, match="not SPARQL JSON"):
        opened.query(query="ASK { ?s ?p ?o }")


def test_open_store_on_an_unreachable_engine_is_a_store_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(StoreError, match="cannot reach"):
        open_store(settings=Settings(sparql_endpoint=f"http://127.0.0.1:{port}/sparql"))
