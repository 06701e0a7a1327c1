"""OpenLineage events to mlkg documents (mlkg.ingest.openlineage): naming, mapping, runs folded across events,
and what a catalog holds and answers after them."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

import mlkg
from mlkg.errors import InputError, ParseError
from mlkg.ingest.openlineage import EventItem, NamespaceMap, is_openlineage_event, map_event

NAMES = NamespaceMap(services={"postgres://db.host:5432/": "postgres_prod", "snowflake://acct": "snowflake"})
RUN_ID = "0190a3c4-0000-7000-8000-000000000001"
ID = "http://localhost:8000/id/"
PG = "postgres://db.host:5432"


def event(
    event_type: str | None = "START", *, time: str = "2024-01-01T10:00:00Z", **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "eventTime": time,
        "producer": "https://example.org/producer",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": RUN_ID},
        "job": {"namespace": "airflow", "name": "shop.orders_30d"},
        "inputs": [
            {
                "namespace": PG,
                "name": "ecommerce.public.orders",
                "facets": {"schema": {"fields": [{"name": "total_amount", "type": "DECIMAL"}]}},
            }
        ],
        "outputs": [
            {
                "namespace": "snowflake://acct",
                "name": "prod.order_stats",
                "facets": {
                    "schema": {"fields": [{"name": "spend_30d", "type": "NUMBER", "description": "EUR"}]},
                    "columnLineage": {
                        "fields": {
                            "spend_30d": {
                                "inputFields": [
                                    {
                                        "namespace": PG,
                                        "name": "ecommerce.public.orders",
                                        "field": "total_amount",
                                    }
                                ]
                            }
                        }
                    },
                },
            }
        ],
    }
    if event_type is not None:
        body["eventType"] = event_type
    body.update(extra)
    return body


# --- naming ------------------------------------------------------------------------------------------------


def test_a_mapped_namespace_names_the_service_as_openmetadata_does() -> None:
    assert NAMES.fqn(namespace=PG, name="ecommerce.public.orders") == "postgres_prod.ecommerce.public.orders"
    assert NAMES.fqn(namespace=PG + "/", name="ecommerce.public.orders").startswith("postgres_prod.")


def test_an_unmapped_namespace_gives_a_readable_service_segment() -> None:
    assert NAMES.service("postgres://other.host:5432") == "postgres_other_host_5432"
    assert NAMES.service("airflow") == "airflow"


def test_a_path_name_is_one_segment() -> None:
    assert NAMES.segments(namespace="s3://bucket", name="data/orders.parquet") == [
        "s3_bucket",
        "data/orders.parquet",
    ]
    assert NAMES.fqn(namespace="s3://bucket", name="data/orders.parquet") == 's3_bucket."data/orders.parquet"'


@pytest.mark.parametrize("name", ["a..b", "", 'a"b'])
def test_names_mlkg_cannot_name_are_refused(name: str) -> None:
    with pytest.raises(InputError):
        NAMES.segments(namespace="airflow", name=name)


def test_a_service_name_must_be_one_segment() -> None:
    with pytest.raises(InputError, match="one"):
        NamespaceMap(services={PG: "postgres.prod"})


# --- mapping -----------------------------------------------------------------------------------------------


def test_events_are_told_from_entity_documents() -> None:
    assert is_openlineage_event(event())
    assert is_openlineage_event({"schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/X"})
    assert not is_openlineage_event({"type": "table", "name": "orders"})


def test_a_run_event_gives_the_pipeline_with_its_datasets_columns_and_column_lineage() -> None:
    mapped = map_event(event(), names=NAMES)
    [(at, pipeline)] = mapped.documents
    assert at == "/job"
    assert pipeline["fullyQualifiedName"] == "airflow.shop.orders_30d"
    [source] = pipeline["readsFrom"]
    assert source["fullyQualifiedName"] == "postgres_prod.ecommerce.public.orders"
    assert source["columns"] == [{"name": "total_amount", "dataType": "DECIMAL"}]
    [target] = pipeline["writesTo"]
    [column] = target["columns"]
    assert column["name"] == "spend_30d" and column["dataType"] == "NUMBER" and column["description"] == "EUR"
    [derived] = column["derivedFromColumns"]
    assert derived["fullyQualifiedName"] == "postgres_prod.ecommerce.public.orders.total_amount"
    assert derived["table"]["fullyQualifiedName"] == "postgres_prod.ecommerce.public.orders"
    assert mapped.run is not None and mapped.run["fullyQualifiedName"] == f"airflow.shop.orders_30d.{RUN_ID}"
    assert mapped.run_state is not None and mapped.run_state.status == "START"


def test_an_event_naming_no_dataset_leaves_the_pipeline_alone() -> None:
    mapped = map_event(event("COMPLETE", inputs=[], outputs=[]), names=NAMES)
    assert mapped.documents == []
    assert mapped.run is not None


def test_what_is_not_used_is_reported_with_its_pointer() -> None:
    body = event(extra_key=1)
    body["inputs"][0]["facets"]["dataSource"] = {"name": "pg", "uri": PG}
    body["run"]["facets"] = {"nominalTime": {"nominalStartTime": "2024-01-01T00:00:00Z"}}
    ignored = dict(map_event(body, names=NAMES).ignored)
    assert "/inputs/0/facets/dataSource" in ignored
    assert "/run/facets/nominalTime" in ignored
    assert "/extra_key" in ignored


def test_a_dataset_event_gives_the_table_document() -> None:
    body = {
        "eventTime": "2024-01-01T10:00:00Z",
        "dataset": {"namespace": PG, "name": "ecommerce.public.refunds", "facets": {
            "documentation": {"description": "Refunds."},
            "schema": {"fields": [{"name": "amount", "type": "DECIMAL"}]}}},
    }  # fmt: skip
    [(at, table)] = map_event(body, names=NAMES).documents
    assert at == "/dataset"
    assert table == {
        "type": "table",
        "name": "refunds",
        "fullyQualifiedName": "postgres_prod.ecommerce.public.refunds",
        "description": "Refunds.",
        "columns": [{"name": "amount", "dataType": "DECIMAL"}],
    }


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        (lambda e: e.pop("eventTime"), "/eventTime"),
        (lambda e: e.update(eventTime="yesterday"), "/eventTime"),
        (lambda e: e.update(eventType="DONE"), "/eventType"),
        (lambda e: e["run"].pop("runId"), "/run/runId"),
        (lambda e: e["job"].pop("namespace"), "/job/namespace"),
        (lambda e: e["outputs"][0].update(name="a..b"), "/outputs/0/name"),
        (lambda e: e["outputs"][0]["facets"]["columnLineage"]["fields"].update({" ": {"inputFields": []}}),
         "/outputs/0/facets/columnLineage/fields/ "),
        (lambda e: e["outputs"][0]["facets"]["columnLineage"]["fields"]["spend_30d"].pop("inputFields"),
         "/outputs/0/facets/columnLineage/fields/spend_30d"),
    ],
)  # fmt: skip
def test_a_malformed_event_is_refused_with_a_pointer(change: Any, pointer: str) -> None:
    body = copy.deepcopy(event())
    change(body)
    with pytest.raises(ParseError) as raised:
        map_event(body, names=NAMES)
    assert raised.value.where == pointer


# --- through a catalog -------------------------------------------------------------------------------------


@pytest.fixture
def catalog() -> Iterator[mlkg.Catalog]:
    services = {PG: "postgres_prod", "snowflake://acct": "snowflake"}
    with mlkg.open(store="memory:", openlineage_namespaces=services) as opened:
        opened.load_demo()
        yield opened


def send(catalog: mlkg.Catalog, *events: Any) -> list[dict[str, Any]]:
    items = [EventItem(source="events", pointer=f"/{i}", value=e) for i, e in enumerate(events)]
    return [o.to_dict() for checked in catalog.load_openlineage(items) for o in checked.events]


def run_values(catalog: mlkg.Catalog) -> dict[str, str]:
    rows = catalog.query(
        "PREFIX mlkg: <https://w3id.org/mlkg#> SELECT ?p ?o WHERE { ?r a mlkg:PipelineRun ; ?p ?o }"
    ).rows
    return {str(p).rsplit("#", 1)[-1]: str(o) for p, o in rows}


def test_column_lineage_reaches_what_the_demo_builds_on_the_output_column(catalog: mlkg.Catalog) -> None:
    # A job fills the demo's orders.total_amount_30d from a Kafka topic: a change to the topic's field now
    # reaches the churn features, models and predictions built on that column.
    body = event()
    body["inputs"] = [{"namespace": "kafka://broker:9092", "name": "payments"}]
    body["outputs"] = [{"namespace": PG, "name": "ecommerce.public.orders", "facets": {"columnLineage": {
        "fields": {"total_amount_30d": {"inputFields": [
            {"namespace": "kafka://broker:9092", "name": "payments", "field": "amount"}]}}}}}]  # fmt: skip
    [outcome] = send(catalog, body)
    assert outcome["status"] == "accepted", outcome
    report = catalog.impact("kafka_broker_9092.payments.amount")
    kinds = report.by_kind()
    assert f"{ID}column/postgres_prod.ecommerce.public.orders.total_amount_30d" in {
        str(a.iri) for a in kinds["column"]
    }
    assert {"feature", "model", "deployment", "prediction_table"} <= set(kinds)
    # the demo's own document of the orders table (owners, tags, descriptions) is untouched
    assert catalog.query(
        "ASK { <http://localhost:8000/id/table/postgres_prod.ecommerce.public.orders> "
        "<https://w3id.org/mlkg#owner> ?o }"
    ).value


def test_a_run_keeps_its_state_across_events_in_any_order(catalog: mlkg.Catalog) -> None:
    send(catalog, event("COMPLETE", time="2024-01-01T10:09:00Z", inputs=[], outputs=[]))
    assert run_values(catalog)["status"] == "COMPLETE"
    send(catalog, event("START"), event("RUNNING", time="2024-01-01T10:01:00Z"))
    values = run_values(catalog)
    assert values["status"] == "COMPLETE"
    assert values["startTime"] == "2024-01-01T10:00:00Z"
    assert values["endTime"] == "2024-01-01T10:09:00Z"
    assert values["updatedAt"] == "2024-01-01T10:09:00Z"
    assert values["runOf"] == f"{ID}pipeline/airflow.shop.orders_30d"


def test_a_failed_run_records_its_error(catalog: mlkg.Catalog) -> None:
    body = event("FAIL", time="2024-01-01T10:03:00Z")
    body["run"]["facets"] = {"errorMessage": {"message": "division by zero", "programmingLanguage": "python"}}
    send(catalog, event("START"), body)
    values = run_values(catalog)
    assert values["status"] == "FAIL" and values["description"] == "division by zero"


def test_a_bad_event_writes_nothing_and_the_others_are_written(catalog: mlkg.Catalog) -> None:
    bad = event()
    bad["job"]["name"] = "shop..bad"
    good = event(run={"runId": "0190a3c4-0000-7000-8000-000000000002"})
    outcomes = send(catalog, bad, good)
    assert outcomes[0]["status"] == "rejected"
    assert outcomes[0]["errors"][0]["pointer"] == "/0/job/name"
    assert outcomes[1]["status"] == "accepted"
    assert len(catalog.query("SELECT ?r WHERE { ?r a <https://w3id.org/mlkg#PipelineRun> }").rows) == 1


def pipeline_triples(catalog: mlkg.Catalog) -> int:
    graph = f"{ID}pipeline/airflow.shop.orders_30d"
    return len(catalog.query(f"SELECT * WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}").rows)


def test_the_same_job_again_keeps_its_document_and_a_changed_one_replaces_it(catalog: mlkg.Catalog) -> None:
    send(catalog, event("START"))
    written = pipeline_triples(catalog)
    [again] = send(catalog, event("START", run={"runId": "0190a3c4-0000-7000-8000-000000000003"}))
    assert f"{ID}pipeline/airflow.shop.orders_30d" in again["entities"]
    assert pipeline_triples(catalog) == written
    # a pipeline document removed by another route is written again by the next event naming its datasets
    assert catalog.delete(f"{ID}pipeline/airflow.shop.orders_30d")
    send(catalog, event("COMPLETE", time="2024-01-01T10:09:00Z"))
    assert pipeline_triples(catalog) == written
    # so is one another upload replaced, though this intake saw it stored a moment ago
    send(catalog, event("START", run={"runId": "0190a3c4-0000-7000-8000-000000000005"}))
    assert catalog.load({"type": "pipeline", "name": "x", "fullyQualifiedName": "airflow.shop.orders_30d"}).ok
    assert pipeline_triples(catalog) < written
    send(catalog, event("START", run={"runId": "0190a3c4-0000-7000-8000-000000000006"}))
    assert pipeline_triples(catalog) == written
    # a new output schema replaces the job's column lineage, and the inferred graph follows
    changed = event("START", run={"runId": "0190a3c4-0000-7000-8000-000000000004"})
    changed["outputs"][0]["facets"]["columnLineage"]["fields"] = {
        "spend_30d": {
            "inputFields": [{"namespace": PG, "name": "ecommerce.public.orders", "field": "status"}]
        }
    }
    send(catalog, changed)
    output = f"{ID}column/snowflake.prod.order_stats.spend_30d"
    assert output in {
        str(a.iri) for a in catalog.impact(f"{ID}column/postgres_prod.ecommerce.public.orders.status")
    }
    before = f"{ID}column/postgres_prod.ecommerce.public.orders.total_amount"
    assert output not in {str(a.iri) for a in catalog.impact(before)}
    assert catalog.reason().inferred_added == 0


def test_an_iso_time_xsd_cannot_read_is_written_in_its_form(catalog: mlkg.Catalog) -> None:
    send(catalog, event("START", time="2024-01-01T11:00+01:00", inputs=[], outputs=[]))
    assert run_values(catalog)["startTime"] == "2024-01-01T11:00:00+01:00"


def test_an_event_whose_document_the_shapes_refuse_writes_nothing(catalog: mlkg.Catalog) -> None:
    # Another upload stored a training run's status under this run's IRI: folded into the run, it breaks the
    # pipeline run shape, so both events of that run are refused whole (their pipeline document included),
    # and the other run is written.
    run = f"{ID}pipelinerun/airflow.shop.orders_30d.{RUN_ID}"
    odd = {"@id": run, "type": "trainingRun", "name": "odd", "status": "FINISHED"}
    assert catalog.load(odd).ok
    other = event("START", job={"namespace": "airflow", "name": "shop.other"})
    outcomes = send(catalog, event("OTHER"), event("OTHER", time="2024-01-01T10:01:00Z"), other)
    assert [o["status"] for o in outcomes] == ["rejected", "rejected", "accepted"]
    # the pipeline document the second event gave is not written either
    assert not catalog.query(f"ASK {{ GRAPH <{ID}pipeline/airflow.shop.orders_30d> {{ ?s ?p ?o }} }}").value
    assert any(
        "OpenLineage run state" in d["message"] for o in outcomes[:2] for d in o["errors"][0]["details"]
    )
    assert catalog.query(f"ASK {{ GRAPH <{run}> {{ <{run}> a <https://w3id.org/mlkg#TrainingRun> }} }}").value
    assert not catalog.query(f"ASK {{ <{run}> a <https://w3id.org/mlkg#PipelineRun> }}").value


def test_a_job_event_gives_the_pipeline_and_no_run(catalog: mlkg.Catalog) -> None:
    job_event = event(None)
    del job_event["run"]
    empty = {"eventTime": "2024-01-01T10:00:00Z", "job": {"namespace": "airflow", "name": "idle"}}
    reports = list(catalog.load_openlineage([job_event, empty]))  # parsed events, as a Python user has them
    first, second = reports[0].events
    assert first.kind == "JobEvent" and first.entities == [f"{ID}pipeline/airflow.shop.orders_30d"]
    assert second.accepted and not second.entities
    assert [n.message for n in second.ignored] == ["a JobEvent naming no dataset records nothing"]
    assert not catalog.query("ASK { ?r a <https://w3id.org/mlkg#PipelineRun> }").value
