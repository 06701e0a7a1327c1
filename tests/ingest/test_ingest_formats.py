"""Input formats from file names and media types, and the report's JSON form."""

from __future__ import annotations

import json

import pytest
from rdflib import URIRef

from mlkg.errors import PayloadTooLargeError, UnsupportedFormatError, ValidationError
from mlkg.ingest import Accepted, IngestReport, InputFormat, Notice, Rejected, RejectionKind


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("model.json", InputFormat.JSON),
        ("model.jsonld", InputFormat.JSONLD),
        ("catalog.TTL", InputFormat.TURTLE),
        ("dump.nt", InputFormat.NTRIPLES),
        ("dump.nq", InputFormat.NQUADS),
        ("export.trig", InputFormat.TRIG),
        ("a.rdf", InputFormat.RDFXML),
        ("a.owl", InputFormat.RDFXML),
        ("dir/a.xml", InputFormat.RDFXML),
    ],
)
def test_format_from_path(name: str, expected: InputFormat) -> None:
    assert InputFormat.from_path(name) is expected


def test_unknown_extension_names_it_and_the_supported_ones() -> None:
    with pytest.raises(UnsupportedFormatError) as raised:
        InputFormat.from_path("model.yaml")
    assert "'.yaml'" in raised.value.message
    assert ".jsonld" in raised.value.message and ".trig" in raised.value.message


def test_format_from_media_type() -> None:
    assert InputFormat.from_media_type("application/ld+json; charset=utf-8") is InputFormat.JSONLD
    assert InputFormat.from_media_type("application/json") is InputFormat.JSON
    assert InputFormat.from_media_type("text/turtle") is InputFormat.TURTLE
    with pytest.raises(UnsupportedFormatError, match="text/csv"):
        InputFormat.from_media_type("text/csv")


def test_rejection_kinds_map_to_the_error_tree() -> None:
    too_large = Rejected.from_error(PayloadTooLargeError("big", where="x"), source="x")
    assert too_large.kind is RejectionKind.TOO_LARGE
    assert isinstance(too_large.to_error(), PayloadTooLargeError)
    unsupported = Rejected.from_error(UnsupportedFormatError("nope", where="x.yaml"), source="x.yaml")
    assert unsupported.kind is RejectionKind.UNSUPPORTED
    invalid = Rejected.from_error(ValidationError("bad", where="x", results=[{"message": "m"}]), source="x")
    error = invalid.to_error()
    assert isinstance(error, ValidationError) and error.results == [{"message": "m"}]


def test_report_to_dict_is_json_ready() -> None:
    report = IngestReport(
        accepted=[Accepted(entity=URIRef("http://e/1"), source="a.json", where="a.json#/0", triples=3)],
        rejected=[Rejected(source="a.json", where="a.json#/1", message="bad", kind=RejectionKind.VALIDATION)],
        notices=[Notice(source="a.json", where="a.json#/0/votes", message="ignored")],
    )
    data = json.loads(json.dumps(report.to_dict()))
    assert data["ok"] is False
    assert data["accepted"][0] == {
        "entity": "http://e/1",
        "source": "a.json",
        "where": "a.json#/0",
        "triples": 3,
    }
    assert data["rejected"][0]["kind"] == "validation"
    assert data["notices"][0]["where"] == "a.json#/0/votes"
