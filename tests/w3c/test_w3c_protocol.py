"""The W3C SPARQL 1.1 Protocol, Graph Store HTTP Protocol and Service Description tests, run against a real
``mlkg serve`` and a real Oxigraph server in the same run (issue 13, "done when").

Each test's requests (``tests/w3c/manifest.py`` reads them from ``data/sparql11/``) are sent in order to
Oxigraph server (the reference, in its default mode), to ``mlkg serve`` on the embedded store and to ``mlkg
serve`` on the remote backend (a second Oxigraph server, querying the union of its graphs), each emptied first
(``DROP ALL``) and given the test's ``ut:graphData`` graphs by Graph Store PUT. Every test that passes on
Oxigraph server must pass on both mlkg servers; the exceptions are listed in :data:`EXCEPTIONS` with their
reason and run as non-strict xfail. A test that fails everywhere is skipped with the reasons.

How the manifests' requests are mapped to an endpoint (their rdfs:comment leaves it to the runner):
``/sparql/`` of the first request of a test named ``update_*`` or ``bad_update_*`` goes to the update
endpoint, every other ``/sparql/`` to the query endpoint (the update tests' later requests are ASK queries
checking the result); ``/gsp`` is the Graph Store endpoint, and ``/gsp/person/1.ttl`` a graph under it
(direct identification). ``$LOCATION$`` is replaced by the ``Location`` a ``mf:expectedLocation`` response
gave. A response's expected ``Content-Type`` is compared by media type; an expected body by graph
isomorphism (the manifest's own rule).

The service-description manifest gives only test names; what each checks is written out in
:data:`SERVICE_DESCRIPTION`, following SPARQL 1.1 Service Description, sections 2 and 3.
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import pytest
import rdflib
from rdflib import RDF, Namespace, URIRef
from rdflib.compare import isomorphic
from tests.remote_server import OxigraphServer, ServerFactory
from tests.serving import Launched, launch
from tests.w3c.manifest import DATA, Case, Exchange, load_cases

pytestmark = pytest.mark.slow

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")

CASES = [
    *load_cases(DATA / "protocol" / "manifest.ttl"),
    *load_cases(DATA / "graph-store-protocol" / "manifest.ttl"),
    *load_cases(DATA / "service-description" / "manifest.ttl"),
]

#: Tests that pass on Oxigraph server and may fail on mlkg, with the reason. None today: the ontology's
#: triples in mlkg's default graph (issue 13, point 3, decided elsewhere) change no answer here, since these
#: tests name their dataset, use GRAPH, or check a status.
EXCEPTIONS: dict[str, str] = {}

#: ``hts:`` status names of the manifests and the codes they allow.
STATUSES: dict[str, Callable[[int], bool]] = {
    "StatusCode2xx": lambda code: 200 <= code < 300,
    "StatusCode3xx": lambda code: 300 <= code < 400,
    "StatusCode4xx": lambda code: 400 <= code < 500,
    "OK": lambda code: code == 200,
    "Created": lambda code: code == 201,
    "NoContent": lambda code: code == 204,
    "NotFound": lambda code: code == 404,
}

#: ``mf:expectedFormat`` values and the media types the protocol manifest's test names list for them
#: (query_content_type_select: "XML, JSON, CSV, TSV"; _ask: "XML, JSON"; _describe / _construct: "RDF/XML,
#: Turtle, N-Triples, RDFa").
FORMATS: dict[str, frozenset[str]] = {
    "boolean": frozenset({"application/sparql-results+xml", "application/sparql-results+json"}),
    "tabular": frozenset(
        {
            "application/sparql-results+xml",
            "application/sparql-results+json",
            "text/csv",
            "text/tab-separated-values",
        }
    ),
    "RDF": frozenset(
        {"application/rdf+xml", "text/turtle", "application/n-triples", "text/plain", "application/xhtml+xml"}
    ),
}

RDF_PARSERS = {
    "text/turtle": "turtle",
    "application/rdf+xml": "xml",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
}
SD_ACCEPT = "text/turtle, application/rdf+xml;q=0.9, application/n-triples;q=0.8"
SD_LANGUAGES = frozenset({SD.SPARQL10Query, SD.SPARQL11Query, SD.SPARQL11Update})


@dataclass(frozen=True)
class Server:
    """A server under test: where it listens and its query, update and Graph Store paths."""

    name: str
    host: str
    port: int
    query: str
    update: str
    gsp: str

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def media_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def send(
    server: Server,
    method: str,
    target: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> Answer:
    """One request as the manifest writes it: no header added but Host and Content-Length (http.client)."""
    connection = http.client.HTTPConnection(server.host, server.port, timeout=60)
    try:
        connection.request(method, target, body=body, headers=headers or {})
        response = connection.getresponse()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


# ------------------------------------------------------------------------------------------ the servers


@pytest.fixture(scope="module")
def engines(oxigraph_servers: ServerFactory) -> dict[str, OxigraphServer]:
    """Oxigraph server as the reference (its default mode), and one querying the union of its graphs as the
    SPARQL engine behind mlkg's remote backend."""
    return {"reference": oxigraph_servers(union=False), "backend": oxigraph_servers(union=True)}


