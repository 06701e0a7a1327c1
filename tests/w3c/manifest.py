"""The W3C SPARQL 1.1 protocol test manifests (``data/sparql11/``) read into plain data.

The manifests of ``protocol`` and ``graph-store-protocol`` describe each test as HTTP exchanges in the W3C
HTTP vocabulary (``ht:Request`` with ``ht:methodName``, ``ht:absolutePath``, ``ht:headers``, ``ht:body``; the
expected ``ht:Response`` with ``mf:expectedStatus``, ``mf:expectedBoolean``, ``mf:expectedFormat``,
``mf:expectedLocation``, and response headers and body), as the manifests' own ``rdfs:comment`` explains;
``ut:graphData`` names the graphs to load first. ``service-description`` gives only names: its checks are
written out in ``test_w3c_protocol.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import RDF, RDFS, Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

__all__ = ["DATA", "Case", "Exchange", "Expect", "load_cases"]

DATA = Path(__file__).parent / "data" / "sparql11"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")


@dataclass(frozen=True)
class Expect:
    """What the response must be: ``statuses`` are ``hts:`` local names (``OK``, ``StatusCode2xx``...)."""

    statuses: frozenset[str]
    boolean: bool | None = None
    format: str | None = None
    location: str | None = None
    content_type: str | None = None
    body: str | None = None


@dataclass(frozen=True)
class Exchange:
    """One request of a test as the manifest writes it (its path starts with ``/sparql/`` or ``/gsp``)."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    expect: Expect


@dataclass(frozen=True)
class Case:
    """One test: its manifest local name, ``mf:name``, type, required features, graphs to load first
    (file, graph IRI) and requests in order."""

    name: str
    title: str
    kind: str
    requires: frozenset[str]
    graph_data: tuple[tuple[Path, str], ...]
    exchanges: tuple[Exchange, ...]


def _local(node: Node) -> str:
    text = str(node)
    return text.rsplit("#", 1)[-1]


def _headers(graph: Graph, node: Node) -> tuple[tuple[str, str], ...]:
    listed = graph.value(node, HT.headers)
    if listed is None:
        return ()
    return tuple(
        (str(graph.value(h, HT.fieldName)), str(graph.value(h, HT.fieldValue)))
        for h in Collection(graph, listed)
    )


def _body(graph: Graph, node: Node) -> tuple[str | None, str]:
    body = graph.value(node, HT.body)
    if body is None:
        return None, "UTF-8"
    return str(graph.value(body, CNT.chars)), str(graph.value(body, CNT.characterEncoding) or "UTF-8")


def _expect(graph: Graph, response: Node) -> Expect:
    boolean = graph.value(response, MF.expectedBoolean)
    fmt = graph.value(response, MF.expectedFormat)
    location = graph.value(response, MF.expectedLocation)
    content_type = dict(_headers(graph, response)).get("content-type")
    body, _ = _body(graph, response)
    return Expect(
        statuses=frozenset(_local(s) for s in graph.objects(response, MF.expectedStatus)),
        boolean=None if boolean is None else bool(boolean.toPython()),  # type: ignore[union-attr]
        format=None if fmt is None else str(fmt),
        location=None if location is None else str(location),
        content_type=content_type,
        body=body,
    )


def _exchange(graph: Graph, node: Node) -> Exchange:
    text, encoding = _body(graph, node)
    response = graph.value(node, HT.resp)
    assert response is not None, f"request {node} has no ht:resp"
    return Exchange(
        method=str(graph.value(node, HT.methodName)),
        path=str(graph.value(node, HT.absolutePath)),
        headers=_headers(graph, node),
        body=None if text is None else text.encode(encoding.lower()),
        expect=_expect(graph, response),
    )


def _case(graph: Graph, test: URIRef, folder: Path) -> Case:
    action = graph.value(test, MF.action)
    exchanges: tuple[Exchange, ...] = ()
    if action is not None:
        listed = graph.value(action, HT.requests)
        exchanges = tuple(_exchange(graph, r) for r in Collection(graph, listed))
    graph_data = tuple(
        (folder / Path(str(graph.value(d, UT.graph))).name, str(graph.value(d, RDFS.label)))
        for d in graph.objects(test, UT.graphData)
    )
    return Case(
        name=_local(test),
        title=str(graph.value(test, MF.name)),
        kind=_local(graph.value(test, RDF.type) or MF.Unknown),
        requires=frozenset(_local(r) for r in graph.objects(test, MF.requires)),
        graph_data=graph_data,
        exchanges=exchanges,
    )


def load_cases(manifest: Path) -> list[Case]:
    """Every test of ``manifest`` and of the manifests it includes (``mf:include``), in manifest order."""
    graph = Graph().parse(manifest, format="turtle")
    root = URIRef(manifest.resolve().as_uri())
    cases: list[Case] = []
    included = graph.value(root, MF.include)
    if included is not None:
        for child in Collection(graph, included):
            cases += load_cases(manifest.parent / Path(str(child)).name)
    entries = graph.value(root, MF.entries)
    if entries is not None:
        cases += [_case(graph, URIRef(str(t)), manifest.parent) for t in Collection(graph, entries)]
    return cases
