"""HTTP for the remote backend: the SPARQL 1.1 Protocol (query, update) and the Graph Store HTTP Protocol.

One :class:`SparqlHttp` holds one ``httpx.Client`` (keep-alive connections, HTTP basic authentication) and
maps every failure into :mod:`mlkg.errors` in one place (:meth:`SparqlHttp._send`):

==================================================  ==================================================
what happened                                       error raised
==================================================  ==================================================
engine unreachable (connection refused, DNS, TLS)   StoreError "cannot reach the SPARQL engine ..."
HTTP 401 / 403                                      StoreError "the engine refused the credentials ..."
HTTP 400 and other 4xx (the engine's message)       QueryError
HTTP 500 (engines report evaluation errors so)      QueryError with the engine's message
HTTP 504, or 503 mentioning a timeout               QueryTimeoutError
client-side time limit passed (a read)              QueryTimeoutError
client-side time limit passed (a write)             StoreError "the outcome of the update is unknown"
other 5xx, broken connection                        StoreError
==================================================  ==================================================

Retry policy: a request is retried once, at once, when the connection could not be made (nothing was sent,
so retrying cannot apply anything twice). A read (query, Graph Store GET) is also retried once when an
established connection broke before the answer came (an idle keep-alive connection the engine closed).
A write is never retried after it may have reached the engine: the error says its outcome is unknown, and
nothing on mlkg's side has changed (the reasoner marks its state stale, see ``mlkg.reasoning.engine``).
Timeouts are never retried: they usually mean the engine is busy.

SPARQLWrapper is not used: it guesses the query form with a regular expression, sends a text that looks like
an update to the update operation (``query()`` must never write), warns instead of failing on a text it
cannot classify, and opens a new connection per request. Plain HTTP with the protocol's parameters is
shorter than wrapping it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import httpx
from rdflib import URIRef

from mlkg.errors import MlkgError, QueryError, QueryTimeoutError, StoreError
from mlkg.formats import RdfFormat, ResultsFormat

__all__ = ["Endpoints", "SparqlHttp"]

_RESULTS_JSON: Final = ResultsFormat.JSON.spec.media_type
#: The formats :func:`mlkg.store.sparqlresults.parse_graph` reads, N-Triples preferred.
_GRAPH_ACCEPT: Final = ", ".join(
    (
        RdfFormat.NTRIPLES.media_type,
        f"{RdfFormat.TURTLE.media_type};q=0.9",
        f"{RdfFormat.RDFXML.media_type};q=0.5",
    )
)
_MESSAGE_LIMIT: Final = 600

Operation = Literal["query", "update", "gsp-read"]


@dataclass(frozen=True)
class Endpoints:
    """Where the engine listens: ``query`` (SPARQL 1.1 Protocol), ``update`` (defaults to ``query``, as
    Virtuoso, GraphDB's ``/statements`` aside, and Neptune accept both on one URL), ``gsp`` (Graph Store
    HTTP Protocol; optional), and HTTP basic credentials."""

    query: str
    update: str
    gsp: str | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)


class SparqlHttp:
    """A client of one SPARQL engine. ``timeout`` is the default time limit of a read and
    ``write_timeout`` that of a write, in seconds without an answer (httpx timeouts are per network step).
    ``transport`` replaces httpx's network transport (a proxy, mTLS settings, ``httpx.MockTransport`` in
    tests); the client keeps its authentication, time limits, retries and error mapping around it."""

    def __init__(
        self,
        *,
        endpoints: Endpoints,
        timeout: float,
        write_timeout: float,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.endpoints = endpoints
        self.timeout = timeout
        self.write_timeout = write_timeout
        auth = None
        if endpoints.user is not None:
            auth = httpx.BasicAuth(endpoints.user, endpoints.password or "")
        self._client = httpx.Client(
            auth=auth,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            follow_redirects=False,
            transport=transport,
        )

    def close(self) -> None:
        self._client.close()

    # -- SPARQL 1.1 Protocol ------------------------------------------------------------------------------

    def query(
        self,
        *,
        text: str,
        graph_result: bool,
        default_graphs: Sequence[URIRef] | None,
        named_graphs: Sequence[URIRef] | None,
        timeout: float | None,
    ) -> httpx.Response:
        """POST a query (SPARQL 1.1 Protocol 2.1.2, "query via POST with URL-encoded parameters"), with
        ``default-graph-uri`` / ``named-graph-uri`` (2.1.4). SELECT and ASK results are asked for as SPARQL
        JSON, CONSTRUCT and DESCRIBE as N-Triples (Turtle or RDF/XML accepted).

        :raises QueryError, QueryTimeoutError, StoreError: see the module's table.
        """
        form: list[tuple[str, str | int | float | bool | None]] = [("query", text)]
        form += [("default-graph-uri", str(g)) for g in default_graphs or ()]
        form += [("named-graph-uri", str(g)) for g in named_graphs or ()]
        accept = _GRAPH_ACCEPT if graph_result else _RESULTS_JSON
        request = self._client.build_request(
            "POST",
            self.endpoints.query,
            content=str(httpx.QueryParams(form)).encode("ascii"),
            headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"},
            timeout=self._timeout(timeout),
        )
        return self._send(request, operation="query", timeout=timeout)

    def query_json(self, **kwargs: Any) -> dict[str, Any]:
        """:meth:`query` for SELECT / ASK, the SPARQL 1.1 Query Results JSON document decoded.

        :raises StoreError: if the engine answers with something else than SPARQL JSON results.
        """
        response = self.query(graph_result=False, **kwargs)
        try:
            decoded = json.loads(response.content)
        except ValueError as exc:
            raise StoreError(
                f"the SPARQL engine answered a query with {response.headers.get('content-type')!r}, not "
                f"SPARQL JSON results: {exc}"
            ) from exc
        if not isinstance(decoded, dict):
            raise StoreError("the SPARQL engine answered with a JSON document that is not a results object")
        return decoded

    def update(self, *, text: str, using: Sequence[URIRef] = (), using_named: Sequence[URIRef] = ()) -> None:
        """POST an update (SPARQL 1.1 Protocol 2.2.2, "update via POST directly"), with the protocol dataset
        ``using-graph-uri`` / ``using-named-graph-uri`` in the URL (section 2.2.3) when given.

        :raises QueryError, StoreError: see the module's table; a write is never retried once sent.
        """
        dataset = {"using-graph-uri": using, "using-named-graph-uri": using_named}
        params = {name: [str(g) for g in graphs] for name, graphs in dataset.items() if graphs}
        request = self._client.build_request(
            "POST",
            self.endpoints.update,
            params=params or None,
            content=text.encode("utf-8"),
            headers={"Content-Type": "application/sparql-update; charset=utf-8"},
            timeout=self._timeout(self.write_timeout),
        )
        self._send(request, operation="update", timeout=self.write_timeout)

    # -- Graph Store HTTP Protocol --------------------------------------------------------------------------

    def _gsp(self) -> str:
        if self.endpoints.gsp is None:
            raise StoreError("no Graph Store endpoint configured (--gsp-endpoint)")
        return self.endpoints.gsp

    def gsp_get(self, *, graph: URIRef | None) -> httpx.Response | None:
        """GET one graph (``?default`` when ``graph`` is None) as N-Triples (Graph Store HTTP Protocol 5.2);
        None when the engine says the graph does not exist (404).

        :raises StoreError, QueryTimeoutError: see the module's table.
        """
        params = {"default": ""} if graph is None else {"graph": str(graph)}
        request = self._client.build_request(
            "GET", self._gsp(), params=params, headers={"Accept": _GRAPH_ACCEPT}
        )
        try:
            return self._send(request, operation="gsp-read", timeout=None)
        except _NotFound:
            return None

    # -- one place for failures -----------------------------------------------------------------------------

    def _timeout(self, timeout: float | None) -> httpx.Timeout:
        limit = self.timeout if timeout is None else timeout
        return httpx.Timeout(limit, connect=min(limit, 10.0))

    def _send(self, request: httpx.Request, *, operation: Operation, timeout: float | None) -> httpx.Response:
        read = operation in ("query", "gsp-read")
        url = str(request.url.copy_with(query=None, userinfo=b""))  # never a password in a message
        for attempt in (1, 2):
            try:
                response = self._client.send(request)
            except httpx.ConnectError as exc:
                if attempt == 1:
                    continue
                raise StoreError(f"cannot reach the SPARQL engine at {url}: {exc}") from exc
            except httpx.TimeoutException as exc:
                limit = self.timeout if timeout is None else timeout
                if read:
                    raise QueryTimeoutError(f"the SPARQL engine did not answer within {limit} s") from exc
                raise StoreError(
                    f"the SPARQL engine did not confirm the {operation} within {limit} s: its outcome is "
                    "unknown (it was not retried)"
                ) from exc
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
                if read and attempt == 1:
                    continue
                outcome = "" if read else ": its outcome is unknown (it was not retried)"
                raise StoreError(
                    f"the connection to the SPARQL engine at {url} broke{outcome} ({exc})"
                ) from exc
            except httpx.HTTPError as exc:
                raise StoreError(f"HTTP request to the SPARQL engine at {url} failed: {exc}") from exc
            _check_status(response, url=url, operation=operation)
            return response
        raise AssertionError("unreachable")


class _NotFound(MlkgError):
    """A 404 from the Graph Store: the graph does not exist."""


def _message(response: httpx.Response) -> str:
    text = response.text.strip()
    return text[:_MESSAGE_LIMIT] + ("..." if len(text) > _MESSAGE_LIMIT else "") or response.reason_phrase


def _check_status(response: httpx.Response, *, url: str, operation: Operation) -> None:
    """Raise the error of a non-2xx answer (see the module's table)."""
    status = response.status_code
    if status < 300:
        return
    message = _message(response)
    what = "query" if operation == "query" else "update" if operation == "update" else "graph store request"
    if status in (401, 403):
        raise StoreError(
            f"the SPARQL engine at {url} refused the credentials (HTTP {status}): check --sparql-user and "
            f"--sparql-password (MLKG_SPARQL_USER, MLKG_SPARQL_PASSWORD)"
        )
    if status == 404:
        if operation == "gsp-read":
            raise _NotFound(message)
        raise StoreError(f"no SPARQL service at {url} (HTTP 404): check the endpoint URL")
    if status == 504 or (status == 503 and "timeout" in message.lower()):
        raise QueryTimeoutError(f"the SPARQL engine gave up on the {what} (HTTP {status}): {message}")
    if status == 500 and operation in ("query", "update"):
        raise QueryError(f"the SPARQL engine could not run the {what} (HTTP 500): {message}")
    if 400 <= status < 500 and status not in (408, 429):
        raise QueryError(f"the SPARQL engine refused the {what} (HTTP {status}): {message}")
    raise StoreError(f"the SPARQL engine at {url} failed (HTTP {status}): {message}")
