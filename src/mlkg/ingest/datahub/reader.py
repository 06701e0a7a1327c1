"""Reading DataHub aspects into pieces of mlkg documents: the references, values and notices
:mod:`.mapping`'s handlers are made of (one proposal at a time)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mlkg.errors import InputError, ParseError
from mlkg.ids import join_fqn
from mlkg.ingest.datahub.proposals import Proposal
from mlkg.ingest.datahub.urns import DOCUMENT_TYPES, PlatformMap, Urn, field_name, parse_urn
from mlkg.ingest.normalize import json_pointer

__all__ = ["AspectReader", "MappedProposal", "Piece", "key_of"]

#: Keys of aspects that carry nothing mlkg stores and need no notice (bookkeeping, empty defaults).
_SILENT = frozenset({"customProperties", "created", "lastModified", "tags", "date", "hash", "version"})


@dataclass
class Piece:
    """Part of one entity's document; ``weak`` pieces are written only for an entity otherwise known (in
    the same load, or stored), since on their own they would make a document that cannot stand."""

    key: tuple[str, str]
    body: dict[str, Any]
    pointer: str
    weak: bool = False


@dataclass
class MappedProposal:
    """What one aspect change maps to: pieces of documents and what was ignored (pointer, message)."""

    pieces: list[Piece] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)


class AspectReader:
    """The reading of one proposal's aspect: its pieces (:attr:`out`) and what it ignored.

    Every method raises :class:`~mlkg.errors.ParseError` with a JSON pointer in the proposal's item for
    what breaks DataHub's schema where it reads.
    """

    def __init__(self, names: PlatformMap, proposal: Proposal) -> None:
        self._names = names
        self._p = proposal
        self._out = MappedProposal()

    # -- pieces --------------------------------------------------------------------------------------

    def _own(self, urn: Urn) -> dict[str, Any]:
        """This entity's piece (made on first use)."""
        ref = self._bare(urn)
        for piece in self._out.pieces:
            if piece.key == key_of(ref) and piece.pointer == self._p.pointer:
                return piece.body
        body = dict(ref)
        self._piece(key_of(ref), body, pointer=self._p.pointer)
        return body

    def _piece(self, key: tuple[str, str], body: dict[str, Any], *, pointer: str, weak: bool = False) -> None:
        self._out.pieces.append(Piece(key=key, body=body, pointer=pointer, weak=weak))

    def _bare(self, urn: Urn) -> dict[str, Any]:
        """The reference to what ``urn`` names: type, name, fully qualified name."""
        try:
            segments = self._names.segments(urn)
        except InputError as error:
            raise ParseError(error.message, where="/entityUrn") from error
        return _reference(urn, segments)

    def _ref(self, text: Any, *, where: str, kinds: Iterable[str]) -> dict[str, Any]:
        urn = self._urn(text, where=where)
        if urn.entity_type not in kinds:
            raise ParseError(f"{urn.text} is not a DataHub {' or '.join(kinds)}", where=where)
        try:
            return _reference(urn, self._names.segments(urn))
        except InputError as error:
            raise ParseError(error.message, where=where) from error

    def _column(self, text: Any, *, where: str) -> dict[str, Any]:
        urn = self._urn(text, where=where)
        if urn.entity_type != "schemaField" or len(urn.parts) != 2:
            raise ParseError(f"{urn.text} is not a DataHub schemaField", where=where)
        table = self._ref(urn.parts[0], where=where, kinds=("dataset",))
        name = field_name(urn.parts[1])
        return {
            "type": "column",
            "name": name,
            "fullyQualifiedName": f"{table['fullyQualifiedName']}.{join_fqn([name])}",
            "table": table,
        }

    def _refs(self, aspect: Mapping[str, Any], key: str, *, kinds: Iterable[str]) -> list[dict[str, Any]]:
        kinds = tuple(kinds)
        out = []
        for index, text in enumerate(self._list(aspect, key)):
            at = json_pointer(json_pointer(self._p.pointer, key), index)
            if self._urn(text, where=at).entity_type in kinds:
                out.append(self._ref(text, where=at, kinds=kinds))
            else:
                self._ignore(at, f"{text!r} is not a DataHub {' or '.join(kinds)}: not used")
        return out

    def _edges(self, aspect: Mapping[str, Any], key: str, edges: str) -> list[tuple[str, str]]:
        found = [
            (json_pointer(json_pointer(self._p.pointer, key), i), t)
            for i, t in enumerate(self._list(aspect, key))
        ]
        for index, edge in enumerate(self._list(aspect, edges)):
            at = json_pointer(json_pointer(self._p.pointer, edges), index)
            if not isinstance(edge, Mapping):
                raise ParseError("an edge must be a JSON object", where=at)
            found.append((json_pointer(at, "destinationUrn"), edge.get("destinationUrn")))
        unique: dict[Any, str] = {}
        for at, text in found:
            unique.setdefault(text, at)
        return [(at, text) for text, at in unique.items()]

    # -- values --------------------------------------------------------------------------------------

    def _texts(self, aspect: Mapping[str, Any], body: dict[str, Any], keys: Mapping[str, str]) -> None:
        for key, target in keys.items():
            value = aspect.get(key)
            if value is None:
                continue
            if not isinstance(value, str):
                raise ParseError(f"{key!r} must be a string", where=self._at(key))
            if value:
                body[target] = value

    def _url(self, aspect: Mapping[str, Any], body: dict[str, Any]) -> None:
        url = aspect.get("externalUrl")
        if isinstance(url, str) and url.startswith(("http://", "https://")):
            body["sourceUrl"] = url
        elif url is not None:
            self._ignore(self._at("externalUrl"), "an externalUrl that is not an http(s) URL is not used")

    def _version(self, aspect: Mapping[str, Any], body: dict[str, Any]) -> None:
        version = aspect.get("version")
        if isinstance(version, Mapping) and isinstance(version.get("versionTag"), str):
            body["version"] = version["versionTag"]

    def _time(
        self, obj: Mapping[str, Any], key: str, body: dict[str, Any], target: str, *, where: str | None = None
    ) -> None:
        value = obj.get(key)
        if value is None:
            return
        if not isinstance(value, int) or isinstance(value, bool):
            raise ParseError(
                f"{key!r} must be milliseconds since the epoch",
                where=json_pointer(where or self._p.pointer, key),
            )
        if value > 0:  # DataHub writes 0 for "unknown"
            moment = datetime.fromtimestamp(value / 1000, tz=UTC)
            spec = "seconds" if value % 1000 == 0 else "milliseconds"
            body[target] = moment.isoformat(timespec=spec).replace("+00:00", "Z")

    def _stamps(self, aspect: Mapping[str, Any], body: dict[str, Any]) -> None:
        """``created`` / ``lastModified`` time stamps (``{"time": ms}``) as ``createdAt`` / ``updatedAt``."""
        for key, target in (("created", "createdAt"), ("lastModified", "updatedAt")):
            stamp = aspect.get(key)
            if isinstance(stamp, Mapping):
                self._time(stamp, "time", body, target, where=self._at(key))

    def _parameters(self, aspect: Mapping[str, Any]) -> list[dict[str, str]]:
        out = []
        for index, item in enumerate(self._list(aspect, "hyperParams")):
            at = json_pointer(json_pointer(self._p.pointer, "hyperParams"), index)
            if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
                raise ParseError("a hyperparameter needs a name, a string", where=at)
            entry = {"name": item["name"]}
            if item.get("value") is not None:
                entry["value"] = str(item["value"])
            out.append(entry)
        legacy = aspect.get("hyperParameters") or {}
        if not isinstance(legacy, Mapping):
            raise ParseError("'hyperParameters' must be an object", where=self._at("hyperParameters"))
        out.extend({"name": str(k), "value": str(v)} for k, v in legacy.items())
        return out

    def _metrics(self, aspect: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
        out = []
        for index, item in enumerate(self._list(aspect, key)):
            at = json_pointer(json_pointer(self._p.pointer, key), index)
            if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
                raise ParseError("a metric needs a name, a string", where=at)
            try:
                value = float(item.get("value"))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                self._ignore(json_pointer(at, "value"), "a metric whose value is not a number is not used")
                continue
            out.append({"name": item["name"], "value": value})
        return out

    def _list(self, obj: Mapping[str, Any], key: str, *, where: str | None = None) -> list[Any]:
        value = obj.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise ParseError(f"{key!r} must be an array", where=json_pointer(where or self._p.pointer, key))
        return value

    def _rest(self, aspect: Mapping[str, Any], used: set[str]) -> None:
        for key, value in aspect.items():
            if key in used or (key in _SILENT and not _meaningful(key, value)):
                continue
            self._ignore(self._at(key), f"{key!r} of aspect {self._p.aspect_name!r} is not used")

    def _urn(self, text: Any, *, where: str) -> Urn:
        try:
            return parse_urn(text)
        except InputError as error:
            raise ParseError(error.message, where=where) from error

    def _at(self, key: str) -> str:
        return json_pointer(self._p.pointer, key)

    def _ignore(self, pointer: str, message: str) -> None:
        self._out.ignored.append((pointer, message))


def _meaningful(key: str, value: Any) -> bool:
    """A bookkeeping key worth a notice: non-empty tags (custom properties are kept: :mod:`.mapping`)."""
    return key == "tags" and bool(value)


def _reference(urn: Urn, segments: list[str]) -> dict[str, Any]:
    fqn = join_fqn(segments)
    if urn.entity_type == "schemaField":
        return {"type": "column", "name": segments[-1], "fullyQualifiedName": fqn}
    return {"type": DOCUMENT_TYPES[urn.entity_type], "name": segments[-1], "fullyQualifiedName": fqn}


def key_of(reference: Mapping[str, Any]) -> tuple[str, str]:
    return (reference["type"], reference["fullyQualifiedName"])
