"""Normalisation of plain (OpenMetadata-shaped) JSON before JSON-LD expansion.

Documents that use mlkg's context (no ``@context``, or one naming :data:`mlkg.vocab.CONTEXT_IRI`) are walked
once before pyld sees them, to do what a JSON-LD context cannot:

- ``type`` / ``@type`` values that are entity type names (``"column"``, ``"mlmodel"``, any name
  :meth:`IriMinter.type_named` accepts) become class IRIs: a context cannot map them, as names like
  ``table`` or ``service`` are also property terms;
- a top-level entity with a ``service`` and a name but no fully qualified name (a create request) gets
  OpenMetadata's: the service's FQN, then its name (``mlflow_prod.churn_model``);
- every entity node gets an ``@id``: an explicit ``@id`` is kept; an ``id`` holding an absolute IRI is used
  as ``@id`` (any other ``id``, such as an OpenMetadata UUID, stays the literal ``mlkg:externalId``);
  references and top-level entities are minted from their type and fully qualified name (else name);
- owned nested structures get a type and an IRI minted under their parent's FQN (see ``_OWNED``): features,
  feature sources, hyperparameters, metrics, the model store, a table's columns, tag labels (with their
  classification, the tag FQN's first segment), a metric's history points (named by their position in the
  list: ``{metric FQN}.0``, ``.1``, ...), source tags, a model version's logged model, a model's
  ``modelCard`` (named by the model's FQN) and custom properties. MLflow-style maps are accepted for
  ``parameters``, ``metrics`` and ``sourceTags`` (``{"learning_rate": "0.01"}``); ``extension`` (OpenMetadata)
  and ``customProperties`` (DataHub) are maps of name to any JSON value, one custom property per name;
- a ``signature`` or ``schema`` given as JSON (MLflow's ``{"inputs": ..., "outputs": ...}``) becomes its
  JSON text, as MLflow import stores it; ``dependencies`` may hold conda-style ``{"pip": [...]}`` objects,
  whose requirements are listed with the others;
- inside a property with a scoped context (``modelCard``: ``trainingData`` is text there), that context's
  terms are read as it defines them;
- epoch-millisecond integers in ``updatedAt`` / ``createdAt`` / ``startTime`` / ``endTime`` /
  ``timestamp`` become ``xsd:dateTime`` strings, and a numeric ``version`` becomes a string (a version is a
  label);
- OpenMetadata create-request shorthands (``api/data/createMlModel.json``): ``service``, ``domains``,
  ``dataProducts`` and ``dashboard`` given as fully qualified names and ``followers`` as user names become
  entity references of their type; ``owners`` given as names become the one user or team of that name the
  store knows (:mod:`mlkg.ingest.references`);
- an entity reference with an ``id`` but no fully qualified name names the entity the store knows by that
  external id (of the reference's type); given only by an id the store does not know, it is rejected;
- an ``addLineage`` request (``{"edge": {...}}``) becomes a lineage edge document (:mod:`mlkg.ingest.edges`);
- keys that are not terms of the context would be dropped by JSON-LD expansion (JSON-LD 1.1 API, section
  5.1.2, Expansion Algorithm step 13.3); they are removed here and reported with their JSON pointer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Literal

from rdflib import URIRef

from mlkg.errors import InputError, ParseError
from mlkg.ids import EntityType, IriMinter, join_fqn, split_fqn
from mlkg.ingest.document import is_absolute_iri
from mlkg.ingest.edges import edge_node, is_edge_request
from mlkg.ingest.fieldvalues import custom_value, json_text, requirements
from mlkg.ingest.references import ReferenceLookup
from mlkg.ingest.shorthands import named_reference, owner_named, resolve_id, service_fqn
from mlkg.vocab import NS

__all__ = ["ContextTerms", "Normalised", "Normaliser", "json_pointer"]

_TIMESTAMP_KEYS = frozenset({"updatedAt", "createdAt", "startTime", "endTime", "timestamp"})
#: Keys of an OpenMetadata EntityReference (type/entityReference.json): an object with an explicit type or
#: id and only these keys refers to an entity described elsewhere.
_REFERENCE_KEYS = frozenset(
    {"id", "@id", "type", "@type", "name", "fullyQualifiedName", "displayName", "description", "href"}
    | {"deleted", "inherited"}
)
_JSONLD_KEYWORDS = frozenset(
    {"@context", "@id", "@type", "@graph", "@reverse", "@included", "@index", "@nest", "@value", "@list"}
    | {"@set", "@language", "@direction", "@json"}
)


@dataclass(frozen=True)
class _Owned:
    """A property whose object nodes belong to the parent entity's document."""

    type_name: str
    #: child: parent FQN + the node's name; parent: the parent's FQN; tag: the tagFQN; index: parent FQN +
    #: the node's position in its list (nodes without a name of their own, such as metric points).
    fqn: Literal["child", "parent", "tag", "index"]
    #: Whether the node's own fullyQualifiedName, if given, names it.
    own_fqn: bool


