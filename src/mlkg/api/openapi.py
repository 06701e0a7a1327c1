"""The OpenAPI description of the routes FastAPI cannot describe from their signatures.

The SPARQL, Graph Store and upload routes read their parameters and bodies themselves (the protocols allow
repeated parameters, several body media types and content negotiation), so FastAPI's generated description
listed no parameters, no bodies and one status code for them, and API fuzzers never reached their logic
(issue 11, point 9). :func:`describe` completes the generated document in one place: parameters, request
bodies by media type, every status code a route answers with its media types, and the error body.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any, Final

from mlkg.access.principals import PRINCIPAL_NAME_PATTERN
from mlkg.access.roles import Role
from mlkg.api.representations import GRAPH_TYPES, RESULT_TYPES
from mlkg.api.routers.sparql import MIN_TIMEOUT
from mlkg.exports.openmetadata import COLLECTIONS

__all__ = ["describe"]

_ERROR_REF: Final = {"$ref": "#/components/schemas/Error"}
ERROR_SCHEMA: Final = {
    "title": "Error",
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "description": "The kind of error (query, input, forbidden, ...)."},
        "message": {"type": "string", "description": "What is wrong, in words."},
        "where": {"type": ["string", "null"], "description": "The file, JSON pointer, parameter or header."},
        "results": {"type": "array", "items": {"type": "object"}, "description": "SHACL violations (422)."},
    },
}

_REASONS: Final = {
    400: "Malformed request: a bad query, update, document, parameter or Host header",
    401: "No credentials (Bearer or Basic) where the route needs a permission, or credentials matching no "
    "principal",
    403: "The principal's role lacks the permission (decided on the parsed request), a write from a browser "
    "page of another origin, or a write of the audit or principals graph",
    404: "No such entity, graph or named query",
    405: "The path names a version of an entity, which is never changed",
    406: "No representation matches the Accept header",
    409: "A JSON Patch test failed, the document has no JSON form to patch, or the principal exists",
    410: "The entity was deleted (its history remains: restore a version)",
    412: "The entity changed since the ETag of If-Match was read",
    413: "The body is over MLKG_MAX_DOCUMENT_BYTES, or holds over MLKG_MAX_REQUEST_DOCUMENTS documents",
    415: "Unsupported Content-Type",
    422: "The document violates the SHACL shapes",
    503: "The request did not finish within its time limit, or was refused at once (busy; see Retry-After)",
}

_RDF_TYPES: Final = [t for t in GRAPH_TYPES if t not in ("application/json", "text/plain")]
#: What the Graph Store takes in a write: RDF syntaxes (JSON-LD documents go to /entities).
_GSP_BODY: Final = [t for t in _RDF_TYPES if t != "application/ld+json"]
_RESULTS: Final = [t for t in RESULT_TYPES if t not in ("application/json", "application/xml", "text/xml")]
_TEXT: Final = {"type": "string"}
_SPARQL: Final = {"type": "string", "minLength": 1, "description": "SPARQL 1.1 text."}
_IRI: Final = {"type": "string", "format": "iri", "description": "An absolute IRI."}
_IRIS: Final = {"type": "array", "items": _IRI}


def _content(types: Iterable[str]) -> dict[str, Any]:
    """Each media type with its body's schema: any JSON value for JSON types, else text."""
    return {t: {"schema": {} if t.endswith(("json", "+json")) else _TEXT} for t in types}


def _errors(*codes: int) -> dict[str, Any]:
    return {
        str(code): {"description": _REASONS[code], "content": {"application/json": {"schema": _ERROR_REF}}}
        for code in codes
    }


def _query_param(
    name: str, schema: dict[str, Any], description: str, *, required: bool = False
) -> dict[str, Any]:
    param: dict[str, Any] = {"name": name, "in": "query", "required": required, "schema": schema}
    param["description"] = description
    if schema.get("type") == "array":
        param["style"], param["explode"] = "form", True
    return param