@pytest.fixture(scope="module")
def mlkg_serve(
    tmp_path_factory: pytest.TempPathFactory, engines: dict[str, OxigraphServer]
) -> Iterator[dict[str, Launched]]:
    """``mlkg serve`` on the embedded store (in memory) and on the remote backend, started at once."""
    logs = tmp_path_factory.mktemp("w3c")
    backend = engines["backend"].endpoints
    remote = ["--sparql-endpoint", backend.query, "--update-endpoint", backend.update]
    remote += ["--gsp-endpoint", str(backend.gsp)]
    launched: dict[str, Launched] = {}
    try:
        launched["mlkg"] = launch(log=logs / "serve.log", demo=False, token=None)
        launched["mlkg-remote"] = launch(
            log=logs / "serve-remote.log", demo=False, token=None, options=remote
        )
        yield launched
    finally:
        for started in launched.values():
            started.stop()


def _server(name: str, url: str, query: str) -> Server:
    parts = urllib.parse.urlsplit(url)
    assert parts.hostname and parts.port
    return Server(name, parts.hostname, parts.port, query, "/update", "/store")


@pytest.fixture(scope="module")
def servers(mlkg_serve: dict[str, Launched], engines: dict[str, OxigraphServer]) -> dict[str, Server]:
    return {
        "oxigraph": _server("Oxigraph server", engines["reference"].url, "/query"),
        "mlkg": _server("mlkg serve", mlkg_serve["mlkg"].ready().url, "/sparql"),
        "mlkg-remote": _server(
            "mlkg serve (remote backend)", mlkg_serve["mlkg-remote"].ready().url, "/sparql"
        ),
    }


# ------------------------------------------------------------------------------------------ running a test


def prepare(server: Server, case: Case) -> None:
    """Empty the store, then load the test's ``ut:graphData`` graphs."""
    dropped = send(
        server, "POST", server.update, headers={"content-type": "application/sparql-update"}, body=b"DROP ALL"
    )
    assert dropped.status < 300, f"{server.name}: DROP ALL answered {dropped.status}: {dropped.body!r}"
    for path, graph in case.graph_data:
        target = f"{server.gsp}?graph={urllib.parse.quote(graph, safe='')}"
        put = send(
            server, "PUT", target, headers={"content-type": "application/n-triples"}, body=path.read_bytes()
        )
        assert put.status < 300, f"{server.name}: loading {path.name} answered {put.status}"


def target_of(server: Server, case: Case, index: int, exchange: Exchange) -> str:
    if exchange.path.startswith("/sparql/"):
        update = index == 0 and case.name.startswith(("update_", "bad_update_"))
        return (server.update if update else server.query) + exchange.path.removeprefix("/sparql/")
    assert exchange.path.startswith("/gsp"), exchange.path
    return server.gsp + exchange.path.removeprefix("/gsp")


