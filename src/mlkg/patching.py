"""JSON Patch (RFC 6902) on an entity's JSON form, up to the write (docs/architecture.md, section 7):
:meth:`mlkg.catalog.Catalog.patch` writes what :func:`checked_patch` gives, ``PATCH /id/{type}/{fqn}``
calls it under the write lock.

The entity's own graph is framed into its JSON form (:mod:`mlkg.exports.entityjson`), patched with the
``jsonpatch`` library, read back as the JSON-LD document it now is
(:meth:`~mlkg.ingest.Ingestor.parse_values`) and checked like an upload of it
(:meth:`~mlkg.ingest.Ingestor.check_batch`), so the write that follows is an upload's: one graph replaced, a
version by the version rule, lineage following.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from rdflib import URIRef

from mlkg.errors import DeletedError, InputError, NotFoundError, ParseError, PreconditionError
from mlkg.exports.entityjson import apply_json_patch, entity_json, entity_tag
from mlkg.history import EntityHistory
from mlkg.history.rules import is_entity_graph
from mlkg.ingest import Ingestor
from mlkg.ingest.ingestor import CheckedBatch
from mlkg.ingest.limits import MAX_JSON_DEPTH, too_deep
from mlkg.store import Store
from mlkg.store.base import Triple

__all__ = ["IDENTITY", "checked_patch", "own_document", "parse_patch"]

#: The members of the JSON form that say which entity it is: a patch may not change them.
IDENTITY = ("@context", "@id", "type", "fullyQualifiedName")


def own_document(*, store: Store, history: EntityHistory, entity: URIRef) -> list[Triple]:
    """The triples of ``entity``'s own graph (its document).

    :raises DeletedError: if it was deleted.
    :raises NotFoundError: if it has no graph of its own (a column is described in its table's document).
    """
    triples = [(s, p, o) for s, p, o, _ in store.quads(graph=entity)]
    if triples:
        return triples
    recorded = history.versions(store=store, entity=entity)
    if recorded and recorded[0].deleted:
        raise DeletedError(f"{entity} was deleted (version {recorded[0].version})")
    raise NotFoundError(f"{entity} has no document of its own (it is described in another entity's document)")


def checked_patch(
    *,
    store: Store,
    history: EntityHistory,
    ingestor: Ingestor,
    entity: URIRef,
    operations: Sequence[Mapping[str, Any]],
    version: Decimal | None = None,
    tag: str | None = None,
) -> CheckedBatch:
    """The patched document of ``entity``, checked as an upload of it: its graph to write.

    :raises NotFoundError: as :func:`own_document`; :raises DeletedError: likewise.
    :raises PreconditionError: if the entity is no longer at ``version``, or its form's tag is not ``tag``.
    :raises ConflictError: if a ``test`` operation fails.
    :raises ValidationError: if the shapes refuse the patched document.
    :raises InputError: if ``operations`` is not a JSON Patch, a path names nothing, the entity's graph is
        not an entity document (a version record), or the patch changes its identity (:data:`IDENTITY`).
    """
    where = f"PATCH {entity}"
    if version is not None:
        current = history.versions(store=store, entity=entity)
        if not current or current[0].version != version:
            now = current[0].version if current else "none"
            raise PreconditionError(f"{entity} is at version {now}, not {version}", where=where)
    triples = own_document(store=store, history=history, entity=entity)
    if not is_entity_graph(entity, triples):
        raise InputError(
            f"{entity} is not an entity document (a version record is never changed)", where=where
        )
    document = entity_json(entity=entity, triples=triples)
    if tag is not None and tag != entity_tag(document):
        raise PreconditionError(f"{entity} changed since it was read (its tag is not {tag})", where=where)
    patched = apply_json_patch(document=document, operations=operations, where=where)
    for key in IDENTITY:
        if patched.get(key) != document.get(key):
            raise InputError(f"a patch cannot change '{key}': it says which entity this is", where=where)
    outcome = next(iter(ingestor.parse_values(name=where, values=[("", patched)])))
    if outcome.rejected:
        raise outcome.rejected[0].to_error()
    checked = ingestor.check_batch(parsed=outcome, store=store)
    if checked.report.rejected:
        raise checked.report.rejected[0].to_error()
    return checked


def parse_patch(data: bytes | str, *, where: str) -> Any:
    """The JSON of a patch (a request body or a file).

    :raises ParseError: if it is not JSON, or nested deeper than
        :data:`~mlkg.ingest.limits.MAX_JSON_DEPTH` levels (as every JSON input mlkg reads).
    """
    too_deep_message = f"the JSON Patch is nested more than {MAX_JSON_DEPTH} levels deep"
    try:
        value = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ParseError(f"the JSON Patch is not JSON: {exc}", where=where) from exc
    except RecursionError as exc:
        raise ParseError(too_deep_message, where=where) from exc
    deep = too_deep(value)
    if deep is not None:
        raise ParseError(too_deep_message, where=f"{where}#{deep}")
    return value
