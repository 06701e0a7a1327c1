"""JSON and JSON-LD sources to entity documents, through pyld with the frozen offline loader.

Top level: one object, an array of objects, or an object with ``@graph``; each top-level object is one entity
document, stored in the named graph named by its IRI. Its ``where`` is ``<source>#<JSON pointer>``
(``orders.json#/2``, ``catalog.jsonld#/@graph/0``; the bare source name for a single top-level object).

Which context a document uses decides how it is read:

- no ``@context``, or one that is (or includes) :data:`mlkg.vocab.CONTEXT_IRI`: plain or mlkg JSON, first
  normalised by :mod:`mlkg.ingest.normalize` (types, IRIs, owned nodes, timestamps, ignored fields);
- inline contexts only: standard JSON-LD, read as is; the top-level node must have an ``@id``;
- an object with ``@id`` and ``@graph`` (a named graph, as ``mlkg export --format jsonld`` may write): read
  as is, its graph being the entity's document; mlkg's inferred and ontology graphs are skipped;
- any other remote context: the document is rejected (:class:`ContextError`), nothing is fetched.

Expansion and RDF conversion follow the JSON-LD 1.1 Processing Algorithms and API: section 5.1 (Expansion
Algorithm) and section 8.1 (Deserialize JSON-LD to RDF Algorithm), in processing mode ``json-ld-1.1``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pyld import jsonld as pyld
from rdflib import XSD, BNode, Literal, URIRef

from mlkg.errors import ContextError, InputError, ParseError
from mlkg.ids import IriMinter
from mlkg.ingest.direct import DirectMapping
from mlkg.ingest.document import (
    EntityDocument,
    ParseOutcome,
    check_document,
    describing_nodes,
    is_absolute_iri,
)
from mlkg.ingest.formats import Source
from mlkg.ingest.limits import MAX_JSON_DEPTH, too_deep, too_many_documents
from mlkg.ingest.loader import FrozenContextLoader, remote_context_message
from mlkg.ingest.normalize import ContextTerms, Normaliser, json_pointer
from mlkg.ingest.references import ReferenceLookup
from mlkg.ingest.report import Notice, Rejected
from mlkg.store.base import Object, Subject, Triple
from mlkg.vocab import CONTEXT_IRI, INFERRED_GRAPH, ONTOLOGY_GRAPH, PENDING_GRAPH

__all__ = ["JsonReader"]

_RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
#: JSON-LD error codes (JSON-LD 1.1 API, section 9.5.2 JsonLdErrorCode) raised while processing a context.
_CONTEXT_CODES = frozenset(
    {
        "context overflow",
        "cyclic IRI mapping",
        "invalid @import value",
        "invalid @propagate value",
        "invalid @version value",
        "invalid base IRI",
        "invalid base direction",
        "invalid container mapping",
        "invalid context entry",
        "invalid context nullification",
        "invalid default language",
        "invalid IRI mapping",
        "invalid keyword alias",
        "invalid language mapping",
        "invalid local context",
        "invalid prefix value",
        "invalid protected value",
        "invalid remote context",
        "invalid reverse property",
        "invalid scoped context",
        "invalid term definition",
        "invalid type mapping",
        "invalid vocab mapping",
        "keyword redefinition",
        "loading remote context failed",
        "processing mode conflict",
        "protected term redefinition",
        "recursive context inclusion",
    }
)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


class JsonReader:
    """Reads JSON / JSON-LD sources into :class:`EntityDocument` objects."""

    def __init__(
        self,
        *,
        minter: IriMinter,
        loader: FrozenContextLoader,
        direct: bool = True,
        lookup: ReferenceLookup | None = None,
    ) -> None:
        """``direct=False`` sends plain JSON through pyld too (the reference the direct mapping is tested
        against)."""
        self._minter = minter
        self._loader = loader
        self._normaliser = Normaliser(
            minter=minter, terms=ContextTerms.from_context(loader.context), lookup=lookup
        )
        self._direct = DirectMapping(context=loader.context) if direct else None

    def read(self, *, source: Source, text: str, max_documents: int | None = None) -> ParseOutcome:
        """Split ``text`` into entity documents; malformed parts become rejections, never exceptions. More
        than ``max_documents`` top-level documents reject the whole source before any is read."""
        outcome = ParseOutcome()
        try:
            data = json.loads(text, parse_constant=_reject_constant)
        except RecursionError:
            message = f"the JSON is nested more than {MAX_JSON_DEPTH} levels deep"
            outcome.rejected.append(
                Rejected.from_error(ParseError(message, where=source.name), source=source.name)
            )
            return outcome
        except json.JSONDecodeError as error:
            message = f"malformed JSON: {error.msg} at line {error.lineno} column {error.colno}"
            outcome.rejected.append(
                Rejected.from_error(ParseError(message, where=source.name), source=source.name)
            )
            return outcome
        except ValueError as error:
            outcome.rejected.append(
                Rejected.from_error(
                    ParseError(f"malformed JSON: {error}", where=source.name), source=source.name
                )
            )
            return outcome

        items, inherited = self._split(data, source=source, outcome=outcome)
        if max_documents is not None and len(items) > max_documents:
            where = f"{source.name}#{items[max_documents][0]}"
            too_many = too_many_documents(count=len(items), limit=max_documents, where=where)
            return ParseOutcome(rejected=[Rejected.from_error(too_many, source=source.name)])
        for pointer, item in items:
            self.read_item(name=source.name, pointer=pointer, item=item, inherited=inherited, outcome=outcome)
        return outcome

    def read_item(self, *, name: str, pointer: str, item: Any, inherited: Any, outcome: ParseOutcome) -> None:
        """Read one top-level object of source ``name``, at JSON ``pointer``, with the ``@context`` of an
        enclosing ``@graph`` object (``inherited``), into ``outcome``: a document, or a rejection."""
        where = f"{name}#{pointer}" if pointer else name
        if not isinstance(item, dict):
            message = f"an entity document must be a JSON object, not {_json_kind(item)}"
            outcome.rejected.append(Rejected.from_error(ParseError(message, where=where), source=name))
            return
        deep = too_deep(item)
        if deep is not None:
            message = f"the document is nested more than {MAX_JSON_DEPTH} levels deep"
            at = f"{name}#{pointer}{'' if deep == '/' else deep}"
            outcome.rejected.append(Rejected.from_error(ParseError(message, where=at), source=name))
            return
        try:
            document = self._document(item, inherited=inherited, pointer=pointer, name=name, outcome=outcome)
        except InputError as error:
            # Errors carry a JSON pointer from the source's root ("" for the root itself).
            error.where = f"{name}#{error.where}" if error.where else where
            outcome.rejected.append(Rejected.from_error(error, source=name))
            return
        except RecursionError:  # a deep inherited @context: the JSON-LD processor recurses
            message = f"the document or its @context is nested more than {MAX_JSON_DEPTH} levels deep"
            outcome.rejected.append(Rejected.from_error(ParseError(message, where=where), source=name))
            return
        if document is not None:
            outcome.documents.append(document)

    def _split(
        self, data: Any, *, source: Source, outcome: ParseOutcome
    ) -> tuple[list[tuple[str, Any]], Any]:
        """The top-level objects with their JSON pointers, and a context they inherit (``@graph`` form)."""
        if isinstance(data, list):
            items = [(json_pointer("", i), item) for i, item in enumerate(data)]
            inherited = None
        elif isinstance(data, dict) and "@graph" in data:
            graph = data["@graph"]
            graph = graph if isinstance(graph, list) else [graph]
            items = [(json_pointer("/@graph", i), item) for i, item in enumerate(graph)]
            inherited = data.get("@context")
            for key in data:
                if key not in ("@context", "@graph"):
                    outcome.notices.append(
                        Notice(
                            source.name,
                            f"{source.name}#/{key}",
                            f"top-level key {key!r} beside @graph was ignored",
                        )
                    )
        elif isinstance(data, dict):
            items, inherited = [("", data)], None
        else:
            items, inherited = [("", data)], None
        if not items:
            outcome.rejected.append(
                Rejected.from_error(
                    ParseError(f"{source.name} contains no entity documents", where=source.name),
                    source=source.name,
                )
            )
        return items, inherited

    def _document(
        self, item: dict[str, Any], *, inherited: Any, pointer: str, name: str, outcome: ParseOutcome
    ) -> EntityDocument | None:
        """One entity document, or None for a graph mlkg maintains itself (skipped with a notice).

        A top-level object with ``@id`` and ``@graph`` is a named graph (the JSON-LD form of a TriG graph,
        as ``mlkg export --format jsonld`` writes): its graph is the entity's document, read as is.
        """
        where = f"{name}#{pointer}" if pointer else name
        contexts = _context_list(inherited) + _context_list(item.get("@context"))
        for context in contexts:
            if isinstance(context, str) and context != CONTEXT_IRI:
                raise ContextError(remote_context_message(context), where=json_pointer(pointer, "@context"))
        body = {k: v for k, v in item.items() if k != "@context"}
        named = "@graph" in body
        if named and body.get("@id") in (str(INFERRED_GRAPH), str(ONTOLOGY_GRAPH), str(PENDING_GRAPH)):
            message = f"the graph <{body['@id']}> is maintained by mlkg and was skipped"
            outcome.notices.append(Notice(name, where, message))
            return None
        inline = [c for c in contexts if not isinstance(c, str)]
        references: set[str] = set()
        if (not contexts or CONTEXT_IRI in contexts) and not named:
            normalised = self._normaliser.normalise(
                node=body, pointer=pointer, drop_unknown=not inline and not _has_nested_context(body)
            )
            references = normalised.references
            for at, message in normalised.ignored:
                outcome.notices.append(Notice(name, f"{name}#{at}", message))
            document = {"@context": [CONTEXT_IRI, *inline], **normalised.node}
            direct = None
            if self._direct is not None and not inline and not _has_nested_context(body):
                direct = self._direct.triples(normalised.node)
            if direct is not None:  # plain JSON: the same triples as pyld's, without it
                entity, triples = direct
                focus = frozenset(s for s, _, _ in triples if str(s) not in references) | {entity}
                check_document(entity=entity, triples=triples, where=pointer)
                return EntityDocument(
                    entity=entity, source=name, where=where, triples=tuple(triples), focus=focus
                )
        else:
            document = {"@context": contexts[0] if len(contexts) == 1 else contexts or CONTEXT_IRI, **body}

        dropped: list[str] = []
        entity, dataset = self._to_rdf(document, dropped=dropped, pointer=pointer)
        for field_name in dict.fromkeys(dropped):
            message = f"field {field_name!r} is not defined by the document's @context and was ignored"
            outcome.notices.append(Notice(name, where, message))
        graphs = [graph for graph in dataset if graph != "@default"]
        if named:
            if dataset.get("@default") or any(g != str(entity) for g in graphs):
                raise ParseError(
                    "a named-graph document may only hold the graph named by its @id", where=pointer
                )
            triples = _triples(dataset.get(str(entity), []))
            focus = describing_nodes(entity=entity, triples=triples)
        else:
            if graphs:
                raise ParseError(
                    f"named graphs inside an entity document are not supported (found {graphs[0]}); "
                    "each top-level object is already stored in its own graph",
                    where=pointer,
                )
            triples = _triples(dataset.get("@default", []))
            if references or (not contexts or CONTEXT_IRI in contexts):
                focus = frozenset(s for s, _, _ in triples if str(s) not in references) | {entity}
            else:  # standard JSON-LD: nothing in its JSON tells a reference from a node it describes
                focus = describing_nodes(entity=entity, triples=triples)
        check_document(entity=entity, triples=triples, where=pointer)
        return EntityDocument(entity=entity, source=name, where=where, triples=tuple(triples), focus=focus)

    def _to_rdf(
        self, document: dict[str, Any], *, dropped: list[str], pointer: str
    ) -> tuple[URIRef, dict[str, Any]]:
        """Expand (JSON-LD 1.1 API section 5.1) and deserialize to RDF (section 8.1) with pyld.

        :raises ContextError: a remote context was refused by the loader, or the context is invalid.
        :raises ParseError: any other JSON-LD error, with pyld's message and code.
        """
        processor = pyld.JsonLdProcessor(on_property_dropped=lambda name: dropped.append(str(name)))
        try:
            expanded = processor.expand(document, self._loader.options(base=self._minter.base))
            entity = _entity_of(expanded, pointer=pointer)
            dataset = processor.to_rdf(expanded, self._loader.options(base=self._minter.base))
        except InputError:
            raise
        except Exception as error:  # pyld raises JsonLdError, and plain TypeError/KeyError on odd input
            raise _jsonld_error(error, pointer=pointer) from error
        return entity, dataset


def _entity_of(expanded: Any, *, pointer: str) -> URIRef:
    """The IRI of the one top-level node of an expanded document."""
    nodes = [n for n in expanded if isinstance(n, dict)] if isinstance(expanded, list) else []
    if not nodes:
        raise ParseError(
            "the document states nothing: none of its fields map to an IRI under its @context", where=pointer
        )
    if len(nodes) > 1:
        raise ParseError(
            f"an entity document must describe one top-level node, found {len(nodes)}", where=pointer
        )
    node_id = nodes[0].get("@id")
    if not isinstance(node_id, str) or node_id.startswith("_:") or not is_absolute_iri(node_id):
        raise ParseError(
            "the top-level node needs an absolute IRI as @id (or, with mlkg's context, a type and a "
            "fullyQualifiedName or name to mint one)",
            where=pointer,
        )
    return URIRef(node_id)


def _jsonld_error(error: Exception, *, pointer: str) -> InputError:
    """Our error for a pyld failure: the loader's ContextError if it is in the chain, else pyld's reason."""
    innermost: BaseException = error
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ContextError):
            return ContextError(cause.message, where=json_pointer(pointer, "@context"))
        innermost = cause
        cause = cause.__cause__ or cause.__context__
    code = getattr(innermost, "code", None) or getattr(error, "code", None)
    message = innermost.args[0] if innermost.args else str(innermost)
    text = f"invalid JSON-LD ({code}): {message}" if code else f"invalid JSON-LD: {message}"
    if code in _CONTEXT_CODES:
        return ContextError(text, where=pointer)
    return ParseError(text, where=pointer)


def _triples(dataset: list[Mapping[str, Any]]) -> list[Triple]:
    """pyld's RDF triples as rdflib terms, with fresh blank nodes for this document."""
    bnodes: dict[str, BNode] = {}

    def node(term: Mapping[str, Any]) -> Subject:
        if term["type"] == "blank node":
            return bnodes.setdefault(term["value"], BNode())
        return URIRef(term["value"])

    triples: list[Triple] = []
    for triple in dataset:
        obj = triple["object"]
        value: Object
        if obj["type"] != "literal":
            value = node(obj)
        elif obj.get("language") or obj.get("datatype") == _RDF_LANG_STRING:
            value = _literal(obj["value"], lang=obj.get("language"))
        elif obj.get("datatype") in (None, str(XSD.string)):
            value = Literal(obj["value"])
        else:
            value = Literal(obj["value"], datatype=URIRef(obj["datatype"]))
        triples.append((node(triple["subject"]), URIRef(triple["predicate"]["value"]), value))
    return triples


def _literal(value: str, *, lang: str | None) -> Literal:
    try:
        return Literal(value, lang=lang)
    except ValueError as error:
        raise ParseError(f"invalid language tag {lang!r}") from error


def _context_list(context: Any) -> list[Any]:
    if context is None:
        return []
    return list(context) if isinstance(context, list) else [context]


def _has_nested_context(value: Any) -> bool:
    if isinstance(value, dict):
        return "@context" in value or any(_has_nested_context(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_nested_context(v) for v in value)
    return False


def _json_kind(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )
