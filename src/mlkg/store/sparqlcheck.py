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
it writes are needed too (about 0.3 ms per triple of ``INSERT DATA``). Verdicts are remembered for recent
texts up to 64 KiB.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from pyparsing import ParseBaseException, ParseResults
from rdflib import URIRef, Variable
from rdflib.plugins.sparql.algebra import translatePrologue
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.sparql import Prologue

from mlkg.errors import QueryError

__all__ = ["UpdateGraphs", "check_query", "check_update"]

#: rdflib's grammar objects are shared pyparsing elements: one parse at a time.
_PARSER_LOCK: Final = threading.Lock()

_SERVICE_REFUSED: Final = "SERVICE (federated query) is disabled: mlkg never contacts other endpoints"
#: Verdicts are remembered only for texts up to this many characters, so the cache stays small.
_CACHED_TEXT: Final = 64 * 1024
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
    ``dataset``: True if an operation names its own dataset with ``USING``, ``USING NAMED`` or ``WITH``
    (SPARQL 1.1 Update 3.1.3; the Protocol's ``using-graph-uri`` may not be given then, section 2.2.3).
    ``patterns``: how many operations have a WHERE pattern (``DELETE/INSERT ... WHERE`` and ``DELETE WHERE``),
    in the order of the text.
    """

    named: frozenset[URIRef]
    unnamed: bool
    dataset: bool = False
    patterns: int = 0
    #: True if an operation empties or drops graphs: ``CLEAR``, ``DROP``, ``MOVE`` (empties its source) or
    #: ``COPY`` (empties its target first). Access control needs the delete permission for it.
    drops: bool = False
    #: Every IRI the update names (data, templates, patterns), resolved: access control decides on them
    #: whether an update touches a stage, an alias or a deployment (docs/architecture.md, section 8).
    terms: frozenset[URIRef] = frozenset()


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


def _query_verdict(text: str) -> str | None:
    return _small_query_verdict(text) if len(text) <= _CACHED_TEXT else _check_query_text(text)


@functools.lru_cache(maxsize=1024)
def _small_query_verdict(text: str) -> str | None:
    return _check_query_text(text)


def _check_query_text(text: str) -> str | None:
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


def _update_verdict(text: str, base: str | None) -> UpdateGraphs | str:
    """The graphs an update writes, or why it is refused. Walks rdflib's parse tree, resolving each graph
    name with the prologue in force at its operation (PREFIX and BASE carry over to later operations, SPARQL
    1.1 Update section 3), as rdflib's own ``translateUpdate`` does; that translation is not used because it
    takes time quadratic in the data of an ``INSERT DATA`` (1.8 s for 1,000 triples, 0.3 s to parse them)."""
    if len(text) <= _CACHED_TEXT:
        return _small_update_verdict(text, base)
    return _check_update_text(text, base)


@functools.lru_cache(maxsize=256)
def _small_update_verdict(text: str, base: str | None) -> UpdateGraphs | str:
    return _check_update_text(text, base)


def _check_update_text(text: str, base: str | None) -> UpdateGraphs | str:
    try:
        with _PARSER_LOCK:
            tree = parseUpdate(text)
    except ParseBaseException as exc:
        return f"malformed SPARQL update: {exc}"
    except RecursionError:
        return "the SPARQL update is nested too deeply to be checked"
    named: set[URIRef] = set()
    unnamed = False
    dataset = False
    patterns = 0
    drops = False
    terms: set[URIRef] = set()
    prologue: Prologue | None = None
    for declarations, operation in zip(tree.get("prologue") or [], tree.get("request") or [], strict=True):
        try:
            prologue = translatePrologue(declarations, base, None, prologue)
        except Exception as exc:  # an unknown prefix or a bad BASE: rdflib raises plain exceptions
            return f"malformed SPARQL update: {exc}"
        if operation.name == "Load":
            return _LOAD_REFUSED
        if _holds(operation, "ServiceGraphPattern"):
            return _SERVICE_REFUSED
        drops = drops or operation.name in ("Clear", "Drop", "Move", "Copy")
        try:
            terms.update(_iris(operation, prologue))
        except Exception as exc:  # an undeclared prefix
            return f"malformed SPARQL update: {exc}"
        if operation.name in ("Modify", "DeleteWhere"):
            patterns += 1
            dataset = dataset or bool(dict.get(operation, "using") or dict.get(operation, "withClause"))
        for target in _targets(operation):
            if isinstance(target, Variable) or target in ("ALL", "NAMED"):
                unnamed = True
            elif isinstance(target, CompValue | str) and target != "DEFAULT":
                try:
                    resolved = prologue.absolutize(target)
                except Exception as exc:  # an undeclared prefix
                    return f"malformed SPARQL update: {exc}"
                if isinstance(resolved, URIRef):
                    named.add(resolved)
    return UpdateGraphs(
        named=frozenset(named),
        unnamed=unnamed,
        dataset=dataset,
        patterns=patterns,
        drops=drops,
        terms=frozenset(terms),
    )


def _iris(operation: CompValue, prologue: Prologue) -> Iterator[URIRef]:
    """Every IRI in an operation of rdflib's parse tree, resolved with ``prologue`` (walked without
    recursion)."""
    stack: list[Any] = [operation]
    while stack:
        node = stack.pop()
        if isinstance(node, CompValue):
            if node.name == "pname":
                resolved = prologue.absolutize(node)
                if isinstance(resolved, URIRef):
                    yield resolved
                continue
            stack.extend(node.values())
        elif isinstance(node, URIRef):
            resolved = prologue.absolutize(node)
            yield resolved if isinstance(resolved, URIRef) else node
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, ParseResults | list | tuple | set | frozenset):
            stack.extend(node)


def _targets(operation: CompValue) -> Iterator[object]:
    """The graph names (IRIs, prefixed names, variables, ``'ALL'``, ``'NAMED'``, ``'DEFAULT'``) an operation
    of rdflib's parse tree may write."""
    field = functools.partial(dict.get, operation)  # CompValue.get resolves values and raises on a miss
    name = operation.name
    if name in ("Clear", "Drop", "Create"):
        yield field("graphiri")
    elif name in ("Add", "Copy", "Move"):
        yield from field("graph") or ()
    elif name in ("InsertData", "DeleteData", "DeleteWhere"):
        yield from _quad_graphs(field("quads"))
    elif name == "Modify":
        yield field("withClause")
        for clause in ("delete", "insert"):
            template = field(clause)
            if template is not None:
                yield from _quad_graphs(dict.get(template, "quads"))


def _quad_graphs(quads: object) -> Iterator[object]:
    """The ``GRAPH`` names of a ``Quads`` node (its plain triples go to the default graph)."""
    if isinstance(quads, CompValue):
        for block in dict.get(quads, "quadsNotTriples") or ():
            yield dict.get(block, "term")


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