_FEATURE = _Owned("feature", "child", own_fqn=True)
_PARAMETER = _Owned("hyperParameter", "child", own_fqn=False)
_CUSTOM = _Owned("customProperty", "child", own_fqn=False)
_OWNED: Mapping[str, _Owned] = MappingProxyType(
    {
        "mlFeatures": _FEATURE,
        "features": _FEATURE,
        # An OpenMetadata featureSource's fullyQualifiedName is its column's FQN: kept as a literal only.
        "featureSources": _Owned("featureSource", "child", own_fqn=False),
        "mlHyperParameters": _PARAMETER,
        "parameters": _PARAMETER,
        "metrics": _Owned("metric", "child", own_fqn=False),
        "mlStore": _Owned("modelStore", "parent", own_fqn=False),
        "columns": _Owned("column", "child", own_fqn=True),
        "tags": _Owned("tag", "tag", own_fqn=True),
        "history": _Owned("metricPoint", "index", own_fqn=False),
        "sourceTags": _Owned("sourceTag", "child", own_fqn=False),
        "loggedModel": _Owned("loggedModel", "parent", own_fqn=False),
        "modelCard": _Owned("modelCard", "parent", own_fqn=False),
        "extension": _CUSTOM,
        "customProperties": _CUSTOM,
    }
)
#: Properties that also accept an MLflow-style map of name to value.
_MAP_KEYS = frozenset({"parameters", "metrics", "sourceTags"})
#: Custom properties: OpenMetadata's entity ``extension`` and DataHub's ``customProperties``, an object of
#: name to value (any JSON value: one that is not a string, number, boolean or list of them is kept as its
#: JSON text).
_CUSTOM_KEYS = frozenset({"extension", "customProperties"})
#: Values kept as JSON text when given as JSON (an MLflow model signature, a dataset schema).
_JSON_TEXT_KEYS = frozenset({"signature", "schema"})


def json_pointer(parent: str, key: str | int) -> str:
    """``parent`` extended by one reference token (RFC 6901 section 3: ``~`` as ``~0``, ``/`` as ``~1``)."""
    token = str(key).replace("~", "~0").replace("/", "~1")
    return f"{parent}/{token}"


