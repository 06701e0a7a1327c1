"""The demo catalog in ``examples/``: every document loads as a user would upload it, cleanly, and answers the
question the README asks of it."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
import rdflib
from rdflib import URIRef
from rdflib.compare import isomorphic

from mlkg.config import DEFAULT_BASE_IRI as BASE
from mlkg.config import MEMORY_STORE, Settings
from mlkg.ids import IriMinter
from mlkg.ingest import Ingestor, InputFormat, Source
from mlkg.store import SelectResult, Store, Triple, open_store
from mlkg.vocab import CONTEXT_IRI

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
DEMO_FILES = sorted((EXAMPLES / "demo").glob("*.json"))
CHURN = URIRef(f"{BASE}model/mlflow_prod.customer_churn_predictor")
COLUMN = f"{BASE}column/postgres_prod.ecommerce.public."
EXPECTED_FEATURE_SOURCES = {
    ("recency", URIRef(f"{COLUMN}customers.last_purchase_date")),
    ("frequency", URIRef(f"{COLUMN}orders.count_30d")),
    ("monetary", URIRef(f"{COLUMN}orders.total_amount_30d")),
}


def source(path: Path) -> Source:
    return Source(path.name, path.read_bytes(), InputFormat.from_path(path.name))


@pytest.fixture(scope="module")
def ingestor() -> Ingestor:
    return Ingestor(minter=IriMinter.from_ontology(base=BASE), max_bytes=1 << 20)


@pytest.fixture(scope="module")
def demo_store(ingestor: Ingestor) -> Iterator[Store]:
    """The demo loaded as ``mlkg load examples/demo/*.json`` does, into an in-memory store."""
    with open_store(settings=Settings(store=MEMORY_STORE)) as store:
        report = ingestor.ingest(store=store, sources=[source(p) for p in DEMO_FILES])
        assert report.ok, [r.to_dict() for r in report.rejected]
        yield store


def select(store: Store, query: str) -> list[dict[str, rdflib.term.Node]]:
    result = store.query(query=query)
    assert isinstance(result, SelectResult)
    return list(result.dicts())


def test_demo_has_files() -> None:
    assert len(DEMO_FILES) >= 5
    assert (EXAMPLES / "README.md").is_file()


@pytest.mark.parametrize("path", DEMO_FILES, ids=lambda p: p.name)
def test_each_file_is_an_array_of_uploadable_documents(path: Path) -> None:
    documents = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(documents, list) and documents
    for document in documents:
        # Plain OpenMetadata-shaped JSON, or JSON-LD naming mlkg's published context (never fetched).
        assert document.get("@context", CONTEXT_IRI) == CONTEXT_IRI
        assert "type" in document and ("fullyQualifiedName" in document or "name" in document)


@pytest.mark.parametrize("path", DEMO_FILES, ids=lambda p: p.name)
def test_each_file_loads_on_its_own_without_rejections_or_notices(ingestor: Ingestor, path: Path) -> None:
    report = ingestor.check(sources=[source(path)])
    assert not report.rejected, [r.to_dict() for r in report.rejected]
    assert not report.notices, [n.to_dict() for n in report.notices]
    assert len(report.accepted) == len(json.loads(path.read_text(encoding="utf-8")))


def test_the_whole_demo_loads_without_rejections_or_notices(ingestor: Ingestor) -> None:
    # No notices also means no entity is given twice (the later document would silently win).
    report = ingestor.check(sources=[source(p) for p in DEMO_FILES])
    assert report.ok and not report.notices, [n.to_dict() for n in report.notices]
    assert len(set(report.entities)) == len(report.entities)


def test_churn_feature_sources_are_the_three_columns(demo_store: Store) -> None:
    rows = select(
        demo_store,
        f"""PREFIX mlkg: <https://w3id.org/mlkg#>
        SELECT ?name ?column WHERE {{
            <{CHURN}> mlkg:usesFeature ?feature .
            ?feature mlkg:name ?name ; mlkg:hasFeatureSource ?source .
            ?source mlkg:dataSource ?column }}""",
    )
    assert {(str(r["name"]), r["column"]) for r in rows} == EXPECTED_FEATURE_SOURCES
    assert len(rows) == 3


def test_the_readme_query_answers_with_the_three_columns(demo_store: Store) -> None:
    query = (EXAMPLES / "queries" / "churn-feature-sources.rq").read_text(encoding="utf-8")
    rows = select(demo_store, query)
    assert {(str(r["featureName"]), r["column"]) for r in rows} == EXPECTED_FEATURE_SOURCES
    assert {r["table"] for r in rows} == {
        URIRef(f"{BASE}table/postgres_prod.ecommerce.public.customers"),
        URIRef(f"{BASE}table/postgres_prod.ecommerce.public.orders"),
    }


def test_churn_model_versions_and_champion(demo_store: Store) -> None:
    rows = select(
        demo_store,
        f"""PREFIX mlkg: <https://w3id.org/mlkg#>
        SELECT ?version ?algorithm ?stage ?accuracy WHERE {{
            ?v mlkg:versionOf <{CHURN}> ; mlkg:version ?version ; mlkg:algorithm ?algorithm ;
               mlkg:stage ?stage ; mlkg:metric ?m .
            ?m mlkg:name "accuracy" ; mlkg:metricValue ?accuracy }}""",
    )
    table = {
        (str(r["version"]), str(r["algorithm"]), str(r["stage"]), float(str(r["accuracy"]))) for r in rows
    }
    assert table == {
        ("v1.0", "Logistic Regression", "Archived", 0.82),
        ("v2.0", "Random Forest", "Archived", 0.88),
        ("v3.0", "XGBoost", "Production", 0.92),
    }
    [champion] = select(
        demo_store, 'PREFIX mlkg: <https://w3id.org/mlkg#> SELECT ?v WHERE { ?v mlkg:alias "champion" }'
    )
    assert champion["v"] == URIRef(f"{BASE}version/mlflow_prod.customer_churn_predictor.v3")


def test_churn_experiment_has_one_failed_run(demo_store: Store) -> None:
    rows = select(
        demo_store,
        """PREFIX mlkg: <https://w3id.org/mlkg#>
        SELECT ?run ?status (COUNT(?output) AS ?outputs) WHERE {
            ?run mlkg:experiment ?e ; mlkg:status ?status . ?e mlkg:name "churn-prediction" .
            OPTIONAL { ?run mlkg:producedVersion ?output } }
        GROUP BY ?run ?status""",
    )
    statuses = sorted(str(r["status"]) for r in rows)
    assert statuses == ["FAILED", "FINISHED", "FINISHED", "FINISHED"]
    assert all(int(str(r["outputs"])) == (0 if str(r["status"]) == "FAILED" else 1) for r in rows)


def test_context_and_plain_json_give_the_same_graph(ingestor: Ingestor) -> None:
    # A file written as JSON-LD with mlkg's context and the same documents without @context are one thing.
    path = next(p for p in DEMO_FILES if "@context" in p.read_text(encoding="utf-8"))
    documents = json.loads(path.read_text(encoding="utf-8"))
    plain = [{k: v for k, v in d.items() if k != "@context"} for d in documents]
    as_jsonld = ingestor.parse(source=source(path))
    as_plain = ingestor.parse(source=Source("plain.json", json.dumps(plain).encode(), InputFormat.JSON))
    assert [d.entity for d in as_jsonld.documents] == [d.entity for d in as_plain.documents]
    for left, right in zip(as_jsonld.documents, as_plain.documents, strict=True):
        assert isomorphic(graph_of(left.triples), graph_of(right.triples))


def graph_of(triples: Iterable[Triple]) -> rdflib.Graph:
    graph = rdflib.Graph()
    for triple in triples:
        graph.add(triple)
    return graph
