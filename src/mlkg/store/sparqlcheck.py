"""What a SPARQL text may do, decided on its parsed form: no ``SERVICE``, no ``LOAD``, and which graphs an
update writes.

pyoxigraph evaluates ``SERVICE <url>`` (SPARQL 1.1 Federated Query) and ``LOAD <url>`` (SPARQL 1.1 Update,
section 3.1.4) by fetching the URL, and it has no switch to turn that off. mlkg never contacts other hosts, so
both are refused before the engine sees the text. The decision is made on the tree built by a complete SPARQL
1.1 grammar (rdflib's parser, which implements every production of SPARQL 1.1 Query section 19.8, escapes
in prefixed names, ``BASE`` and codepoint escapes included), never on words picked out of the text: a
hand-written lexer got out of step with the engine on a legal ``\\'`` escape and let a ``SERVICE`` through
(issue 11). A text the grammar cannot parse is refused, not passed on: the check fails closed.

Parsing costs 5-100 ms, so a query is parsed only when it could hold the keyword at all: when its text,
case-folded, contains ``service``, or when it holds a backslash (the only way to write a keyword without
its letters is a codepoint escape, SPARQL 1.1 Query section 19.2). Every update is parsed, since the graphs
it writes are needed too. Verdicts are remembered for recent texts.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from pyparsing import ParseBaseException, ParseResults
from rdflib import URIRef, Variable
from rdflib.plugins.sparql.algebra import translateUpdate
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

from mlkg.errors import QueryError

__all__ = ["UpdateGraphs", "check_query", "check_update"]

#: rdflib's grammar objects are shared pyparsing elements: one parse at a time.
_PARSER_LOCK: Final = threading.Lock()

_SERVICE_REFUSED: Final = "SERVICE (federated query) is disabled: mlkg never contacts other endpoints"
_LOAD_REFUSED: Final = "LOAD of remote documents is disabled: mlkg never fetches URLs"


@dataclass(frozen=True)
class UpdateGraphs:
    """The graphs a parsed SPARQL Update may change.

    ``named``: graphs named by IRI that an operation may write or empty: ``INSERT DATA`` / ``DELETE DATA`` /
    ``DELETE WHERE`` quads, templates' ``GRAPH <iri>``, ``WITH <iri>``, the graphs of ``CLEAR`` / ``DROP`` /
    ``CREATE``, and both graphs of ``ADD`` / ``COPY`` / ``MOVE`` (``MOVE`` empties its source). IRIs are
    resolved against ``BASE`` and the prefixes, as the engine resolves them.
    ``unnamed``: True if the update may write graphs it does not name: ``GRAPH ?var`` in a template or a
    ``DELETE WHERE``, or ``CLEAR`` / ``DROP`` of ``ALL`` or ``NAMED`` (SPARQL 1.1 Update 3.1.3, 3.2.2).
    """

    named: frozenset[URIRef]
    unnamed: bool


def _may_hold_service(text: str) -> bool:
    """False only if no SPARQL parser can read a ``SERVICE`` keyword in ``text``: keywords are matched
    without regard to case and can only be spelled by their letters or by codepoint escapes."""
    return "\\" in text or "service" in text.casefold()


def check_query(text: str) -> None:
    """Refuse a query that uses ``SERVICE`` anywhere (sub-queries, ``EXISTS``, ``OPTIONAL`` included).

    :raises QueryError: if the query holds ``SERVICE``, or may hold it and cannot be parsed (the engine is
        never given a text mlkg could not check), or is nested too deeply to parse.
    """
    if not _may_hold_service(text):
        return
    verdict = _query_verdict(text)
    if verdict is not None:
        raise QueryError(verdict)


@functools.lru_cache(maxsize=1024)
def _query_verdict(text: str) -> str | None:
    try:
        with _PARSER_LOCK:
            tree = parseQuery(text)
    except ParseBaseException as exc:
        return f"malformed SPARQL query: {exc}"
    except RecursionError:
        return "the SPARQL query is nested too deeply to be checked"
    return _SERVICE_REFUSED if _holds(tree, "ServiceGraphPattern") else None


def check_update(text: str, *, base: str | None = None) -> UpdateGraphs:
    """Parse a SPARQL Update, refuse ``LOAD`` and ``SERVICE``, and say which graphs it may write.

    ``base`` is the base IRI relative IRIs are resolved against when the text has no ``BASE``.

    :raises QueryError: if the update is malformed, nested too deeply, or uses ``LOAD`` or ``SERVICE``.
    """
    verdict = _update_verdict(text, base)
    if isinstance(verdict, str):
        raise QueryError(verdict)
    return verdict


@functools.lru_cache(maxsize=256)
def _update_verdict(text: str, base: str | None) -> UpdateGraphs | str:
    try:
        with _PARSER_LOCK:
            operations = translateUpdate(parseUpdate(text), base=base).algebra
    except ParseBaseException as exc:
        return f"malformed SPARQL update: {exc}"
    except RecursionError:
        return "the SPARQL update is nested too deeply to be checked"
    except Exception as exc:  # rdflib's translation raises plain exceptions on texts the grammar accepted
        return f"malformed SPARQL update: {exc}"
    named: set[URIRef] = set()
    unnamed = False
    for operation in operations:
        if operation.name == "Load":
            return _LOAD_REFUSED
        if _holds(operation, "ServiceGraphPattern"):
            return _SERVICE_REFUSED
        for target in _targets(operation):
            if isinstance(target, URIRef):
                named.add(target)
            elif target in ("ALL", "NAMED") or isinstance(target, Variable):
                unnamed = True
    return UpdateGraphs(named=frozenset(named), unnamed=unnamed)


def _targets(operation: CompValue) -> Iterator[object]:
    """The graph names (IRIs, variables, ``'ALL'``, ``'NAMED'``, ``'DEFAULT'``) an operation may write."""
    field = functools.partial(dict.get, operation)  # CompValue.get resolves values and raises on a miss
    name = operation.name
    if name in ("Clear", "Drop", "Create"):
        yield field("graphiri")
    elif name in ("Add", "Copy", "Move"):
        yield from field("graph") or ()
    elif name in ("InsertData", "DeleteData", "DeleteWhere"):
        yield from (field("quads") or {}).keys()
    elif name == "Modify":
        if field("withClause") is not None:
            yield field("withClause")
        for clause in ("delete", "insert"):
            template = field(clause)
            if template is not None:
                yield from (dict.get(template, "quads") or {}).keys()


def _holds(tree: Any, name: str) -> bool:
    """True if a node named ``name`` is anywhere in an rdflib parse or algebra tree (walked without
    recursion, so a deeply nested text cannot exhaust the stack here)."""
    stack: list[Any] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, CompValue):
            if node.name == name:
                return True
            stack.extend(node.values())
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, ParseResults | list | tuple | set | frozenset):
            stack.extend(node)
    return False
