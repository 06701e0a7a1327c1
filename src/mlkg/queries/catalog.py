"""The catalog of named queries in ``queries/*.rq`` and their typed parameters.

Each file starts with a comment header::

    # name: feature-sources
    # description: The source columns and tables that feed each feature of a model.
    # param: model iri required
    # param: limit integer optional 100

A parameter named ``model`` is the query variable ``?model``; its value is converted to an RDF term of the
declared type and bound by the store before evaluation (SEP-0007 substitution on the embedded store), never
formatted into the query text (docs/architecture.md, habit 5).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import Enum

from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from mlkg.errors import NotFoundError, QueryError
from mlkg.resources import query_files
from mlkg.store.base import QueryResult, Store, Term

__all__ = ["NamedQuery", "ParamType", "Parameter", "QueryCatalog"]

_HEADER = re.compile(r"^#\s*(name|description|param)\s*:\s*(.*?)\s*$")
_PROJECTION = re.compile(r"\bSELECT\b(.*?)(?:\bWHERE\b|\{)", re.IGNORECASE | re.DOTALL)
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*$")


class ParamType(str, Enum):
    """Types a named-query parameter can declare."""

    IRI = "iri"
    STRING = "string"
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"

    def term(self, value: str, *, name: str) -> Term:
        """Convert a user-given string to an RDF term of this type.

        :raises QueryError: if ``value`` is not a valid value of this type.
        """
        if self is ParamType.IRI:
            if not _IRI.match(value):
                raise QueryError(f"parameter {name!r} must be an absolute IRI, got {value!r}")
            return URIRef(value)
        if self is ParamType.STRING:
            return Literal(value)
        if self is ParamType.INTEGER:
            try:
                return Literal(int(value), datatype=XSD.integer)
            except ValueError as error:
                raise QueryError(f"parameter {name!r} must be an integer, got {value!r}") from error
        if self is ParamType.DECIMAL:
            try:
                return Literal(Decimal(value), datatype=XSD.decimal)
            except InvalidOperation as error:
                raise QueryError(f"parameter {name!r} must be a decimal number, got {value!r}") from error
        if value.lower() not in ("true", "false", "1", "0"):
            raise QueryError(f"parameter {name!r} must be true or false, got {value!r}")
        return Literal(value.lower() in ("true", "1"), datatype=XSD.boolean)


@dataclass(frozen=True)
class Parameter:
    """A declared parameter of a named query."""

    name: str
    type: ParamType
    required: bool
    default: str | None = None


@dataclass(frozen=True)
class NamedQuery:
    """A named query: its header and its SPARQL text."""

    name: str
    description: str
    parameters: tuple[Parameter, ...]
    text: str

    @classmethod
    def parse(cls, *, name: str, text: str) -> NamedQuery:
        """Read the header of a query file.

        :raises QueryError: on a malformed header (unknown parameter type, missing description, a parameter
            whose variable the query does not use).
        """
        description = ""
        params: list[Parameter] = []
        declared_name = name
        for line in text.splitlines():
            if not line.startswith("#"):
                if line.strip():
                    break
                continue
            match = _HEADER.match(line)
            if not match:
                continue
            key, value = match.groups()
            if key == "name":
                declared_name = value
            elif key == "description":
                description = value
            else:
                params.append(_parse_param(value, query=name))
        if declared_name != name:
            raise QueryError(f"query file {name}.rq declares the name {declared_name!r}")
        if not description:
            raise QueryError(f"query {name!r} has no '# description:' header line")
        projection = _PROJECTION.search(_strip_comments(text))
        for param in params:
            if not re.search(rf"[?$]{re.escape(param.name)}\b", text):
                raise QueryError(
                    f"query {name!r} declares parameter {param.name!r} but never uses ?{param.name}"
                )
            # The embedded engine binds parameters by SEP-0007 substitution, which needs the variable in the
            # SELECT projection (or SELECT *).
            if projection and not re.search(rf"\*|[?$]{re.escape(param.name)}\b", projection.group(1)):
                raise QueryError(f"query {name!r} must project its parameter ?{param.name} in SELECT")
        return cls(name=name, description=description, parameters=tuple(params), text=text)

    def bindings(
        self, *, arguments: Mapping[str, str], resolve: Callable[[str], URIRef] | None = None
    ) -> dict[str, Term]:
        """Typed RDF terms for the given string arguments, with defaults applied. ``resolve`` turns the value
        of an ``iri`` parameter into the entity it names (an IRI, fully qualified name or unique name:
        :mod:`mlkg.queries.resolve`); without it the value must be an absolute IRI.

        :raises QueryError: on a missing required parameter, an unknown one, or a value of the wrong type.
        :raises NotFoundError: if ``resolve`` finds no entity for an ``iri`` parameter.
        :raises InputError: if ``resolve`` finds several.
        """
        known = {p.name for p in self.parameters}
        unknown = sorted(set(arguments) - known)
        if unknown:
            names = ", ".join(sorted(known)) or "none"
            raise QueryError(f"query {self.name!r} has no parameter {unknown[0]!r}; parameters: {names}")
        bound: dict[str, Term] = {}
        for param in self.parameters:
            value = arguments.get(param.name, param.default)
            if value is None:
                if param.required:
                    raise QueryError(
                        f"query {self.name!r} needs the parameter {param.name!r} ({param.type.value})"
                    )
                continue
            if resolve is not None and param.type is ParamType.IRI:
                bound[param.name] = resolve(value)
            else:
                bound[param.name] = param.type.term(value, name=param.name)
        return bound

    def run(self, *, store: Store, arguments: Mapping[str, str], timeout: float | None = None) -> QueryResult:
        """Run the query on ``store`` with the arguments bound as RDF terms."""
        return store.query(query=self.text, bindings=self.bindings(arguments=arguments), timeout=timeout)


def _strip_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def _parse_param(spec: str, *, query: str) -> Parameter:
    parts = spec.split()
    if len(parts) < 3 or parts[2] not in ("required", "optional"):
        raise QueryError(
            f"query {query!r}: malformed '# param: {spec}' (want: NAME TYPE required|optional [DEFAULT])"
        )
    name, type_name, requirement = parts[:3]
    try:
        param_type = ParamType(type_name)
    except ValueError as error:
        types = ", ".join(t.value for t in ParamType)
        raise QueryError(
            f"query {query!r}: parameter {name!r} has unknown type {type_name!r} ({types})"
        ) from error
    default = " ".join(parts[3:]) or None
    return Parameter(name=name, type=param_type, required=requirement == "required", default=default)


class QueryCatalog:
    """The named queries shipped in ``queries/``."""

    def __init__(self, *, queries: Iterable[NamedQuery]) -> None:
        self._queries = {q.name: q for q in queries}

    @classmethod
    def load(cls) -> QueryCatalog:
        """Read every ``queries/*.rq`` file shipped with mlkg."""
        return cls(queries=[NamedQuery.parse(name=name, text=text) for name, text in query_files()])

    def names(self) -> list[str]:
        return sorted(self._queries)

    def __iter__(self) -> Iterator[NamedQuery]:
        return iter([self._queries[n] for n in self.names()])

    def get(self, *, name: str) -> NamedQuery:
        """The named query ``name``.

        :raises NotFoundError: if there is no such query.
        """
        try:
            return self._queries[name]
        except KeyError:
            raise NotFoundError(f"no named query {name!r}; queries: {', '.join(self.names())}") from None
