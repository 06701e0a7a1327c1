"""A conservative SPARQL lexer for the checks the embedded store makes before pyoxigraph sees a text.

It skips comments, strings, IRIs, variables and language tags (SPARQL 1.1 Query, section 19.8), so the words
left are keywords, prefixed names, blank node labels and numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from mlkg.errors import QueryError

__all__ = ["NOT_PROJECTED", "has_dataset_clause", "looks_like_update", "refuse_remote"]

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


def refuse_remote(text: str, *, update: bool) -> None:
    """Refuse ``SERVICE`` (SPARQL 1.1 Federated Query) and, in updates, ``LOAD`` (SPARQL 1.1 Update 3.1.4).

    pyoxigraph would fetch the URL. The check is conservative: a prefixed name whose local part contains
    ``.service`` is refused too.
    """
    for word in _words(text):
        if word == "service":
            raise QueryError("SERVICE (federated query) is disabled: mlkg never contacts other endpoints")
        if update and word == "load":
            raise QueryError("LOAD of remote documents is disabled")


def has_dataset_clause(text: str) -> bool:
    """True if the query has ``FROM`` / ``FROM NAMED`` (SPARQL 1.1 Query, section 13.2)."""
    return "from" in _words(text)


def looks_like_update(text: str) -> bool:
    for word in _words(text):
        if word in ("prefix", "base") or word.endswith(":"):
            continue
        return word in _UPDATE_KEYWORDS
    return False
