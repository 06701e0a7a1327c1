"""The passage of a field that a search matched, as fragments (docs/architecture.md, section 9): pure.

FTS5's ``snippet()`` re-runs the match for the rows shown, which cost more than the search itself on a 1M-
triple catalog (bench/README.md, "Search"); the words are known, so the passage is found here: a word of the
field (split as the ``unicode61`` tokenizer splits it, compared without case and accents) matches when it
starts with a searched word (equals a one-letter one).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Final

from mlkg.search.results import Fragment

__all__ = ["WINDOW", "folded_words", "highlight"]

#: Words shown around the first match of a long field.
WINDOW: Final = 16

_WORD = re.compile(r"[^\W_]+")


def _folded(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _matches(word: str, searched: Sequence[str]) -> bool:
    folded = _folded(word)
    return any(folded == s if len(s) == 1 else folded.startswith(s) for s in searched)


def highlight(text: str, searched: Sequence[str]) -> list[Fragment] | None:
    """``text`` (around its first match, :data:`WINDOW` words, ``…`` marking what is left out) as fragments,
    the matching words marked; None if no word of it matches. ``searched``: the folded words searched."""
    spans = [(m.start(), m.end(), _matches(m.group(), searched)) for m in _WORD.finditer(text)]
    first = next((i for i, span in enumerate(spans) if span[2]), None)
    if first is None:
        return None
    start = max(0, min(first - WINDOW // 4, len(spans) - WINDOW))
    shown = spans[start : start + WINDOW]
    begin = 0 if start == 0 else shown[0][0]
    end = len(text) if start + WINDOW >= len(spans) else shown[-1][1]
    fragments: list[Fragment] = []
    plain = "…" if begin else ""
    cursor = begin
    for low, high, matched in shown:
        if not matched:
            continue
        plain += text[cursor:low]
        if plain:
            fragments.append(Fragment(text=plain, match=False))
        fragments.append(Fragment(text=text[low:high], match=True))
        plain, cursor = "", high
    plain += text[cursor:end] + ("…" if end < len(text) else "")
    if plain:
        fragments.append(Fragment(text=plain, match=False))
    return fragments


def folded_words(words: Sequence[str]) -> list[str]:
    """The searched words as :func:`highlight` compares them."""
    return [_folded(w) for w in words]
