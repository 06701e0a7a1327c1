"""An entity's document as one JSON tree: what ``GET /id/{type}/{fqn}`` answers to ``Accept:
application/json`` and what JSON Patch edits (RFC 6902: ``PATCH /id/{type}/{fqn}``,
:meth:`mlkg.catalog.Catalog.patch`; docs/architecture.md, section 7).

The entity's own named graph (its document, as written: never triples other documents state about it) is
written as JSON-LD with mlkg's context (:func:`~mlkg.exports.jsonld.compact_quads`), then framed (JSON-LD 1.1
Framing, with the entity as the root and every node it holds embedded where it is first referenced), so a
field's JSON Pointer is the one a user expects: ``/description``, ``/columns/2/dataType``. RDF has no order,
so every array is sorted (nodes by ``@id``, values by their JSON text): the same description always gives the
same JSON, and the pointers read from a GET hold for the PATCH that follows. The context stays inline, so the
form is standard JSON-LD that any processor, and ``mlkg load``, read without fetching anything.

pyld never goes to the network from here: the document loader refuses every URL.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import jsonpatch
import jsonpointer
from pyld import jsonld
from rdflib import URIRef

from mlkg.errors import ConflictError, InputError, StoreError
from mlkg.exports.jsonld import compact_quads, refuse_remote_documents
from mlkg.store.base import Triple

__all__ = ["apply_json_patch", "entity_json", "entity_tag"]


def entity_json(*, entity: URIRef, triples: Sequence[Triple]) -> dict[str, Any]:
    """The document ``triples`` of ``entity`` as one framed JSON-LD object rooted at the entity.

    :raises ConflictError: if some triple of the document is not reachable from the entity (no tree holds
        it): such a document can only be replaced whole.
    :raises StoreError: if the triples cannot be written as JSON-LD.
    """
    compacted = compact_quads(quads=[(s, p, o, None) for s, p, o in triples])
    context = compacted["@context"]
    frame = {"@context": context, "@id": str(entity), "@embed": "@once"}
    try:
        framed: dict[str, Any] = jsonld.frame(
            compacted, frame, {"documentLoader": refuse_remote_documents, "omitGraph": True}
        )
        back = jsonld.to_rdf(framed, {"documentLoader": refuse_remote_documents})
    except jsonld.JsonLdError as exc:
        raise StoreError(f"cannot write the document of {entity} as JSON: {exc}") from exc
    if len(back.get("@default", [])) != len(set(triples)):
        raise ConflictError(
            f"the document of {entity} holds nodes it does not link to, so it has no JSON form to patch: "
            "upload a whole document instead",
            where=str(entity),
        )
    body = {key: _sorted(value) for key, value in framed.items() if key != "@context"}
    return {"@context": context, **body}


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted(item) for key, item in value.items()}
    if isinstance(value, list):
        items = [_sorted(item) for item in value]
        return sorted(items, key=_order)
    return value


def _order(value: Any) -> tuple[int, str]:
    if isinstance(value, dict) and isinstance(value.get("@id"), str):
        return 0, value["@id"]
    return 1, json.dumps(value, sort_keys=True, ensure_ascii=False)


def entity_tag(document: dict[str, Any]) -> str:
    """A strong entity tag (RFC 9110, section 8.8.3) of an entity's JSON form: equal for equal documents, so
    ``If-Match`` tells whether the entity changed since it was read, whatever wrote to it."""
    text = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return '"' + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32] + '"'


def apply_json_patch(*, document: dict[str, Any], operations: Any, where: str) -> dict[str, Any]:
    """``document`` after the JSON Patch ``operations`` (RFC 6902), applied all or nothing.

    :raises InputError: if ``operations`` is not a JSON Patch (a list of operations with ``op`` and ``path``),
        a path names no member (RFC 6902, section 5: the patch cannot be applied), or the result is not a
        JSON object; ``where`` names the request.
    :raises ConflictError: if a ``test`` operation fails: the document is not what the patch expects.
    """
    if not isinstance(operations, list):
        raise InputError("a JSON Patch is a JSON array of operations (RFC 6902)", where=where)
    try:
        patch = jsonpatch.JsonPatch(operations)
        result = patch.apply(document, in_place=False)
    except jsonpatch.JsonPatchTestFailed as exc:
        raise ConflictError(f"the patch's test failed: {exc}", where=where) from exc
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
        raise InputError(f"the patch cannot be applied: {exc}", where=where) from exc
    except (TypeError, KeyError, ValueError, AttributeError) as exc:
        raise InputError(f"not a JSON Patch (RFC 6902): {exc}", where=where) from exc
    if not isinstance(result, dict):
        raise InputError("the patched document is not a JSON object", where=where)
    return result
