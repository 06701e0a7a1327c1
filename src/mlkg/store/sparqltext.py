"""A small SPARQL lexer for conveniences on query texts mlkg runs: is there a ``FROM`` clause, which query
form, where a ``VALUES`` block binding parameters goes (the remote backend), a hint that a text is an update.

It skips comments, strings, IRIs, variables and language tags (SPARQL 1.1 Query, section 19.8), so the words
left are keywords, prefixed names, blank node labels and numbers. It decides nothing about safety: what a
text may do (``SERVICE``, ``LOAD``, the graphs an update writes) is decided on its parsed form by
:mod:`mlkg.store.sparqlcheck`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from rdflib import URIRef
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery

from mlkg.errors import QueryError

__all__ = [
    "NOT_PROJECTED",
    "QUERY_FORMS",
    "add_using",
    "bind_values",
    "dataset_clause",
    "has_dataset_clause",
    "has_relative_iri",
    "looks_like_update",
    "query_form",
]

_SPARQL_TOKEN: Final = re.compile(
    r"(?P<skip>#[^\n\r]*"
    r'|"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n\r]|\\.)*"'
    r"|'(?:[^'\\\n\r]|\\.)*'"
    r"|<[^<>\"{}|^`\\\x00-\x20]*>"
    r"|[?$]\w+"
    r"|@[A-Za-z]+(?:-[A-Za-z0-9]+)*)"
    r"|(?P<word>[\w:.\-%\\]+)",
    re.DOTALL,
)
NOT_PROJECTED: Final = re.compile(r"does not contains? variable \?(\w+) in its SELECT projection")
_UPDATE_KEYWORDS: Final = frozenset(
    {"insert", "delete", "load", "clear", "create", "drop", "copy", "move", "add", "with"}
)


def _words(text: str) -> Iterator[str]:
    """Lower-cased keyword candidates of a SPARQL text; a word is split at dots so ``?o.SERVICE`` counts."""
    for match in _SPARQL_TOKEN.finditer(text):
        word = match.group("word")
        if word:
            yield from (part for part in word.lower().split(".") if part)


def has_dataset_clause(text: str) -> bool:
    """True if the query has ``FROM`` / ``FROM NAMED`` (SPARQL 1.1 Query, section 13.2)."""
    return "from" in _words(text)


_ABSOLUTE_IRI: Final = re.compile(r"<[A-Za-z][A-Za-z0-9+.\-]*:")


def has_relative_iri(text: str) -> bool:
    """True if the text writes an IRI without a scheme (``<s>``, ``<>``, ``BASE <dir/>``), which only a base
    IRI resolves (SPARQL 1.1 Query, section 4.1.1.1)."""
    for match in _SPARQL_TOKEN.finditer(text):
        token = match.group("skip")
        if token and token[0] == "<" and not _ABSOLUTE_IRI.match(token):
            return True
    return False


def looks_like_update(text: str) -> bool:
    for word in _words(text):
        if word in ("prefix", "base") or word.endswith(":"):
            continue
        return word in _UPDATE_KEYWORDS
    return False


# -- binding parameters as a VALUES block (the remote backend) -------------------------------------------

_TOKEN_OR_PUNCT: Final = re.compile(_SPARQL_TOKEN.pattern + r"|(?P<punct>[{}()*])", re.DOTALL)
_VARNAME: Final = re.compile(r"[A-Za-z0-9_\u00B7\u00C0-\uFFFF]+")
QUERY_FORMS: Final = frozenset({"select", "construct", "describe", "ask"})


def _significant(text: str) -> Iterator[tuple[str, int, int]]:
    """``(kind, start, end)`` of the words, variables and braces/parentheses of a SPARQL text: comments,
    strings, IRIs and language tags are skipped. ``kind`` is the lower-cased word, ``?var`` or the
    punctuation character."""
    for match in _TOKEN_OR_PUNCT.finditer(text):
        if match.group("word"):
            yield match.group("word").lower(), match.start(), match.end()
        elif match.group("punct"):
            yield match.group("punct"), match.start(), match.end()
        elif match.group("skip")[0] in "?$":
            yield "?" + match.group("skip")[1:], match.start(), match.end()


def query_form(text: str) -> str | None:
    """The query form keyword (``select``, ``construct``, ``describe``, ``ask``) of a query, the first
    keyword after the prologue (SPARQL 1.1 Query, section 19.8, rule ``Query``), or None."""
    for word, _, _ in _significant(text):
        if word in ("prefix", "base") or word.endswith(":"):
            continue
        return word if word in QUERY_FORMS else None
    return None


def _projection(tokens: list[tuple[str, int, int]], start: int, *, plain: bool = False) -> set[str] | None:
    """The variables a SELECT clause projects (from the token after SELECT), or None for ``SELECT *``;
    ``plain``: only those projected as they are, not assigned by ``(expression AS ?v)``."""
    projected: set[str] = set()
    depth = 0
    previous = ""
    for word, _, _ in tokens[start:]:
        if depth == 0 and word == "*":
            return None
        if depth == 0 and word in ("where", "from", "{"):
            break
        if word == "(":
            depth += 1
        elif word == ")":
            depth -= 1
        elif word.startswith("?") and (depth == 0 or (previous == "as" and not plain)):
            projected.add(word[1:])
        previous = word
    return projected


def bind_values(text: str, values: dict[str, str]) -> str:
    """The query with a ``VALUES`` block (SPARQL 1.1 Query, section 10.2.1, inline data) binding each
    variable of ``values`` to a term, placed first in the query's WHERE group so the variables are bound
    before the rest of the pattern is evaluated, as the embedded store's SEP-0007 substitution binds them
    (last in the group when the group assigns one of them with ``BIND(... AS ?v)``).

    ``values`` maps variable names to terms already written in N-Triples syntax by the RDF library (so
    escaping is the library's, never user text pasted raw). A WHERE group that is a sub-select is wrapped:
    ``{ VALUES ... { SELECT ... } }``.

    :raises QueryError: if a name is not a SPARQL variable name, a SELECT query does not project the
        variable (the embedded store refuses it too), the query is a short-form ``CONSTRUCT WHERE`` (its
        group may hold only triples), or no WHERE group is found.
    """
    for name in values:
        if not _VARNAME.fullmatch(name):
            raise QueryError(f"cannot bind {name!r}: not a SPARQL variable name")
    tokens = list(_significant(text))
    form_at = next((i for i, (w, _, _) in enumerate(tokens) if w in QUERY_FORMS), None)
    if form_at is None:
        raise QueryError("cannot bind parameters: no SELECT, CONSTRUCT, DESCRIBE or ASK found")
    form = tokens[form_at][0]
    index = form_at + 1
    if form == "select":
        projected = _projection(tokens, index)
        missing = sorted(set(values) - projected) if projected is not None else []
        if missing:
            raise QueryError(
                f"cannot bind ?{missing[0]}: the store binds only variables of the SELECT projection "
                f"(SEP-0007); add ?{missing[0]} to the SELECT clause"
            )
    if form == "construct":
        if index < len(tokens) and tokens[index][0] != "{":
            raise QueryError(
                "parameters cannot be bound in the short form CONSTRUCT WHERE { ... }: write "
                "CONSTRUCT { template } WHERE { pattern }"
            )
        index = _skip_group(tokens, index)
    where = _group_at(tokens, index)
    if where is None:
        raise QueryError("cannot bind parameters: the query has no WHERE group")
    return _insert(text, tokens, where, values)


def _group_at(tokens: list[tuple[str, int, int]], index: int) -> int | None:
    """The index of the first ``{`` from ``index`` outside parentheses (a WHERE group), or None."""
    depth = 0
    for i in range(index, len(tokens)):
        word = tokens[i][0]
        if word == "(":
            depth += 1
        elif word == ")":
            depth -= 1
        elif word == "{" and depth == 0:
            return i
    return None


def _skip_group(tokens: list[tuple[str, int, int]], index: int) -> int:
    """The index after the brace group opening at ``tokens[index]``."""
    depth = 0
    for i in range(index, len(tokens)):
        if tokens[i][0] == "{":
            depth += 1
        elif tokens[i][0] == "}":
            depth -= 1
            if depth == 0:
                return i + 1
    raise QueryError("malformed SPARQL query: unbalanced braces")


def _insert(text: str, tokens: list[tuple[str, int, int]], at: int, values: dict[str, str]) -> str:
    """Put the VALUES block into the group opening at ``tokens[at]``.

    A group that only wraps another group, or a sub-select projecting every bound variable as it is, gets
    the block inside: the variables are bound before the sub-select is evaluated, LIMIT and ORDER BY
    included, as the embedded store's substitution binds them (and the engine does not compute the
    sub-select for every value only to join one afterwards).
    """
    names = " ".join(f"?{name}" for name in values)
    block = f" VALUES ({names}) {{ ({' '.join(values.values())}) }} "
    opening = tokens[at][2]
    end = _skip_group(tokens, at) - 1
    closing = tokens[end][1]
    first = tokens[at + 1][0] if at + 1 < end else ""
    if first == "{" and _skip_group(tokens, at + 1) == end:
        return _insert(text, tokens, at + 1, values)
    if first == "select":
        plain = _projection(tokens, at + 2, plain=True)
        inner = _group_at(tokens, at + 2)
        if inner is not None and (plain is None or set(values) <= plain):
            return _insert(text, tokens, inner, values)
        return f"{text[:opening]}{block}{{ {text[opening:closing]} }}{text[closing:]}"
    assigned = {tokens[i + 1][0][1:] for i in range(at, end) if tokens[i][0] == "as" and i + 1 < end}
    if assigned & set(values):
        # ``BIND(... AS ?v)`` may not assign a variable already in scope (section 18.2.1): the block goes
        # last in the group, where its join keeps only the solutions whose ?v has the bound value.
        return f"{text[:closing]}{block}{text[closing:]}"
    return f"{text[:opening]}{block}{text[opening:]}"


def add_using(text: str, *, default: list[URIRef], named: list[URIRef]) -> tuple[str, int]:
    """The update with ``USING <g>`` / ``USING NAMED <g>`` clauses (SPARQL 1.1 Update, section 3.1.3) put
    before the WHERE of each of its operations that has one, and how many it found.

    Each ``WHERE`` outside braces is such an operation's: ``DELETE/INSERT ... WHERE`` gets the clauses
    before it; the short form ``DELETE WHERE { P }`` (no clause allowed, section 3.1.3.3) is written as the
    ``DELETE { P } USING ... WHERE { P }`` it abbreviates. IRIs are written by rdflib (``n3()``). The
    caller compares the count with the operations of the parsed update
    (:attr:`mlkg.store.sparqlcheck.UpdateGraphs.patterns`) and decides nothing from this text alone.

    :raises QueryError: if a ``DELETE WHERE`` group is not closed.
    """
    clauses = " ".join([f"USING {g.n3()}" for g in default] + [f"USING NAMED {g.n3()}" for g in named])
    tokens = list(_significant(text))
    edits: list[tuple[int, int, str]] = []
    depth = 0
    for index, (word, start, _) in enumerate(tokens):
        if word == "{":
            depth += 1
        elif word == "}":
            depth -= 1
        elif word == "where" and depth == 0:
            if index > 0 and tokens[index - 1][0] == "delete" and index + 1 < len(tokens):
                last = _skip_group(tokens, index + 1) - 1
                pattern = text[tokens[index + 1][1] : tokens[last][2]]
                edits.append((tokens[index - 1][2], tokens[last][2], f" {pattern} {clauses} WHERE {pattern}"))
            else:
                edits.append((start, start, f"{clauses} "))
    for start, end, replacement in reversed(edits):
        text = text[:start] + replacement + text[end:]
    return text, len(edits)


def dataset_clause(text: str) -> tuple[list[URIRef], list[URIRef]] | None:
    """The graphs of a query's ``FROM`` and ``FROM NAMED`` clauses (SPARQL 1.1 Query, section 13.2), IRIs
    resolved against the prologue, parsed by rdflib; None if the query has none or rdflib cannot parse it.

    The remote backend sends them as the protocol's ``default-graph-uri`` / ``named-graph-uri``, which
    describe the same dataset (SPARQL 1.1 Protocol, section 2.1.4), because an engine set to query the
    union of its graphs may let that setting win over ``FROM`` (Oxigraph server 0.5 does).
    """
    if not has_dataset_clause(text):
        return None
    try:
        clauses = translateQuery(parseQuery(text)).algebra.get("datasetClause") or []
    except Exception:  # rdflib raises many kinds of error on texts it cannot parse; the engine will say
        return None
    default = [c["default"] for c in clauses if "default" in c and isinstance(c["default"], URIRef)]
    named = [c["named"] for c in clauses if "named" in c and isinstance(c["named"], URIRef)]
    return (default, named) if default or named else None
