"""Named queries: header parsing, typed parameter binding, and the shipped queries on the demo catalog."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from mlkg.config import DEFAULT_BASE_IRI
from mlkg.errors import NotFoundError, QueryError
from mlkg.ids import IriMinter
from mlkg.ingest import Ingestor, InputFormat, Source
from mlkg.queries import NamedQuery, QueryCatalog
from mlkg.store.base import SelectResult, Store

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo"
CHURN = URIRef(DEFAULT_BASE_IRI + "model/mlflow_prod.customer_churn_predictor")

QUERY = """# name: q
# description: A test query.
# param: table iri required
# param: limit integer optional 10
# param: flag boolean optional
SELECT ?table ?limit ?flag WHERE { ?x ?p ?table }
"""


def test_header_declares_typed_parameters() -> None:
    query = NamedQuery.parse(name="q", text=QUERY)
    assert query.description == "A test query."
    assert [(p.name, p.type.value, p.required, p.default) for p in query.parameters] == [
        ("table", "iri", True, None),
        ("limit", "integer", False, "10"),
        ("flag", "boolean", False, None),
    ]
    bound = query.bindings(arguments={"table": "http://example.org/t", "flag": "true"})
    assert bound == {
        "table": URIRef("http://example.org/t"),
        "limit": Literal(10, datatype=XSD.integer),
        "flag": Literal(True, datatype=XSD.boolean),
    }


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({}, "needs the parameter 'table'"),
        ({"table": "not an iri"}, "must be an absolute IRI"),
        ({"table": "http://x/> } DROP ALL"}, "must be an absolute IRI"),
        ({"table": "http://x/t", "limit": "ten"}, "must be an integer"),
        ({"table": "http://x/t", "flag": "maybe"}, "must be true or false"),
        ({"table": "http://x/t", "colour": "red"}, "has no parameter 'colour'"),
    ],
)
def test_bad_arguments_are_query_errors(arguments: dict[str, str], message: str) -> None:
    query = NamedQuery.parse(name="q", text=QUERY)
    with pytest.raises(QueryError, match=message):
        query.bindings(arguments=arguments)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# name: q\nSELECT * WHERE {}", "no '# description:'"),
        ("# name: other\n# description: d\nSELECT * WHERE {}", "declares the name 'other'"),
        ("# description: d\n# param: x iri maybe\nSELECT ?x WHERE {}", "malformed"),
        ("# description: d\n# param: x colour required\nSELECT ?x WHERE {}", "unknown type 'colour'"),
        ("# description: d\n# param: x iri required\nSELECT ?y WHERE { ?y ?p ?o }", "never uses"),
        ("# description: d\n# param: x iri required\nSELECT ?y WHERE { ?y ?p ?x }", "must project"),
    ],
)
def test_malformed_headers_are_refused(text: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        NamedQuery.parse(name="q", text=text)


def test_every_shipped_query_parses_and_unknown_names_are_not_found() -> None:
    catalog = QueryCatalog.load()
    assert "feature-sources" in catalog.names()
    assert all(q.description for q in catalog)
    with pytest.raises(NotFoundError, match="no named query 'nope'"):
        catalog.get(name="nope")


def test_feature_sources_on_the_demo_catalog(store: Store) -> None:
    ingestor = Ingestor(minter=IriMinter.from_ontology(base=DEFAULT_BASE_IRI), max_bytes=1 << 24)
    sources = [
        Source(name=p.name, data=p.read_bytes(), format=InputFormat.JSON) for p in sorted(DEMO.glob("*.json"))
    ]
    assert ingestor.ingest(store=store, sources=sources).ok
    result = QueryCatalog.load().get(name="feature-sources").run(store=store, arguments={"model": str(CHURN)})
    assert isinstance(result, SelectResult)
    pairs = {(str(r["featureName"]), str(r["sourceName"])) for r in result.dicts()}
    assert pairs == {
        ("recency", "postgres_prod.ecommerce.public.customers.last_purchase_date"),
        ("frequency", "postgres_prod.ecommerce.public.orders.count_30d"),
        ("monetary", "postgres_prod.ecommerce.public.orders.total_amount_30d"),
    }