@dataclass(frozen=True)
class ContextTerms:
    """The terms a JSON-LD context defines, and which of them take IRIs (``"@type": "@id"``)."""

    terms: frozenset[str]
    iri_terms: frozenset[str]
    #: For a property with a scoped context, the terms that context defines as not taking IRIs (inside
    #: ``modelCard``, ``trainingData`` is text, not the model's training datasets).
    scoped_literals: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def from_context(cls, document: Mapping[str, Any]) -> ContextTerms:
        terms: set[str] = set()
        iri_terms: set[str] = set()
        scoped_literals: dict[str, frozenset[str]] = {}

        def visit(context: Mapping[str, Any]) -> None:
            for term, definition in context.items():
                if term.startswith("@"):
                    continue
                terms.add(term)
                if isinstance(definition, Mapping):
                    if _takes_iri(definition):
                        iri_terms.add(term)
                    scoped = definition.get("@context")
                    if isinstance(scoped, Mapping):
                        visit(scoped)
                        scoped_literals[term] = frozenset(
                            k for k, d in scoped.items() if not k.startswith("@") and not _takes_iri(d)
                        )

        visit(document.get("@context", {}))
        return cls(
            terms=frozenset(terms),
            iri_terms=frozenset(iri_terms),
            scoped_literals=MappingProxyType(scoped_literals),
        )

    def takes_iri(self, key: str, *, literals: frozenset[str]) -> bool:
        """True if ``key`` takes IRIs where the scoped contexts in force make ``literals`` plain terms."""
        return key in self.iri_terms and key not in literals

    def known(self, key: str) -> bool:
        """True if JSON-LD expansion keeps ``key``: a term, a keyword, or an absolute / compact IRI."""
        if key.startswith("@"):
            return key in _JSONLD_KEYWORDS
        return key in self.terms or ":" in key


@dataclass
class Normalised:
    """The normalised top-level node, the ``@id`` of the references in it, and ignored fields."""

    node: dict[str, Any]
    references: set[str] = field(default_factory=set)
    #: (JSON pointer, message) of each field dropped because it is not in the vocabulary.
    ignored: list[tuple[str, str]] = field(default_factory=list)


class Normaliser:
    """Walks one entity document that uses mlkg's context; see the module docstring for what it does."""

    def __init__(
        self, *, minter: IriMinter, terms: ContextTerms, lookup: ReferenceLookup | None = None
    ) -> None:
        self._minter = minter
        self._terms = terms
        self._lookup = lookup

    def normalise(self, *, node: Mapping[str, Any], pointer: str, drop_unknown: bool) -> Normalised:
        """Normalise the top-level ``node`` found at JSON ``pointer`` of its source.

        ``drop_unknown`` removes and reports keys that are not terms of mlkg's context; pass False when the
        document adds inline contexts, whose terms this walk does not know.

        :raises ParseError: the entity has no type, no name or FQN (and no ``@id``), an unknown entity type,
            a malformed FQN or timestamp, or a string where an IRI is needed that is not an absolute IRI;
            ``where`` is the JSON pointer of the offending field.
        :raises ValidationError: a reference by id or an owner by name that the store does not know (or
            knows several of).
        """
        result = Normalised(node={})
        walk = _Walk(self._minter, self._terms, result, drop_unknown=drop_unknown, lookup=self._lookup)
        if is_edge_request(node):
            edge = edge_node(request=node, pointer=pointer, minter=self._minter, reference=walk.reference)
            result.node = edge.node
            result.references.update(edge.references)
            result.ignored.extend(edge.ignored)
            return result
        result.node = walk.node(
            node, pointer=pointer, top=True, owned=None, parent_fqn=None, index=None, literals=frozenset()
        )
        return result


