"""The named queries' kind logic says what the ontology's kind annotations say (``mlkg:kindName``,
``mlkg:kindPrecedence``): a kind added, renamed or reordered in ``ontology/mlkg.ttl`` and not in a query
fails here, and the message shows the IF chain to paste into the query."""

from __future__ import annotations

import re

import pytest

from mlkg.queries import QueryCatalog
from mlkg.reasoning import load_ontology
from mlkg.reasoning.kinds import EntityKinds
from mlkg.vocab import MLKG

KINDS = EntityKinds.from_ontology(load_ontology())
CATALOG = QueryCatalog.load()

#: Queries that give every downstream/upstream asset its kind; feature sources are left out by a filter.
FULL_CHAIN = ["downstream", "upstream", "downstream-summary", "owners-to-notify"]
#: Queries that give a kind among a few classes only (their question names the classes).
PARTIAL_CHAIN = ["models-trained-on", "raw-sources"]
#: Queries that rank the classes of their question (``BIND(n AS ?rank)``) and name each rank.
RANKED = ["models-using-sensitive-data", "sensitive-assets"]

_IF = re.compile(r"IF\(EXISTS \{ \?(\w+) a mlkg:(\w+) \}, \"(\w+)\"")


def chain(text: str, variable: str) -> list[tuple[str, str]]:
    """The (class, kind) pairs of the IF chain that gives ``?variable`` its kind, in order."""
    return [(cls, kind) for var, cls, kind in _IF.findall(text) if var == variable]


def local(iri: str) -> str:
    return iri.removeprefix(str(MLKG))


def expected_chain() -> list[tuple[str, str]]:
    return [(local(k.cls), k.name) for k in KINDS.kinds if k.cls != MLKG.FeatureSource]


def generated_chain(variable: str = "asset") -> str:
    """The IF chain the ontology implies, as the queries write it."""
    pairs = expected_chain()
    lines = [f'    IF(EXISTS {{ ?{variable} a mlkg:{c} }}, "{n}",' for c, n in pairs]
    lines[-1] = lines[-1][:-1] + ', "other"' + ")" * len(pairs)
    return "\n".join(lines)


@pytest.mark.parametrize("name", FULL_CHAIN)
def test_full_kind_chains_follow_the_ontology(name: str) -> None:
    found = chain(CATALOG.get(name=name).text, "asset")
    assert found == expected_chain(), f"{name}.rq: the ontology's kinds give\n{generated_chain()}"


@pytest.mark.parametrize("name", PARTIAL_CHAIN)
def test_partial_kind_chains_use_the_ontology_names_in_precedence_order(name: str) -> None:
    found = chain(CATALOG.get(name=name).text, {"models-trained-on": "model"}.get(name, "source"))
    by_class = {local(k.cls): k for k in KINDS.kinds}
    assert found
    for cls, kind in found:
        assert cls in by_class and by_class[cls].name == kind, f"{name}.rq names mlkg:{cls} {kind!r}"
    precedence = [by_class[cls].precedence for cls, _ in found]
    assert precedence == sorted(precedence), f"{name}.rq tests its kinds out of precedence order"


@pytest.mark.parametrize("name", RANKED)
def test_ranked_kinds_use_the_ontology_names_in_precedence_order(name: str) -> None:
    text = CATALOG.get(name=name).text
    ranks = re.findall(r"rdfs:subClassOf\* mlkg:(\w+) BIND\((\d+) AS \?rank\)", text)
    by_class = {local(k.cls): k for k in KINDS.kinds}
    ordered = [cls for cls, _ in sorted(ranks, key=lambda r: int(r[1]))]
    assert ordered == sorted(ordered, key=lambda c: by_class[c].precedence), f"{name}.rq ranks out of order"
    named = dict(re.findall(r"\?r = (\d+), \"(\w+)\"", text))
    last = re.findall(r"\"(\w+)\"\)+ AS \?kind\)", text)
    for cls, rank in ranks:
        shown = named.get(rank) or (last[0] if int(rank) == len(ranks) else None)
        assert shown == by_class[cls].name, f"{name}.rq names rank {rank} (mlkg:{cls}) {shown!r}"
