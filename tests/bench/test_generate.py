"""The synthetic catalog generator (bench/generate.py): deterministic, sized as asked, shaped like a real ML
estate, and made of exactly the documents mlkg's JSON ingest would store, which the SHACL shapes accept."""

from __future__ import annotations

import io
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
import rdflib
from bench.generate import CatalogDocument, generate_catalog, generate_documents, main, write_nquads
from rdflib import OWL, RDF, URIRef
from rdflib.compare import isomorphic

from mlkg.config import DEFAULT_BASE_IRI as BASE
from mlkg.ids import IriMinter
from mlkg.ingest import Ingestor, InputFormat, Source
from mlkg.resources import ontology_text
from mlkg.store.base import Triple
from mlkg.vocab import MLKG

TARGET = 3000
SEEDS = (1, 2, 3, 4, 5)


@pytest.fixture(scope="module")
def catalogs() -> dict[int, list[CatalogDocument]]:
    return {seed: list(generate_documents(target_triples=TARGET, seed=seed)) for seed in SEEDS}


@pytest.fixture(scope="module")
def catalog(catalogs: dict[int, list[CatalogDocument]]) -> list[CatalogDocument]:
    return catalogs[1]


def all_triples(documents: Iterable[CatalogDocument]) -> set[Triple]:
    return {t for d in documents for t in d.triples}


def graph(triples: Iterable[Triple]) -> rdflib.Graph:
    result = rdflib.Graph()
    for triple in triples:
        result.add(triple)
    return result


def test_same_seed_same_catalog_and_other_seed_another() -> None:
    first = list(generate_catalog(target_triples=TARGET, seed=42))
    again = list(generate_catalog(target_triples=TARGET, seed=42))
    other = list(generate_catalog(target_triples=TARGET, seed=43))
    assert first == again
    assert first != other


@pytest.mark.parametrize("target", [2000, 3000, 5000, 12000])
def test_total_lands_within_ten_percent_of_the_target(target: int) -> None:
    for seed in SEEDS:
        total = sum(len(triples) for _, triples in generate_catalog(target_triples=target, seed=seed))
        assert abs(total - target) <= target // 10, (seed, total)


def test_too_small_a_target_is_refused() -> None:
    with pytest.raises(ValueError, match="at least"):
        generate_catalog(target_triples=500, seed=1)


def test_every_predicate_and_class_is_an_ontology_term(catalogs: dict[int, list[CatalogDocument]]) -> None:
    ontology = rdflib.Graph().parse(data=ontology_text(), format="turtle")
    properties = set(ontology.subjects(RDF.type, OWL.ObjectProperty)) | set(
        ontology.subjects(RDF.type, OWL.DatatypeProperty)
    )
    classes = set(ontology.subjects(RDF.type, OWL.Class))
    for documents in catalogs.values():
        for _, p, o in all_triples(documents):
            assert p == RDF.type or p in properties, p
            assert p != RDF.type or o in classes, o
            assert p not in (MLKG.upstream, MLKG.downstream), "upstream/downstream are only ever inferred"


def test_documents_are_one_graph_per_entity_with_minted_iris(catalog: list[CatalogDocument]) -> None:
    minter = IriMinter.from_ontology(base=BASE)
    entities = [d.entity for d in catalog]
    assert len(entities) == len(set(entities))
    for document in catalog:
        assert minter.parse(str(document.entity)) is not None
        described = graph(document.triples)
        for predicate in (RDF.type, MLKG.name, MLKG.fullyQualifiedName):
            assert (document.entity, predicate, None) in described, (document.entity, predicate)


def test_another_base_mints_every_iri_under_it() -> None:
    base = "https://example.org/catalog/"
    for entity, triples in generate_catalog(target_triples=2000, seed=1, base=base):
        assert entity.startswith(base)
        assert all(s.startswith(base) for s, _, _ in triples)


def test_shape_pipelines_models_versions(catalog: list[CatalogDocument]) -> None:
    docs = [d.json for d in catalog]
    pipelines = [d for d in docs if d["type"] == "pipeline"]
    models = [d for d in docs if d["type"] == "mlmodel"]
    assert pipelines and models
    assert all(1 <= len(p["readsFrom"]) <= 3 and 1 <= len(p["writesTo"]) <= 2 for p in pipelines)
    assert all(5 <= len(m["mlFeatures"]) <= 30 for m in models)
    versions: dict[str, int] = defaultdict(int)
    for d in docs:
        if d["type"] == "modelVersion":
            versions[d["versionOf"]["fullyQualifiedName"]] += 1
    assert {m["fullyQualifiedName"] for m in models} == set(versions)
    assert all(1 <= n <= 4 for n in versions.values())
    raw = [
        d for d in docs if d["type"] == "table" and d["fullyQualifiedName"].split(".")[0].endswith("_prod")
    ]
    assert raw and all(7 <= len(t["columns"]) <= 13 for t in raw)
    services = {d["serviceType"] for d in docs if d["type"] == "mlmodelService"}
    assert services == {"Mlflow", "Sagemaker", "VertexAI"}