class _Walk:
    def __init__(
        self,
        minter: IriMinter,
        terms: ContextTerms,
        result: Normalised,
        *,
        drop_unknown: bool,
        lookup: ReferenceLookup | None,
    ):
        self._minter = minter
        self._terms = terms
        self._result = result
        self._drop_unknown = drop_unknown
        self._lookup = lookup
        #: The type of the document's top-level entity, once known.
        self._top: EntityType | None = None

    def reference(self, obj: Mapping[str, Any], pointer: str) -> dict[str, Any]:
        """A nested entity reference (or string shorthand) normalised as any reference in a document."""
        return self.node(
            obj, pointer=pointer, top=False, owned=None, parent_fqn=None, index=None, literals=frozenset()
        )

    # Nodes ---------------------------------------------------------------------------------------------

    def node(
        self,
        obj: Mapping[str, Any],
        *,
        pointer: str,
        top: bool,
        owned: _Owned | None,
        parent_fqn: list[str] | None,
        index: int | None,
        literals: frozenset[str],
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        types, entity_type = self._types(obj, pointer=pointer)
        if not types:
            if owned is not None:
                entity_type = self._minter.type_named(owned.type_name)
            elif top and ("algorithm" in obj or "mlFeatures" in obj):
                entity_type = self._minter.type_named("mlmodel")  # OpenMetadata MlModel has no type field
            elif top:
                raise ParseError(
                    'the document has no \'type\': say which kind of entity it is, e.g. "type": "mlmodel" '
                    f"(known types: {', '.join(n for n in self._minter.type_names() if n[:1].islower())})",
                    where=pointer,
                )
            if entity_type is not None:
                types = [str(entity_type.cls)]
        if types:
            out["@type"] = types
        if top:
            self._top = entity_type

        fqn = self._fqn(obj, pointer=pointer, owned=owned, parent_fqn=parent_fqn, index=index)
        if top and "fullyQualifiedName" not in obj and "@id" not in obj and fqn is not None:
            fqn = service_fqn(obj, pointer=pointer, name=fqn)
            if len(fqn) > 1:
                out["fullyQualifiedName"] = join_fqn(fqn)
        node_id = self._node_id(obj, pointer=pointer, top=top, entity_type=entity_type, fqn=fqn)
        if node_id is not None:
            out["@id"] = node_id
            if fqn is None:
                parsed = self._minter.parse(node_id)
                fqn = parsed[1] if parsed else None
            if not top and self._is_reference(obj):
                self._result.references.add(node_id)

        for key, value in obj.items():
            child = json_pointer(pointer, key)
            if key in ("@type", "type", "@id") or (key == "id" and out.get("@id") == value):
                continue
            if key == "id" or key.startswith("@"):
                out[key] = value
                if key.startswith("@") and not self._terms.known(key):
                    self._ignore(key, child)
                    del out[key]
                continue
            if self._drop_unknown and not self._terms.known(key):
                self._ignore(key, child)
                continue
            if key == "tags" and isinstance(value, dict) and self._is_name_value_map(value):
                key = "sourceTags"  # key/value tags (MLflow, DataHub): {"team": "risk"}, not tag labels
                if key in obj:
                    raise InputError(f"{child} gives key/value tags and sourceTags: give one", where=child)
            out[key] = self._value(key, value, pointer=child, parent_fqn=fqn, literals=literals)

        if owned is not None and owned.fqn == "tag" and "classification" not in obj and fqn and len(fqn) > 1:
            out["classification"] = self._classification(fqn[0])
        return out

    def _types(self, obj: Mapping[str, Any], *, pointer: str) -> tuple[list[str], EntityType | None]:
        types: list[str] = []
        entity_type: EntityType | None = None
        for key in ("@type", "type"):
            if key not in obj:
                continue
            raw = obj[key]
            at = json_pointer(pointer, key)
            for index, value in enumerate(raw if isinstance(raw, list) else [raw]):
                where = json_pointer(at, index) if isinstance(raw, list) else at
                if not isinstance(value, str):
                    raise ParseError(
                        f"'{key}' must be a string naming an entity type, not {value!r}", where=where
                    )
                iri, found = self._resolve_type(value, where=where)
                types.append(iri)
                entity_type = entity_type or found
        return types, entity_type

    def _resolve_type(self, value: str, *, where: str) -> tuple[str, EntityType | None]:
        if value.startswith("mlkg:"):
            return value, self._minter.type_of_class(URIRef(NS + value[len("mlkg:") :]))
        if ":" in value:
            return value, self._minter.type_of_class(URIRef(value))
        try:
            found = self._minter.type_named(value)
        except InputError as error:
            if value in self._terms.terms:  # a class term of the context without an IRI segment (Owner)
                return value, None
            raise ParseError(error.message, where=where) from error
        return str(found.cls), found

    def _fqn(
        self,
        obj: Mapping[str, Any],
        *,
        pointer: str,
        owned: _Owned | None,
        parent_fqn: list[str] | None,
        index: int | None,
    ) -> list[str] | None:
        own = obj.get("fullyQualifiedName")
        name = obj.get("name")
        if owned is not None and owned.fqn == "index":
            return [*parent_fqn, str(index or 0)] if parent_fqn else None
        try:
            if owned is not None and owned.fqn == "tag" and isinstance(obj.get("tagFQN"), str):
                return split_fqn(obj["tagFQN"])
            if owned is not None and owned.fqn == "parent":
                return parent_fqn
            if isinstance(own, str) and (owned is None or owned.own_fqn):
                return split_fqn(own)
        except InputError as error:
            raise ParseError(error.message, where=json_pointer(pointer, "fullyQualifiedName")) from error
        if not isinstance(name, str) or not name:
            return None
        if owned is not None and owned.fqn == "child":
            return [*parent_fqn, name] if parent_fqn else None
        return [name]

    def _node_id(
        self,
        obj: Mapping[str, Any],
        *,
        pointer: str,
        top: bool,
        entity_type: EntityType | None,
        fqn: list[str] | None,
    ) -> str | None:
        explicit = obj.get("@id")
        if explicit is not None:
            if not isinstance(explicit, str) or not (explicit.startswith("_:") or is_absolute_iri(explicit)):
                raise ParseError(
                    f"@id must be an absolute IRI, not {explicit!r}", where=json_pointer(pointer, "@id")
                )
            return explicit
        external = obj.get("id")
        if isinstance(external, str) and is_absolute_iri(external):
            return external
        if (
            not top
            and isinstance(external, str)
            and "fullyQualifiedName" not in obj
            and self._is_reference(obj)
        ):
            known = resolve_id(
                lookup=self._lookup,
                external=external,
                entity_type=entity_type,
                pointer=pointer,
                required=not fqn,
            )
            if known is not None:
                return known
        if entity_type is not None and fqn:
            try:
                return str(self._minter.mint(segment=entity_type.segment, fqn=fqn))
            except InputError as error:
                raise ParseError(error.message, where=pointer) from error
        if top:
            raise ParseError(
                "the entity needs a 'fullyQualifiedName' or a 'name' (or an explicit '@id') to be identified",
                where=pointer,
            )
        return None

    def _named(self, key: str, value: str, *, pointer: str) -> dict[str, Any] | None:
        """The reference a create-request string names (:mod:`mlkg.ingest.shorthands`), normalised; None if
        ``key`` takes no such string."""
        if key == "owners":
            iri, cls = owner_named(lookup=self._lookup, name=value, pointer=pointer)
            self._result.references.add(str(iri))
            return {"@id": str(iri), "@type": [str(cls)]}
        named = named_reference(key=key, value=value, top=self._top)
        if named is None:
            return None
        return self.node(
            named, pointer=pointer, top=False, owned=None, parent_fqn=None, index=None, literals=frozenset()
        )

    @staticmethod
    def _is_reference(obj: Mapping[str, Any]) -> bool:
        explicit = any(k in obj for k in ("type", "@type", "id", "@id"))
        return explicit and all(k in _REFERENCE_KEYS for k in obj)

    def _classification(self, name: str) -> dict[str, Any]:
        entity_type = self._minter.type_named("classification")
        iri = str(self._minter.mint(segment=entity_type.segment, fqn=[name]))
        self._result.references.add(iri)
        return {"@id": iri, "@type": [str(entity_type.cls)], "name": name}

    def _ignore(self, key: str, pointer: str) -> None:
        self._result.ignored.append(
            (pointer, f"field {key!r} at {pointer} is not in the mlkg vocabulary and was ignored")
        )

    # Values --------------------------------------------------------------------------------------------

    def _value(
        self, key: str, value: Any, *, pointer: str, parent_fqn: list[str] | None, literals: frozenset[str]
    ) -> Any:
        if key in _TIMESTAMP_KEYS:
            return _each(value, lambda v, i: _timestamp(v, where=_item_pointer(pointer, value, i)))
        if key == "version":
            return _each(value, lambda v, i: str(v) if _is_number(v) else v)
        if key in _JSON_TEXT_KEYS and isinstance(value, dict | list):
            return json_text(value)
        if key == "dependencies":
            value = requirements(value)
        owned = _OWNED.get(key)
        if key in _MAP_KEYS and isinstance(value, dict) and self._is_name_value_map(value):
            value = [{"name": k, "value": v} for k, v in value.items()]
        if key in _CUSTOM_KEYS and isinstance(value, dict) and not ({"@id", "@type"} & set(value)):
            # A null (or empty) value says the property is unset, as JSON-LD reads null.
            value = [{"name": k, "value": custom_value(v)} for k, v in value.items() if v not in (None, [])]
        scoped = self._terms.scoped_literals.get(key)
        inner = literals | scoped if scoped else literals
        if isinstance(value, list):
            return [
                self._item(
                    key,
                    v,
                    pointer=json_pointer(pointer, i),
                    owned=owned,
                    parent_fqn=parent_fqn,
                    index=i,
                    literals=inner,
                )
                for i, v in enumerate(value)
            ]
        return self._item(
            key, value, pointer=pointer, owned=owned, parent_fqn=parent_fqn, index=None, literals=inner
        )

    def _item(
        self,
        key: str,
        value: Any,
        *,
        pointer: str,
        owned: _Owned | None,
        parent_fqn: list[str] | None,
        index: int | None,
        literals: frozenset[str],
    ) -> Any:
        if isinstance(value, str) and owned is not None and owned.fqn == "tag" and not is_absolute_iri(value):
            value = {"tagFQN": value}  # "tags": ["PII.Sensitive"]
        if isinstance(value, dict):
            if any(k in value for k in ("@value", "@list", "@set")):
                return value
            return self.node(
                value,
                pointer=pointer,
                top=False,
                owned=owned,
                parent_fqn=parent_fqn,
                index=index,
                literals=literals,
            )
        if (
            isinstance(value, str)
            and self._terms.takes_iri(key, literals=literals)
            and not (value.startswith("_:") or is_absolute_iri(value))
        ):
            named = self._named(key, value, pointer=pointer)
            if named is not None:
                return named
            raise ParseError(
                f"{key!r} needs an IRI or an entity reference such as "
                f'{{"type": "table", "fullyQualifiedName": "..."}}, not {value!r}',
                where=pointer,
            )
        return value

    def _is_name_value_map(self, value: Mapping[str, Any]) -> bool:
        """An MLflow-style ``{name: value}`` map rather than one node object."""
        if any(k in value for k in ("name", "@id", "id", "type", "@type")):
            return False
        scalars = all(isinstance(v, str | int | float | bool) for v in value.values())
        return scalars and any(not self._terms.known(k) for k in value)


def _takes_iri(definition: Any) -> bool:
    return isinstance(definition, Mapping) and definition.get("@type") == "@id"


def _each(value: Any, convert: Any) -> Any:
    if isinstance(value, list):
        return [convert(v, i) for i, v in enumerate(value)]
    return convert(value, None)


def _item_pointer(pointer: str, value: Any, index: int | None) -> str:
    return json_pointer(pointer, index) if isinstance(value, list) and index is not None else pointer


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _timestamp(value: Any, *, where: str) -> Any:
    """Epoch milliseconds (OpenMetadata, MLflow) as an ``xsd:dateTime`` lexical form in UTC."""
    if not isinstance(value, int) or isinstance(value, bool):
        return value
    try:
        moment = datetime.fromtimestamp(value / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError) as error:
        raise ParseError(f"{value} is not a valid epoch-millisecond timestamp", where=where) from error
    spec = "seconds" if value % 1000 == 0 else "milliseconds"
    return moment.isoformat(timespec=spec).replace("+00:00", "Z")
