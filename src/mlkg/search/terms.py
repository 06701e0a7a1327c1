"""A user's search text as an SQLite FTS5 query (docs/architecture.md, section 8), built from its words.

The text is never handed to FTS5 as query syntax: quotes, ``NEAR(``, ``AND``, ``*`` or column filters in it
are only characters. Its words (runs of letters and digits, as FTS5's ``unicode61`` tokenizer splits them,
so ``customer_churn`` is the two words of the indexed ``customer_churn_predictor``) each become a quoted
prefix term, all of which must match: ``chur`` finds ``churn``. A one-letter word is a word, not a prefix
(``c`` would match most of a catalog and tell nothing).
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
    """The FTS5 ``MATCH`` expression for ``text``: every word as a quoted prefix term (``"chur"*``; a
    one-letter word as itself), all required; None when it holds no word. A word holds only letters and
    digits, so quoting it is exact.

    :raises InputError: as :func:`words`.
    """
    found = words(text)
    if not found:
        return None
    return " ".join(f'"{word}"*' if len(word) > 1 else f'"{word}"' for word in found)