_DATASET_PARAMS: Final = [
    _query_param(
        "default-graph-uri", _IRIS, "Graphs merged into the default graph (SPARQL 1.1 Protocol 2.1.4)."
    ),
    _query_param("named-graph-uri", _IRIS, "Graphs available to GRAPH (SPARQL 1.1 Protocol 2.1.4)."),
]
_GRAPH_KEY: Final = {
    "name": "key",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "The rest of the graph's URL: the graph IRI is this URL (Graph Store Protocol 4.1).",
}
_USING_PARAMS: Final = [
    _query_param(
        "using-graph-uri",
        _IRIS,
        "Graphs merged into the default graph of the WHERE (SPARQL 1.1 Protocol 2.2.3).",
    ),
    _query_param(
        "using-named-graph-uri", _IRIS, "Graphs available to GRAPH in the WHERE (SPARQL 1.1 Protocol 2.2.3)."
    ),
]
_TIMEOUT: Final = _query_param(
    "timeout",
    {"type": "number", "minimum": MIN_TIMEOUT},
    "Seconds the query may run (at most the server's limit).",
)
_QUERY_ANSWERS: Final = {
    "200": {
        "description": "SELECT/ASK results, or the CONSTRUCT/DESCRIBE graph, by Accept",
        "content": _content([*_RESULTS, *_RDF_TYPES]),
    },
    **_errors(400, 406, 503),
}
_GRAPH_TARGET: Final = [
    _query_param("graph", _IRI, "The named graph (Graph Store Protocol 4.2)."),
    _query_param(
        "default", {"type": "string", "enum": [""]}, "The default graph (Graph Store Protocol 4.1), no value."
    ),
]
_WRITE_ERRORS: Final = (400, 401, 403, 413, 415, 503)
_ROLE: Final = {"type": "string", "enum": [role.value for role in Role]}
_NEW_PRINCIPAL: Final = {
    "type": "object",
    "required": ["name", "role"],
    "properties": {"name": {"type": "string", "pattern": PRINCIPAL_NAME_PATTERN}, "role": _ROLE},
}
_NEW_ROLE: Final = {"type": "object", "required": ["role"], "properties": {"role": _ROLE}}
_JSON_OBJECT: Final = {"application/json": {"schema": {"type": "object"}}}

