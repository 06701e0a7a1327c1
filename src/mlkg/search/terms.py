"""A user's search text as an SQLite FTS5 query (docs/architecture.md, section 9), built from its words.

The text is never handed to FTS5 as query syntax: quotes, ``NEAR(``, ``AND``, ``*`` or column filters in it
are only characters. Its words are runs of letters and digits, as FTS5's ``unicode61`` tokenizer splits
them (``customer_churn`` is two words of the indexed ``customer_churn_predictor``); each whitespace-separated
piece becomes a quoted prefix term or phrase, all of which must match: ``chur`` finds ``churn``,
``customer_ch`` finds ``customer_churn_predictor`` but not ``churned_customer``. A one-letter word is a word,
not a prefix (``c`` would match most of a catalog and tell nothing).
"""

from __future__ import annotations

import re
from typing import Final

from mlkg.errors import InputError

__all__ = ["MAX_QUERY_CHARS", "MAX_WORDS", "match_expression", "words"]

#: The longest search text accepted.
MAX_QUERY_CHARS: Final = 500
#: At most this many words of a search text are used (the rest narrows nothing a person types).
MAX_WORDS: Final = 16

_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    """The words of ``text``, lower-cased, without repeats, in order.

    :raises InputError: if ``text`` is longer than :data:`MAX_QUERY_CHARS` characters.
    """
    if len(text) > MAX_QUERY_CHARS:
        raise InputError(
            f"search text is {len(text)} characters long; at most {MAX_QUERY_CHARS} are accepted"
        )
    found: list[str] = []
    for word in _WORD.findall(text):
        lowered = word.lower()
        if lowered not in found:
            found.append(lowered)
    return found[:MAX_WORDS]


def match_expression(text: str) -> str | None:
    """The FTS5 ``MATCH`` expression for ``text``, all of whose parts are required; None when it holds no
    word. Each whitespace-separated piece is one quoted term, a prefix (``"chur"*``) unless a one-letter
    word; a piece of several words (``customer_id``, ``mlflow_prod.churn``) is a phrase, its last word a
    prefix (``"customer id"*``): the words of one identifier, in order. A word holds only letters and digits,
    so quoting it is exact.

    :raises InputError: as :func:`words`.
    """
    if len(text) > MAX_QUERY_CHARS:
        words(text)  # raises
    terms: list[str] = []
    used = 0
    for piece in text.split():
        found = [w.lower() for w in _WORD.findall(piece)][: MAX_WORDS - used]
        if not found:
            continue
        used += len(found)
        phrase = " ".join(found)
        term = f'"{phrase}"' if len(found) == 1 and len(found[0]) == 1 else f'"{phrase}"*'
        if term not in terms:
            terms.append(term)
        if used >= MAX_WORDS:
            break
    return " ".join(terms) or None
