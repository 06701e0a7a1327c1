"""JSON-LD output, compacted with mlkg's own context (``contexts/mlkg.jsonld``).

Quads become a JSON-LD document by the JSON-LD 1.1 Processing Algorithms: *Serialize RDF as JSON-LD*
(section 8.4, ``jsonld.from_rdf``) then *Compaction* (section 6.1, ``jsonld.compact``) against the context
document given inline, and the result keeps that context inline: every JSON-LD processor reads it without
fetching anything (jsonld.js or pyld set not to fetch, and :data:`mlkg.vocab.CONTEXT_IRI` does not resolve on
the web), and ``mlkg load`` reads it back. The CLI, the Python API and every HTTP route write JSON-LD through
this one function (issue 13).

pyld never goes to the network from here: the document loader refuses every URL.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Final, NoReturn

from pyld import jsonld
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, XSD

from mlkg.errors import ContextError, StoreError
from mlkg.resources import context_text
from mlkg.store.base import Object, Quad, Subject

__all__ = ["compact_quads", "refuse_remote_documents"]

_XSD_STRING: Final = str(XSD.string)
_RDF_LANG_STRING: Final = str(RDF.langString)


def refuse_remote_documents(url: str, options: dict[str, Any] | None = None) -> NoReturn:
    """A pyld document loader that loads nothing.

    :raises ContextError: always; exports only compact with the context given inline.
    """
    raise ContextError(f"remote JSON-LD document {url!r} is never fetched")


def _node(term: Subject | URIRef) -> dict[str, str]:
    if isinstance(term, BNode):
        return {"type": "blank node", "value": f"_:{term}"}
    return {"type": "IRI", "value": str(term)}


def _object(term: Object) -> dict[str, str]:
    if not isinstance(term, Literal):
        return _node(term)
    if term.language:
        return {
            "type": "literal",
            "value": str(term),
            "datatype": _RDF_LANG_STRING,
            "language": term.language,
        }
    datatype = _XSD_STRING if term.datatype is None else str(term.datatype)
    return {"type": "literal", "value": str(term), "datatype": datatype}


def compact_quads(*, quads: Iterable[Quad]) -> dict[str, Any]:
    """The quads as one compacted JSON-LD document whose ``@context`` is mlkg's context itself
    (``contexts/mlkg.jsonld``), so that any JSON-LD processor reads the document without fetching anything.

    Named graphs become ``{"@id": graph, "@graph": [...]}`` nodes (JSON-LD 1.1, section 4.9). Literals keep
    their datatype (``useNativeTypes`` is off), so the document converts back to the same RDF. The whole
    document is built in memory.

    :raises StoreError: if the data cannot be expressed in JSON-LD (e.g. an ``rdf:JSON`` literal that is not
        JSON).
    """
    dataset: dict[str, list[dict[str, dict[str, str]]]] = {"@default": []}
    for subject, predicate, obj, graph in quads:
        triples = dataset.setdefault("@default" if graph is None else str(graph), [])
        triples.append({"subject": _node(subject), "predicate": _node(predicate), "object": _object(obj)})
    context = json.loads(context_text())
    try:
        expanded = jsonld.from_rdf(dataset, {"useNativeTypes": False, "useRdfType": False})
        compacted: dict[str, Any] = jsonld.compact(
            expanded, context, {"documentLoader": refuse_remote_documents, "base": None}
        )
    except jsonld.JsonLdError as exc:
        raise StoreError(f"cannot write the data as JSON-LD: {exc}") from exc
    return compacted