def problems_of(answer: Answer, exchange: Exchange) -> list[str]:
    """Why ``answer`` does not meet the manifest's expectation (empty if it does)."""
    expect = exchange.expect
    found: list[str] = []
    if not any(STATUSES[name](answer.status) for name in expect.statuses):
        found.append(f"status {answer.status}, expected {sorted(expect.statuses)}: {answer.body[:300]!r}")
        return found
    if expect.format is not None and answer.media_type not in FORMATS[expect.format]:
        found.append(f"Content-Type {answer.media_type!r} is not a {expect.format} format")
    if expect.boolean is not None:
        value = boolean_of(answer)
        if value is not expect.boolean:
            found.append(f"boolean {value}, expected {expect.boolean}")
    if expect.location is not None and "location" not in answer.headers:
        found.append("no Location header")
    if expect.content_type is not None:
        wanted = expect.content_type.split(";", 1)[0].strip().lower()
        if answer.media_type != wanted:
            found.append(f"Content-Type {answer.media_type!r}, expected {wanted!r}")
    if expect.body is not None and not found:
        expected = rdflib.Graph().parse(data=expect.body, format="turtle")
        try:
            given = rdflib.Graph().parse(
                data=answer.body, format=RDF_PARSERS.get(answer.media_type, "turtle")
            )
        except Exception as error:  # rdflib raises many kinds of error on a body it cannot parse
            found.append(f"body not readable as {answer.media_type}: {error}")
        else:
            if not isomorphic(expected, given):
                found.append(f"body not isomorphic to the expected graph: {answer.body[:300]!r}")
    return found


def boolean_of(answer: Answer) -> bool | None:
    if answer.media_type == "application/sparql-results+json":
        value = json.loads(answer.body).get("boolean")
        return value if isinstance(value, bool) else None
    if answer.media_type == "application/sparql-results+xml":
        element = ElementTree.fromstring(answer.body).find("{http://www.w3.org/2005/sparql-results#}boolean")
        return None if element is None else element.text == "true"
    return None


def run_exchanges(server: Server, case: Case) -> list[str]:
    """Run a protocol or Graph Store test; the problems found (empty: it passes)."""
    prepare(server, case)
    variables: dict[str, str] = {}
    for index, exchange in enumerate(case.exchanges):
        target = target_of(server, case, index, exchange)
        body = exchange.body
        for name, value in variables.items():
            target = target.replace(name, value)
            body = None if body is None else body.replace(name.encode(), value.encode())
        answer = send(server, exchange.method, target, headers=dict(exchange.headers), body=body)
        found = problems_of(answer, exchange)
        if found:
            return [f"request {index + 1} ({exchange.method} {target}): {p}" for p in found]
        if exchange.expect.location is not None:
            variables[exchange.expect.location] = answer.headers["location"]
    return []


# ---------------------------------------------------------------------------------------- service description


def service_description(server: Server) -> tuple[Answer, rdflib.Graph | None]:
    answer = send(server, "GET", server.query, headers={"accept": SD_ACCEPT})
    if answer.status != 200 or answer.media_type not in RDF_PARSERS:
        return answer, None
    try:
        return answer, rdflib.Graph().parse(data=answer.body, format=RDF_PARSERS[answer.media_type])
    except Exception:  # not RDF after all: the tests say so
        return answer, None


def returns_rdf(server: Server) -> list[str]:
    """returns-rdf, "GET on endpoint returns RDF" (Service Description, section 2: a GET of the endpoint
    without a query returns its description as RDF)."""
    answer, graph = service_description(server)
    return [] if graph is not None else [f"GET {server.query}: {answer.status} {answer.media_type!r}"]


def has_endpoint_triple(server: Server) -> list[str]:
    """has-endpoint-triple, "Service description contains a matching sd:endpoint triple" (section 3.2.1:
    sd:endpoint names the URL the service is reached at)."""
    _, graph = service_description(server)
    endpoint = URIRef(server.origin + server.query)
    if graph is None or (None, SD.endpoint, endpoint) not in graph:
        return [f"no sd:endpoint <{endpoint}> in the description"]
    return []