def test_pipelines_form_a_dag_at_most_eight_layers_deep() -> None:
    documents = list(generate_documents(target_triples=20_000, seed=1))
    writer = {w["fullyQualifiedName"]: d.json for d in documents if d.json["type"] == "pipeline"
              for w in d.json["writesTo"]}  # fmt: skip
    depth: dict[str, int] = {}

    def layer(table: str) -> int:  # tables come before the pipelines that read them, so no cycle is possible
        if table not in depth:
            reads = writer[table]["readsFrom"] if table in writer else []
            depth[table] = 1 + max(layer(r["fullyQualifiedName"]) for r in reads) if reads else 0
        return depth[table]

    assert max(layer(t) for t in writer) == 8


def lineage_reaches_raw_column(triples: set[Triple]) -> bool:
    """Some prediction table reaches a raw column by deployment -> version -> model -> feature -> feature
    source -> column -> derivedFromColumn (one or more) -> a column of a table no pipeline writes."""
    edges: dict[URIRef, dict[object, set[object]]] = defaultdict(lambda: defaultdict(set))
    types: dict[object, set[object]] = defaultdict(set)
    for s, p, o in triples:
        if p == RDF.type:
            types[s].add(o)
        elif isinstance(o, URIRef):
            edges[p][s].add(o)

    def step(nodes: set[object], predicate: URIRef, *, reverse: bool = False) -> set[object]:
        if reverse:
            return {s for s, objects in edges[predicate].items() if objects & nodes}
        return {o for n in nodes for o in edges[predicate].get(n, ())}

    written = {t for objects in edges[MLKG.writesTo].values() for t in objects}
    raw_tables = {t for t, classes in types.items() if classes == {MLKG.Table} and t not in written}
    raw_columns = {c for t in raw_tables for c in edges[MLKG.hasColumn].get(t, ())}
    for table in (t for t, classes in types.items() if MLKG.PredictionTable in classes):
        nodes = step({table}, MLKG.writesPredictions, reverse=True)
        for predicate in (MLKG.servesVersion, MLKG.versionOf, MLKG.usesFeature, MLKG.hasFeatureSource):
            nodes = step(nodes, predicate)
        columns = step(nodes, MLKG.dataSource)
        seen: set[object] = set()
        while columns:
            columns = step(columns, MLKG.derivedFromColumn) - seen
            if columns & raw_columns:
                return True
            seen |= columns
    return False


def test_a_prediction_table_reaches_a_raw_column(catalogs: dict[int, list[CatalogDocument]]) -> None:
    for seed, documents in catalogs.items():
        assert lineage_reaches_raw_column(all_triples(documents)), seed


def test_some_raw_columns_are_tagged_pii(catalogs: dict[int, list[CatalogDocument]]) -> None:
    tag = URIRef(f"{BASE}tag/PII.Sensitive")
    pii = URIRef(f"{BASE}classification/PII")
    for seed, documents in catalogs.items():
        by_entity = {d.entity: d for d in documents}
        assert (pii, MLKG.sensitive, rdflib.Literal(True)) in set(by_entity[pii].triples)
        assert (tag, MLKG.classification, pii) in set(by_entity[tag].triples)
        tagged = {s for s, p, o in all_triples(documents) if p == MLKG.tag and o == tag}
        columns = {s for s, p, o in all_triples(documents) if p == RDF.type and o == MLKG.Column}
        assert tagged and tagged <= columns, seed
        assert len(tagged) < len(columns) / 10, seed


def test_documents_are_what_ingest_stores_and_satisfy_the_shapes(catalog: list[CatalogDocument]) -> None:
    ingestor = Ingestor(minter=IriMinter.from_ontology(base=BASE), max_bytes=1 << 24)
    data = json.dumps([d.json for d in catalog]).encode()
    parsed = ingestor.parse(source=Source("catalog.json", data, InputFormat.JSON))
    assert not parsed.rejected and not parsed.notices
    assert [d.entity for d in parsed.documents] == [d.entity for d in catalog]
    for ours, theirs in zip(catalog, parsed.documents, strict=True):
        assert len(ours.triples) == len(theirs.triples), ours.entity
        assert isomorphic(graph(ours.triples), graph(theirs.triples)), ours.entity
        assert {node for node, _ in ours.nodes} <= theirs.focus
    validated = ingestor.validate(documents=parsed.documents, store=None)
    assert not validated.rejected, [r.to_dict() for r in validated.rejected[:3]]
    assert len(validated.valid) == len(catalog)


def test_nquads_hold_each_document_in_its_own_graph(
    catalog: list[CatalogDocument], same_dataset: Callable[[rdflib.Dataset, rdflib.Dataset], bool]
) -> None:
    out = io.StringIO()
    totals = write_nquads(((d.entity, d.triples) for d in catalog), out)
    assert totals["documents"] == len(catalog)
    assert totals["triples"] == sum(len(d.triples) for d in catalog)
    parsed = rdflib.Dataset()
    parsed.parse(data=out.getvalue(), format="nquads")
    expected = rdflib.Dataset()
    for document in catalog:
        graph = expected.graph(document.entity)
        for triple in document.triples:
            graph.add(triple)
    assert same_dataset(parsed, expected)


def test_cli_writes_nquads_and_reports_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "nested" / "catalog.nq"
    assert main(["--triples", "2000", "--seed", "1", "--out", str(out)]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    report = {line.split()[0]: line.split()[1] for line in capsys.readouterr().err.splitlines()}
    assert int(report["triples"]) == len(lines)
    assert abs(len(lines) - 2000) <= 200
    assert int(report["Model"]) >= 1 and int(report["Column"]) >= 50 and int(report["documents"]) >= 20
    assert all(line.endswith("> .") for line in lines)
