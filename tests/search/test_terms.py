"""What a typed text becomes (src/mlkg/search/terms.py) and the passage shown for a hit (highlight.py)."""

from __future__ import annotations

import pytest

from mlkg.errors import InputError
from mlkg.search.highlight import folded_words, highlight
from mlkg.search.terms import match_expression, words


def test_text_becomes_quoted_terms_never_syntax() -> None:
    assert match_expression("churn Predictor") == '"churn"* "predictor"*'
    assert match_expression("customer_id") == '"customer id"*'  # one identifier: a phrase
    assert match_expression('NEAR( "x') == '"near"* "x"'  # a one-letter word is not a prefix
    assert match_expression("name:churn OR *") == '"name churn"* "or"*'
    assert match_expression('" ( ) * ^ -') is None
    assert match_expression("churn churn") == '"churn"*'
    with pytest.raises(InputError, match="at most 500"):
        match_expression("a" * 501)
    assert words("Café_Crème 2024") == ["café", "crème", "2024"]


def test_the_passage_marks_the_words_that_matched() -> None:
    found = highlight("Predicts which customers churn, from RFM features.", folded_words(["chur", "cust"]))
    assert found is not None
    assert [(f.text, f.match) for f in found] == [
        ("Predicts which ", False), ("customers", True), (" ", False), ("churn", True),
        (", from RFM features.", False),
    ]  # fmt: skip
    assert highlight("nothing here", ["churn"]) is None
    accented = highlight("Die Kündigung", folded_words(["kundig"]))
    assert accented is not None and [f.text for f in accented if f.match] == ["Kündigung"]
    long = " ".join(f"w{n}" for n in range(100)) + " churn " + " ".join(f"v{n}" for n in range(100))
    window = highlight(long, ["churn"])
    assert window is not None and window[0].text.startswith("…") and window[-1].text.endswith("…")
    assert sum(len(f.text.split()) for f in window) < 20