def conforms_to_schema(server: Server) -> list[str]:
    """conforms-to-schema, "Service description conforms to schema" (section 3): at least one sd:Service;
    each with an IRI sd:endpoint and a sd:supportedLanguage among the three the vocabulary defines; the
    values of sd:resultFormat, sd:inputFormat, sd:feature and sd:extensionFunction are IRIs."""
    _, graph = service_description(server)
    if graph is None:
        return ["no RDF description"]
    found: list[str] = []
    services = list(graph.subjects(RDF.type, SD.Service))
    if not services:
        found.append("no sd:Service")
    for service in services:
        endpoints = list(graph.objects(service, SD.endpoint))
        if not endpoints or not all(isinstance(e, URIRef) for e in endpoints):
            found.append(f"{service}: sd:endpoint missing or not an IRI")
        languages = set(graph.objects(service, SD.supportedLanguage))
        if not languages or not languages <= SD_LANGUAGES:
            found.append(f"{service}: sd:supportedLanguage {sorted(languages)}")
    for prop in (SD.resultFormat, SD.inputFormat, SD.feature, SD.extensionFunction):
        for value in graph.objects(None, prop):
            if not isinstance(value, URIRef):
                found.append(f"{prop} {value!r} is not an IRI")
    return found


SERVICE_DESCRIPTION: dict[str, Callable[[Server], list[str]]] = {
    "returns-rdf": returns_rdf,
    "has-endpoint-triple": has_endpoint_triple,
    "conforms-to-schema": conforms_to_schema,
}


def run_case(server: Server, case: Case) -> list[str]:
    if case.kind == "ServiceDescriptionTest":
        return SERVICE_DESCRIPTION[case.name](server)
    return run_exchanges(server, case)


# ------------------------------------------------------------------------------------------ the tests

#: Per test: passed on Oxigraph server, on mlkg (embedded store), on mlkg (remote backend).
OUTCOMES: dict[str, tuple[bool, bool, bool]] = {}


def _param(case: Case) -> object:
    marks = []
    if case.name in EXCEPTIONS:
        marks.append(pytest.mark.xfail(reason=EXCEPTIONS[case.name], strict=False))
    return pytest.param(case, id=case.name, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_w3c(case: Case, servers: dict[str, Server]) -> None:
    found = {name: run_case(server, case) for name, server in servers.items()}
    OUTCOMES[case.name] = (not found["oxigraph"], not found["mlkg"], not found["mlkg-remote"])
    failing = {name: problems[0] for name, problems in found.items() if problems}
    if "oxigraph" in failing and len(failing) == len(servers):
        pytest.skip(f"fails on every server: {failing}")
    if "oxigraph" not in failing:
        assert not failing, f"{case.title}: passes on Oxigraph server, fails on {failing}"


def test_the_runner_sees_the_reference_pass(servers: dict[str, Server]) -> None:
    """The runner works: run after the tests above, Oxigraph server passed the protocol tests it is known to
    pass (so a broken runner cannot make every comparison vacuous)."""
    if len(OUTCOMES) < len(CASES):
        pytest.skip("only part of the W3C tests ran (-k or -x)")
    total = len(CASES)
    for index, name in enumerate(servers):
        passed = {case for case, outcome in OUTCOMES.items() if outcome[index]}
        print(f"\n{name}: passes {len(passed)}/{total}; fails {sorted(set(OUTCOMES) - passed)}")
    assert sum(outcome[0] for outcome in OUTCOMES.values()) >= 40


def test_manifests_are_read_whole() -> None:
    """34 protocol, 13 Graph Store and 3 service-description tests (the manifests' mf:entries)."""
    kinds = [c.kind for c in CASES]
    assert kinds.count("ProtocolTest") == 34
    assert kinds.count("GraphStoreProtocolTest") == 13
    assert kinds.count("ServiceDescriptionTest") == 3
    assert all(c.exchanges for c in CASES if c.kind != "ServiceDescriptionTest")
    assert {Path(p).name for c in CASES for p, _ in c.graph_data} == {"data1.nt", "data2.nt", "data3.nt"}
