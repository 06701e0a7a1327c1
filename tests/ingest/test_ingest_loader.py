"""The frozen context loader: mlkg's context is served from the package, every other URL is refused, and
nothing ever touches the network."""

from __future__ import annotations

from typing import Any

import pytest
from pyld import jsonld

from mlkg.errors import ContextError
from mlkg.ingest import FrozenContextLoader, Ingestor, RejectionKind
from mlkg.vocab import CONTEXT_IRI

REMOTE = "https://schema.org/docs/jsonldcontext.jsonld"


def test_serves_the_mlkg_context_from_the_package(no_network: None) -> None:
    document = FrozenContextLoader()(CONTEXT_IRI, {})
    assert document["documentUrl"] == CONTEXT_IRI
    assert document["document"]["@context"]["algorithm"] == "mlkg:algorithm"


def test_refuses_any_other_url_without_a_request(no_network: None) -> None:
    with pytest.raises(ContextError) as raised:
        FrozenContextLoader()(REMOTE, {})
    assert str(raised.value) == (
        f"remote @context {REMOTE} is not allowed: mlkg never fetches contexts; "
        f"use {CONTEXT_IRI} or an inline context"
    )


def test_a_document_with_a_remote_context_is_rejected_offline(
    no_network: None, ingestor: Ingestor, make_source: Any
) -> None:
    doc = {"@context": REMOTE, "@id": "http://example.org/m", "name": "m"}
    outcome = ingestor.parse(source=make_source(doc, name="remote.jsonld"))
    assert not outcome.documents
    [rejected] = outcome.rejected
    assert rejected.kind is RejectionKind.CONTEXT
    assert f"remote @context {REMOTE} is not allowed" in rejected.message


def test_a_remote_context_nested_in_an_inline_context_is_refused_by_the_loader(
    no_network: None, ingestor: Ingestor, make_source: Any
) -> None:
    # The remote URL is only met by pyld while processing a scoped context: the loader itself refuses it.
    doc = {
        "@context": {"mlkg": "https://w3id.org/mlkg#", "knows": {"@id": "mlkg:knows", "@context": REMOTE}},
        "@id": "http://example.org/m",
        "knows": {"@id": "http://example.org/n"},
    }
    [rejected] = ingestor.parse(source=make_source(doc, name="nested.jsonld")).rejected
    assert rejected.kind is RejectionKind.CONTEXT
    assert f"remote @context {REMOTE} is not allowed" in rejected.message


def test_pyld_global_loader_is_left_alone(ingestor: Ingestor, make_source: Any) -> None:
    before = jsonld.get_document_loader()
    ingestor.parse(source=make_source({"@context": CONTEXT_IRI, "type": "table", "name": "t"}))
    assert jsonld.get_document_loader() is before