#: What FastAPI's generated description lacks, by path and method.
_OPERATIONS: Final[dict[tuple[str, str], dict[str, Any]]] = {
    ("/sparql", "get"): {
        "parameters": [
            _query_param("query", _SPARQL, "The SPARQL 1.1 query; without it, the service description."),
            *_DATASET_PARAMS,
            _TIMEOUT,
        ],
        "responses": _QUERY_ANSWERS,
    },
    ("/sparql", "post"): {
        "parameters": [*_DATASET_PARAMS, _TIMEOUT],
        "requestBody": {
            "required": True,
            "content": {
                "application/sparql-query": {"schema": _SPARQL},
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "required": ["query"],
                        "properties": {
                            "query": _SPARQL,
                            "default-graph-uri": _IRIS,
                            "named-graph-uri": _IRIS,
                        },
                    }
                },
            },
        },
        "responses": {**_QUERY_ANSWERS, **_errors(413, 415)},
    },
    ("/update", "post"): {
        "parameters": _USING_PARAMS,
        "requestBody": {
            "required": True,
            "content": {
                "application/sparql-update": {"schema": _SPARQL},
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "required": ["update"],
                        "properties": {
                            "update": _SPARQL,
                            "using-graph-uri": _IRIS,
                            "using-named-graph-uri": _IRIS,
                        },
                    }
                },
            },
        },
        "responses": {
            "204": {"description": "Done; the inferred graph is up to date"},
            **_errors(*_WRITE_ERRORS),
        },
    },
    ("/store", "get"): {
        "parameters": _GRAPH_TARGET,
        "responses": {
            "200": {"description": "The graph, or the whole dataset", "content": _content(_RDF_TYPES)},
            **_errors(400, 404, 406, 503),
        },
    },
    ("/store", "head"): {
        "parameters": _GRAPH_TARGET,
        "responses": {"200": {"description": "The graph exists"}, **_errors(400, 404, 406, 503)},
    },
    ("/store", "put"): {
        "parameters": _GRAPH_TARGET,
        "requestBody": {"required": True, "content": _content(_GSP_BODY)},
        "responses": {
            "201": {"description": "The graph was created"},
            "204": {"description": "The graph was replaced"},
            **_errors(*_WRITE_ERRORS),
        },
    },
    ("/store", "post"): {
        "parameters": _GRAPH_TARGET,
        "requestBody": {"required": True, "content": _content(_GSP_BODY)},
        "responses": {
            "201": {
                "description": "The graph was created (without ?graph or ?default: a new graph, its IRI in "
                "Location, Graph Store Protocol 5.5)",
                "headers": {"Location": {"schema": _IRI}},
            },
            "204": {"description": "The triples were merged in"},
            **_errors(*_WRITE_ERRORS),
        },
    },
    # Direct graph identification (Graph Store Protocol 4.1): the graph whose IRI is the URL.
    ("/store/{key}", "get"): {
        "parameters": [_GRAPH_KEY],
        "responses": {
            "200": {"description": "The graph", "content": _content(_RDF_TYPES)},
            **_errors(400, 404, 406, 503),
        },
    },
    ("/store/{key}", "head"): {
        "parameters": [_GRAPH_KEY],
        "responses": {"200": {"description": "The graph exists"}, **_errors(400, 404, 406, 503)},
    },
    ("/store/{key}", "put"): {
        "parameters": [_GRAPH_KEY],
        "requestBody": {"required": True, "content": _content(_GSP_BODY)},
        "responses": {
            "201": {"description": "The graph was created"},
            "204": {"description": "The graph was replaced"},
            **_errors(*_WRITE_ERRORS),
        },
    },
    ("/store/{key}", "post"): {
        "parameters": [_GRAPH_KEY],
        "requestBody": {"required": True, "content": _content(_GSP_BODY)},
        "responses": {
            "201": {"description": "The graph was created"},
            "204": {"description": "The triples were merged in"},
            **_errors(*_WRITE_ERRORS),
        },
    },
    ("/store/{key}", "delete"): {
        "parameters": [_GRAPH_KEY],
        "responses": {"204": {"description": "The graph was dropped"}, **_errors(400, 401, 403, 404)},
    },
    ("/store", "delete"): {
        "parameters": _GRAPH_TARGET,
        "responses": {"204": {"description": "The graph was dropped"}, **_errors(400, 401, 403, 404)},
    },
    ("/entities", "post"): {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {}},
                "application/ld+json": {"schema": {}},
            },
        },
        "responses": {
            "201": {
                "description": "The report: the entity IRIs written",
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            **_errors(*_WRITE_ERRORS, 422),
        },
    },
    ("/api/v1/lineage", "post"): {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {}},
                "application/x-ndjson": {"schema": _TEXT},
            },
        },
        "responses": {
            "201": {
                "description": "One report entry per OpenLineage event: entities written, what was ignored",
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            **_errors(*_WRITE_ERRORS, 422),
        },
    },
    ("/aspects", "post"): {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        "responses": {
            "201": {
                "description": "One report entry per DataHub proposal: entities written, what was ignored",
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            **_errors(*_WRITE_ERRORS, 422),
        },
    },
    ("/id/{kind}/{fqn}", "get"): {
        "responses": {
            "200": {
                "description": "The entity: RDF, an HTML page, or its JSON form (what PATCH edits)",
                "content": _content([*_RDF_TYPES, "text/html", "application/json"]),
            },
            **_errors(400, 404, 406, 409, 410, 503),
        },
    },
    ("/id/{kind}/{fqn}", "patch"): {
        "responses": {
            "200": {
                "description": "The new version (null: nothing changed) and document",
                "content": _JSON_OBJECT,
            },
            **_errors(400, 401, 403, 404, 405, 409, 410, 412, 413, 415, 422, 503),
        },
    },
    ("/export", "get"): {
        "responses": {
            "200": {"description": "The whole store", "content": _content(_RDF_TYPES)},
            **_errors(400, 406, 503),
        },
    },
    ("/queries/{name}", "get"): {
        "parameters": [
            _TIMEOUT,
            _query_param(
                "asOf",
                {"type": "string", "format": "date-time"},
                "An ISO 8601 date or date-time: the answer as the catalog was then.",
            ),
        ],
        "responses": {
            "200": {"description": "The query's results, by Accept", "content": _content(_RESULTS)},
            **_errors(400, 404, 406, 503),
        },
    },
    ("/id/{kind}/{fqn}/versions", "get"): {
        "responses": {
            "200": {"description": "The versions, newest first", "content": _JSON_OBJECT},
            **_errors(404, 503),
        },
    },
    ("/id/{kind}/{fqn}/versions/{version}", "get"): {
        "responses": {
            "200": {
                "description": "The version's description (RDF), or its record and description (JSON)",
                "content": _content([*_RDF_TYPES, "application/json"]),
            },
            **_errors(400, 404, 406, 503),
        },
    },
    ("/id/{kind}/{fqn}/versions/{old}/diff/{new}", "get"): {
        "responses": {
            "200": {"description": "The change description", "content": _JSON_OBJECT},
            **_errors(400, 404, 503),
        },
    },
    ("/id/{kind}/{fqn}/versions/{version}/restore", "post"): {
        "responses": {
            "200": {"description": "The new version (null: already so)", "content": _JSON_OBJECT},
            **_errors(400, 401, 403, 404, 503),
        },
    },
    ("/id/{kind}/{fqn}", "delete"): {
        "responses": {
            "200": {"description": "Deleted (soft, or hard)", "content": _JSON_OBJECT},
            **_errors(400, 401, 403, 404, 503),
        },
    },
    ("/lineage", "get"): {"responses": _errors(400, 404, 503)},
    # the web pages' routes (docs/architecture.md, section 11): a page for a browser, JSON for other clients
    ("/", "get"): {
        "responses": {
            "200": {
                "description": "A summary of the catalog with links (JSON), or the landing page (HTML)",
                "content": {**_JSON_OBJECT, **_content(["text/html"])},
            },
            **_errors(503),
        },
    },
    ("/impact", "get"): {
        "responses": {
            "200": {
                "description": "What a change to the entity affects, by kind, and the owners to notify",
                "content": {**_JSON_OBJECT, **_content(["text/html"])},
            },
            **_errors(400, 404, 503),
        },
    },
    # an unknown type, a text past 500 characters, a limit or offset out of range: 400 (README, "Search")
    ("/search", "get"): {"responses": _errors(400, 503)},
    ("/health", "get"): {"responses": _errors(503)},
    **{
        (f"/api/v1/{collection}/name/{{fqn}}", "get"): {"responses": _errors(400, 404, 503)}
        for collection in COLLECTIONS
    },
    ("/api/v1/lineage/{entity}/name/{fqn}", "get"): {"responses": _errors(400, 404, 503)},
    ("/api/v1/lineage", "put"): {
        "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
        "responses": {
            "200": {
                "description": "The lineage edge's document was written: the ingest report",
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            **_errors(*_WRITE_ERRORS, 422),
        },
    },
    ("/principals", "get"): {"responses": _errors(401, 403, 503)},
    ("/principals", "post"): {
        "requestBody": {"required": True, "content": {"application/json": {"schema": _NEW_PRINCIPAL}}},
        "responses": {
            "201": {
                "description": "The principal, with its token (shown this once: only its hash is stored)",
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            **_errors(400, 401, 403, 409, 413, 503),
        },
    },
    ("/principals/{name}/role", "put"): {
        "requestBody": {"required": True, "content": {"application/json": {"schema": _NEW_ROLE}}},
        "responses": {
            "200": {
                "description": "The principal with its new role",
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            **_errors(400, 401, 403, 404, 413, 503),
        },
    },
    ("/principals/{name}", "delete"): {
        "responses": {
            "204": {"description": "Removed: its token no longer works"},
            **_errors(401, 403, 404, 503),
        }
    },
    ("/audit", "get"): {"responses": _errors(400, 401, 403, 503)},
}

#: Both ways to send a principal's token (docs/architecture.md, section 10); reads are open unless the server
#: runs with --auth-reads, so no scheme is required by the document as a whole.
_SECURITY_SCHEMES: Final = {
    "bearer": {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer TOKEN"},
    "basic": {
        "type": "http",
        "scheme": "basic",
        "description": "The principal's name, its token as password",
    },
}


def describe(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` (FastAPI's generated document) with the operations above completed: their parameters added
    (FastAPI's own kept), request bodies set, responses merged; FastAPI's 422 for parameter errors is dropped
    where mlkg answers 400 instead. Returns a new document."""
    document = copy.deepcopy(spec)
    paths = document.setdefault("paths", {})
    for (path, method), extra in _OPERATIONS.items():
        operation = paths.get(path, {}).get(method)
        if operation is None:
            continue
        if "parameters" in extra:
            known = {(p["name"], p["in"]) for p in operation.get("parameters", [])}
            added = [p for p in extra["parameters"] if (p["name"], p["in"]) not in known]
            operation["parameters"] = [*operation.get("parameters", []), *copy.deepcopy(added)]
        if "requestBody" in extra:
            operation["requestBody"] = copy.deepcopy(extra["requestBody"])
        responses = operation.setdefault("responses", {})
        if "422" in responses and "422" not in extra["responses"]:
            del responses["422"]
        for code, answer in extra["responses"].items():
            if code in responses and "content" in answer and code.startswith("2"):
                responses[code]["content"] = copy.deepcopy(answer["content"])
            else:
                responses[code] = copy.deepcopy(answer)
        for code in [c for c in responses if c.startswith("2") and c not in extra["responses"]]:
            if any(c.startswith("2") for c in extra["responses"]):
                del responses[code]
    components = document.setdefault("components", {})
    components.setdefault("schemas", {})["Error"] = copy.deepcopy(ERROR_SCHEMA)
    components["securitySchemes"] = copy.deepcopy(_SECURITY_SCHEMES)
    document["security"] = [{"bearer": []}, {"basic": []}, {}]
    return document
