"""Webhook subscriptions: what they are, which events they want, and how they are kept in the store's
subscriptions graph (:data:`mlkg.vocab.SUBSCRIPTIONS_GRAPH`; docs/architecture.md, section 8).

The graph is maintained by mlkg (no upload, Graph Store or SPARQL Update write reaches it, and an update
dropping every graph leaves it as it was), so subscriptions survive restarts on every backend. It is written
on the wrapped store directly, as the write journal is. What it holds (URL, kinds, filters) can be read
through ``/sparql``; the signing secrets are not in it (:mod:`.keys`).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from rdflib import RDF, XSD, Literal, URIRef
from rdflib.namespace import DCTERMS

from mlkg.errors import MlkgError, NotFoundError, ValidationError
from mlkg.events.model import ChangeEvent, EventKind
from mlkg.store.base import Store, Triple
from mlkg.vocab import MLKG, SUBSCRIPTIONS_GRAPH

__all__ = ["SUBSCRIPTIONS", "EventFilter", "Subscription", "SubscriptionBook"]

#: The namespace of subscription IRIs: ``{SUBSCRIPTIONS}{id}``.
SUBSCRIPTIONS: Final = "https://w3id.org/mlkg/subscription/"


@dataclass(frozen=True)
class EventFilter:
    """Which events pass: of the given kinds, about an entity of one of ``types``, carrying one of ``tags``
    (fully qualified name or IRI), that is ``upstream_of`` or upstream of it. An empty part lets all pass."""

    kinds: frozenset[EventKind] = field(default_factory=frozenset)
    types: frozenset[URIRef] = field(default_factory=frozenset)
    tags: frozenset[str] = field(default_factory=frozenset)
    upstream_of: URIRef | None = None

    def passes(self, event: ChangeEvent) -> bool:
        return (
            (not self.kinds or event.kind in self.kinds)
            and (not self.types or not self.types.isdisjoint(event.types))
            and (not self.tags or not self.tags.isdisjoint(event.tags))
            and (
                self.upstream_of is None
                or event.entity == self.upstream_of
                or self.upstream_of in event.downstream
            )
        )

    @classmethod
    def parse(
        cls,
        *,
        kinds: Iterable[str],
        types: Iterable[str],
        tags: Iterable[str],
        upstream_of: str | None,
        type_class: Callable[[str], URIRef],
        resolve: Callable[[str], URIRef],
    ) -> EventFilter:
        """A filter from what a user wrote: kinds by name, types by JSON type name (``table``) or class IRI,
        ``upstream_of`` by IRI or fully qualified name (``resolve``).

        :raises ValidationError: for an unknown kind or type, or an entity that names nothing (HTTP 422).
        """
        try:
            parsed_kinds = frozenset(EventKind(k) for k in kinds)
        except ValueError as error:
            known = ", ".join(k.value for k in EventKind)
            raise ValidationError(f"unknown event kind ({error}); known: {known}", where="events") from error
        try:
            classes = frozenset(
                URIRef(t) if t.startswith(("http://", "https://")) else type_class(t) for t in types
            )
            upstream = None if upstream_of is None else resolve(upstream_of)
        except ValidationError:
            raise
        except MlkgError as error:
            raise ValidationError(str(error), where="filters") from error
        return cls(kinds=parsed_kinds, types=classes, tags=frozenset(tags), upstream_of=upstream)

    def as_json(self) -> dict[str, Any]:
        return {
            "types": sorted(str(t) for t in self.types),
            "tags": sorted(self.tags),
            "upstreamOf": None if self.upstream_of is None else str(self.upstream_of),
        }


@dataclass(frozen=True)
class Subscription:
    """One subscription: where its events are posted and which pass."""

    id: str
    url: str
    filter: EventFilter
    created: datetime

    @property
    def iri(self) -> URIRef:
        return URIRef(SUBSCRIPTIONS + self.id)

    def triples(self) -> list[Triple]:
        me = self.iri
        out: list[Triple] = [
            (me, RDF.type, MLKG.Subscription),
            (me, MLKG.webhookUrl, Literal(self.url, datatype=XSD.anyURI)),
            (me, DCTERMS.created, Literal(self.created.isoformat(), datatype=XSD.dateTime)),
        ]
        out += [(me, MLKG.eventKind, Literal(k.value)) for k in sorted(self.filter.kinds)]
        out += [(me, MLKG.filterType, t) for t in sorted(self.filter.types)]
        out += [(me, MLKG.filterTag, Literal(t)) for t in sorted(self.filter.tags)]
        if self.filter.upstream_of is not None:
            out.append((me, MLKG.filterUpstreamOf, self.filter.upstream_of))
        return out

    @classmethod
    def from_triples(cls, iri: URIRef, triples: list[Triple]) -> Subscription | None:
        """The subscription ``triples`` describe, or None if they are not a whole one."""
        values: dict[URIRef, list[Any]] = {}
        for s, p, o in triples:
            if s == iri:
                values.setdefault(p, []).append(o)
        urls, created = values.get(MLKG.webhookUrl, []), values.get(DCTERMS.created, [])
        if not urls or not str(iri).startswith(SUBSCRIPTIONS):
            return None
        try:
            kinds = frozenset(EventKind(str(k)) for k in values.get(MLKG.eventKind, []))
            when = datetime.fromisoformat(str(created[0])) if created else datetime.fromtimestamp(0, UTC)
        except ValueError:
            return None
        upstream = [u for u in values.get(MLKG.filterUpstreamOf, []) if isinstance(u, URIRef)]
        return cls(
            id=str(iri)[len(SUBSCRIPTIONS) :],
            url=str(urls[0]),
            filter=EventFilter(
                kinds=kinds,
                types=frozenset(t for t in values.get(MLKG.filterType, []) if isinstance(t, URIRef)),
                tags=frozenset(str(t) for t in values.get(MLKG.filterTag, [])),
                upstream_of=upstream[0] if upstream else None,
            ),
            created=when,
        )

    def as_json(self) -> dict[str, Any]:
        """The subscription as ``GET /subscriptions/{id}`` shows it (never with its secret)."""
        return {
            "id": self.id,
            "url": self.url,
            "events": sorted(k.value for k in self.filter.kinds) or [k.value for k in EventKind],
            "filters": self.filter.as_json(),
            "created": self.created.isoformat(),
        }


class SubscriptionBook:
    """The subscriptions of one store: read from its subscriptions graph once, then kept in memory and
    written through on every change (a process holds its store alone, so the two agree)."""

    def __init__(self, *, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._by_id: dict[str, Subscription] = {}
        self.reload()

    def reload(self) -> None:
        """Read the subscriptions graph again.

        :raises StoreError: if the store fails.
        """
        by_subject: dict[URIRef, list[Triple]] = {}
        for s, p, o, _ in self._store.quads(graph=SUBSCRIPTIONS_GRAPH):
            if isinstance(s, URIRef):
                by_subject.setdefault(s, []).append((s, p, o))
        found = (Subscription.from_triples(iri, triples) for iri, triples in by_subject.items())
        with self._lock:
            self._by_id = {s.id: s for s in found if s is not None}

    def add(self, *, url: str, filter: EventFilter) -> Subscription:
        """Store a new subscription (a new random id).

        :raises StoreError: if the store fails (nothing is kept then).
        """
        made = Subscription(id=uuid.uuid4().hex, url=url, filter=filter, created=datetime.now(UTC))
        with self._lock:
            self._store.change_graph(graph=SUBSCRIPTIONS_GRAPH, delete=(), insert=made.triples())
            self._by_id[made.id] = made
        return made

    def remove(self, subscription: str) -> Subscription:
        """Delete a subscription.

        :raises NotFoundError: if there is none with that id.
        :raises StoreError: if the store fails (it is kept then).
        """
        with self._lock:
            found = self._get(subscription)
            self._store.change_graph(graph=SUBSCRIPTIONS_GRAPH, delete=found.triples(), insert=())
            del self._by_id[subscription]
        return found

    def get(self, subscription: str) -> Subscription:
        """:raises NotFoundError: if there is no subscription with that id."""
        with self._lock:
            return self._get(subscription)

    def _get(self, subscription: str) -> Subscription:
        found = self._by_id.get(subscription)
        if found is None:
            raise NotFoundError(f"no subscription {subscription!r}")
        return found

    def all(self) -> list[Subscription]:
        with self._lock:
            return sorted(self._by_id.values(), key=lambda s: (s.created, s.id))

    def any(self) -> bool:
        """Whether there is any subscription."""
        return bool(self._by_id)

    def wanting(self, event: ChangeEvent) -> list[Subscription]:
        """The subscriptions ``event`` passes the filter of."""
        return [s for s in self.all() if s.filter.passes(event)]


def read_filter_json(data: Mapping[str, Any]) -> tuple[list[str], list[str], str | None]:
    """``types``, ``tags`` and ``upstreamOf`` of a ``filters`` object.

    :raises ValidationError: if they have the wrong JSON types.
    """
    types, tags, upstream = data.get("types", []), data.get("tags", []), data.get("upstreamOf")
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        raise ValidationError(
            "filters.types must be a list of type names or class IRIs", where="filters.types"
        )
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ValidationError("filters.tags must be a list of tag names", where="filters.tags")
    if upstream is not None and not isinstance(upstream, str):
        raise ValidationError("filters.upstreamOf must be an entity IRI or name", where="filters.upstreamOf")
    return types, tags, upstream
