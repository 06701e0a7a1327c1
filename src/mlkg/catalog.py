"""The Python front door: :func:`open` returns a :class:`Catalog`, one store with its reasoner.

Every write made through a catalog keeps the inferred lineage graph exactly what OWL 2 RL entails (the store
is always wrapped in a :class:`~mlkg.reasoning.store.ReasonedStore`): there is no way to get a catalog whose
impact answers silently miss the inferred graph. See ``docs/architecture.md`` for where it sits.

>>> import mlkg
>>> orders = {"type": "table", "name": "orders", "fullyQualifiedName": "pg.shop.public.orders"}
>>> with mlkg.open(store="memory:") as catalog:
...     report = catalog.load(orders)
...     len(report.accepted), catalog.query("ASK { ?t <https://w3id.org/mlkg#name> 'orders' }").value
(1, True)
"""

from __future__ import annotations

import glob
import io
import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, Self

from rdflib import URIRef

from mlkg.access.audit import AuditTrail
from mlkg.access.principals import PrincipalRegistry
from mlkg.config import MEMORY_STORE, Settings
from mlkg.errors import (
    InputError,
    PayloadTooLargeError,
    StoreError,
    UnsupportedFormatError,
)
from mlkg.exports import GraphSelection, export
from mlkg.exports.entityjson import entity_json
from mlkg.exports.omlineage import lineage_json
from mlkg.exports.openmetadata import OpenMetadataJson
from mlkg.history import ChangeDescription, EntityHistory, VersionRecord, describe_change, parse_version
from mlkg.history.asof import described_at, entity_at, parse_instant
from mlkg.history.registry import ModelRegistry
from mlkg.ids import IriMinter
from mlkg.ingest import Ingestor, IngestReport, InputFormat, ParseOutcome, Source
from mlkg.ingest.datahub import CheckedProposals, DataHubIntake, PlatformMap, ProposalItem
from mlkg.ingest.document import is_reserved
from mlkg.ingest.ingestor import DEFAULT_BATCH_SIZE
from mlkg.ingest.openlineage import CheckedEvents, EventItem, NamespaceMap, OpenLineageIntake
from mlkg.ingest.references import StoreReferences
from mlkg.patching import checked_patch, own_document
from mlkg.queries.resolve import resolve_entity
from mlkg.reasoning.engine import ReasonStats
from mlkg.reasoning.explain import Hop, explain
from mlkg.reasoning.impact import Direction, ImpactReport, impact
from mlkg.reasoning.lineage import LineageGraph, lineage_graph
from mlkg.reasoning.ontology import load_ontology
from mlkg.reasoning.program import LineageProgram
from mlkg.reasoning.store import ReasonedStore
from mlkg.resources import context_text, demo_files
from mlkg.search import SearchKeeper, SearchResults, index_path, store_identity
from mlkg.store import QueryResult, RdfFormat, Store, Term, install_ontology, open_store
from mlkg.store.accessstore import open_access_store
from mlkg.store.base import Triple
from mlkg.store.oxigraph import OxigraphStore
from mlkg.store.reading import open_for_reading

__all__ = ["Catalog", "open"]

#: What :meth:`Catalog.load` takes: a path (file or directory, ``str`` or :class:`os.PathLike`), a glob, or a
#: JSON document already parsed (one entity, or a list of them).
Loadable = str | os.PathLike[str] | Mapping[str, Any] | Sequence[Mapping[str, Any]]


def open(
    *,
    store: str | None = None,
    sparql_endpoint: str | None = None,
    base_iri: str | None = None,
    settings: Settings | None = None,
    read_only: bool = False,
    addresses: Sequence[str] = (),
    actor: str | None = None,
    **options: Any,
) -> Catalog:
    """Open a catalog: the embedded store at ``store`` (a directory, default ``./mlkg-data``, or
    ``"memory:"``), or the SPARQL 1.1 engine at ``sparql_endpoint``. Other keyword arguments are
    :class:`~mlkg.config.Settings` fields (``update_endpoint``, ``sparql_user``, ``query_timeout``, ...);
    ``MLKG_*`` environment variables fill what is not given, as for the ``mlkg`` command.

    ``read_only=True`` opens it to read: an on-disk store must already exist (nothing is created), and while
    another process (``mlkg serve``) holds it the catalog reads a view holding every write committed before
    it was opened (:func:`mlkg.store.reading.open_for_reading`). Writes through it raise :class:`StoreError`.
    ``addresses``: prefixes that stand for the base IRI in entity IRIs given to it (a server's own
    ``http://host:port/id/``). ``actor``: the name versions written through the catalog are attributed to
    (default: the operating-system user).

    :raises StoreInUseError: if another process holds the on-disk store (not with ``read_only``).
    :raises StoreError: if the store cannot be opened (unreachable engine, unreadable directory).
    :raises InputError: with ``read_only``, if the directory holds no store.
    :raises pydantic.ValidationError: if an option has a wrong type or value.
    """
    given = {"store": store, "sparql_endpoint": sparql_endpoint, "base_iri": base_iri, **options}
    given = {name: value for name, value in given.items() if value is not None}
    chosen = settings.model_copy(update=given) if settings is not None else Settings(**given)
    return Catalog(settings=chosen, read_only=read_only, addresses=addresses, actor=actor)


class Catalog:
    """One mlkg store with its reasoner, ingest and named queries. Use :func:`open` to get one, and close it
    (or use it as a context manager) to release an on-disk store.

    :raises StoreError: if the store cannot be opened.
    """

    def __init__(
        self,
        *,
        settings: Settings,
        store: Store | None = None,
        read_only: bool = False,
        addresses: Sequence[str] = (),
        actor: str | None = None,
        keep_history: bool = True,
    ) -> None:
        self.settings = settings
        #: Prefixes that stand for ``settings.base_iri`` in entity IRIs users type (a server's own
        #: ``http://host:port/id/``, when it differs from the base): :mod:`mlkg.queries.resolve`.
        self.addresses = tuple(addresses)
        #: True if opened to read only (:func:`open`): every write method raises :class:`StoreError`.
        self.read_only = read_only
        view = False
        if store is not None:
            opened = store
            install_ontology(store=store)  # open_store does it for the stores it opens
        elif read_only:
            opened, view = open_for_reading(settings=settings)
        else:
            opened = open_store(settings=settings)
        self._owns_store = store is None
        try:
            self.minter = IriMinter.from_ontology(base=settings.base_iri)
            ontology = load_ontology()
            #: The entity history every write through the catalog keeps (:mod:`mlkg.history`).
            self.history = EntityHistory.from_ontology(ontology, context=context_text(), actor=actor)
            self.store = ReasonedStore(
                inner=opened,
                program=LineageProgram.from_ontology(ontology),
                repair=not view,
                history=self.history if keep_history else None,
                registry=ModelRegistry() if keep_history else None,
            )
            #: Entities and lineage as OpenMetadata's JSON (README, "OpenMetadata").
            self.openmetadata = OpenMetadataJson.from_ontology(minter=self.minter, ontology=ontology)
            self.ingestor = Ingestor(
                minter=self.minter,
                max_bytes=settings.max_document_bytes,
                lookup=StoreReferences(store=self.store),
            )
            #: The principals of the store and the audit trail (docs/architecture.md, section 10), kept in
            #: the access store (:mod:`mlkg.store.accessstore`): out of the catalog's queries and exports.
            self.access_store, self._owns_access = open_access_store(main=opened, read_only=read_only)
            self.principals = PrincipalRegistry(store=self.access_store)
            self.audit = AuditTrail(store=self.access_store)
            #: OpenLineage events through the same ingest (README, "OpenLineage").
            self.openlineage = OpenLineageIntake(
                ingestor=self.ingestor, names=NamespaceMap(services=settings.openlineage_namespaces)
            )
            #: DataHub proposals through the same ingest, merged into the stored entities (README, "DataHub").
            self.datahub = DataHubIntake(
                ingestor=self.ingestor, names=PlatformMap(services=settings.datahub_platforms)
            )
            #: The full-text search index, kept in step with every write (README, "Search").
            self.search_index = SearchKeeper(
                store=self.store,
                path=index_path(settings=settings) if store is None or settings.search_index else None,
                identity=store_identity(settings=settings),
                writable=not view,
                label=self._label,
                types=self._kind,
            )
            self.store.observe(self.search_index.observe)
        except BaseException:
            if self._owns_store:
                opened.close()
            if getattr(self, "_owns_access", False):
                self.access_store.close()
            raise

    @property
    def program(self) -> LineageProgram:
        """The lineage rules compiled from the ontology."""
        return self.store.reasoner.program

    @property
    def repaired(self) -> ReasonStats | None:
        """What opening did to repair the inferred graph after an interrupted write (None: nothing to do)."""
        return self.store.repaired

    @property
    def location(self) -> Path | None:
        """The directory of the embedded on-disk store; None for an in-memory store or a SPARQL engine."""
        inner = self.store.inner
        path = inner.path if isinstance(inner, OxigraphStore) else None
        return None if path is None else Path(path)

    def _writable(self) -> ReasonedStore:
        if self.read_only:
            raise StoreError("this catalog was opened read-only (mlkg.open(read_only=True)): it cannot write")
        return self.store

    # -- writes ---------------------------------------------------------------------------------------------

    def load(self, *items: Loadable, format: InputFormat | None = None, merge: bool = False) -> IngestReport:
        """Validate and store entity documents; the inferred graph follows.

        ``items`` are paths (files, or directories read recursively for the extensions mlkg knows), globs,
        or JSON documents already parsed. A document that fails is reported and writes nothing; the others
        are stored, each replacing its entity's graph, or with ``merge`` adding to it (values it gives
        replace the stored ones, links are added; :mod:`mlkg.ingest.merge`).

        :raises InputError: if a path does not exist or a file's format is unknown (nothing is written).
        :raises PayloadTooLargeError: if a file is larger than ``max_document_bytes``.
        :raises StoreError: if the store fails.
        """
        return self.ingestor.ingest(store=self._writable(), sources=self._sources(items, format), merge=merge)

    def load_stream(
        self,
        outcomes: Iterable[ParseOutcome],
        /,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        write: bool = True,
        merge: bool = False,
    ) -> Iterator[IngestReport]:
        """Validate and store parsed documents (from ``catalog.ingestor.parse_stream``) ``batch_size`` at a
        time, yielding one report per batch, so memory is bounded by the batch, not by the input
        (``mlkg load``); the inferred graph follows each batch. ``write=False`` only validates, against the
        documents alone (``mlkg validate``).

        :raises InputError: if ``batch_size`` is not positive.
        :raises StoreError: if the store fails (the batches before were written, that one was not), or the
            catalog is read-only and ``write`` is true.
        """
        store = self._writable() if write else None
        return self.ingestor.ingest_stream(
            store=store, outcomes=outcomes, batch_size=batch_size, write=write, merge=merge
        )

    def load_openlineage(
        self,
        events: Iterable[EventItem | Mapping[str, Any]],
        /,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        write: bool = True,
    ) -> Iterator[CheckedEvents]:
        """Map OpenLineage events (RunEvent, JobEvent, DatasetEvent; parsed JSON, or
        :class:`~mlkg.ingest.openlineage.EventItem` naming where each comes from) to entity documents and
        store them ``batch_size`` events at a time, yielding each batch's outcome (one per event: accepted
        with the entities written, or rejected with nothing of it written). The inferred graph follows each
        batch. A consumer must iterate: nothing is written before.

        :raises InputError: if ``batch_size`` is not positive.
        :raises StoreError: if the store fails (the batches before were written), or the catalog is
            read-only and ``write`` is true.
        """
        store = self._writable() if write else None
        items = (
            e if isinstance(e, EventItem) else EventItem(source="<events>", pointer=f"/{i}", value=e)
            for i, e in enumerate(events)
        )
        return self.openlineage.ingest_stream(store=store, items=items, batch_size=batch_size, write=write)

    def load_datahub(
        self,
        proposals: Iterable[ProposalItem | Mapping[str, Any]],
        /,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        write: bool = True,
    ) -> Iterator[CheckedProposals]:
        """Map DataHub metadata change proposals (MCPs and MCEs as DataHub's file sink writes them; parsed
        JSON, or :class:`~mlkg.ingest.datahub.ProposalItem` naming where each comes from) to entity documents
        and merge them into the stored entities ``batch_size`` proposals at a time, yielding each batch's
        outcome (one per proposal: accepted with the entities written, or rejected with nothing of it
        written). An aspect adds to its entity: what it does not mention stays. A consumer must iterate.

        :raises InputError: if ``batch_size`` is not positive.
        :raises StoreError: if the store fails (the batches before were written), or the catalog is
            read-only and ``write`` is true.
        """
        store = self._writable() if write else None
        items = (
            p if isinstance(p, ProposalItem) else ProposalItem(source="<proposals>", pointer=f"/{i}", value=p)
            for i, p in enumerate(proposals)
        )
        return self.datahub.ingest_stream(store=store, items=items, batch_size=batch_size, write=write)

    def load_demo(self) -> IngestReport:
        """Load the demo catalog shipped with mlkg (``examples/demo``, what ``mlkg serve --demo`` serves).

        :raises StoreError: if the store fails or a demo document is rejected (the package is broken).
        """
        sources = [Source(name=name, data=data, format=InputFormat.JSON) for name, data in demo_files()]
        report = self.ingestor.ingest(store=self._writable(), sources=sources)
        if report.rejected:
            first = report.rejected[0]
            raise StoreError(f"the demo catalog did not load: {first.where}: {first.message}")
        return report

    def validate(self, *items: Loadable, format: InputFormat | None = None) -> IngestReport:
        """Check documents as :meth:`load` would (syntax, context, SHACL), writing nothing.

        :raises InputError: as :meth:`load`.
        """
        return self.ingestor.check(sources=self._sources(items, format))

    def update(self, update: str, /) -> None:
        """Run a SPARQL 1.1 Update; the inferred graph follows.

        :raises QueryError: if the update is malformed or uses ``LOAD`` / ``SERVICE``.
        :raises InputError: if it writes a graph mlkg maintains.
        :raises StoreError: if the store fails.
        """
        self._writable().update(update=update)

    def delete(self, entity: str, /, *, hard: bool = False) -> bool:
        """Delete an entity (named by IRI, fully qualified name or unique name); True if it existed.

        A soft delete by default: the entity leaves lineage and query results, and its history records the
        deletion, so :meth:`restore` brings it back. ``hard=True`` also removes its history (a soft-deleted
        entity is then named by its IRI).

        :raises NotFoundError: if ``entity`` names nothing.
        :raises InputError: if it names several entities, or an IRI mlkg maintains.
        """
        target = self._one(entity)
        if not hard:
            return self.ingestor.delete(store=self._writable(), entity=target)
        if is_reserved(target):
            raise InputError(f"{target} is maintained by mlkg and cannot be deleted", where=str(target))
        had_history = bool(self.history.versions(store=self.store, entity=target))
        return self._writable().delete_graphs(graphs=[target], hard=True) > 0 or had_history

    def restore(self, entity: str, version: str | Decimal, /) -> Decimal | None:
        """Make ``version`` of ``entity`` current again, as a new version (the version rule applies; history
        is not rewritten). Brings back a deleted entity (name it by its IRI). Returns the new version, or None
        if the entity already is as that version describes it.

        :raises NotFoundError: if ``entity`` names nothing or has no such version.
        :raises InputError: if ``version`` is not a version number, or is the version that deleted it.
        """
        target, number = self._one(entity), self._version(version)
        triples = self.history.description(store=self.store, entity=target, version=number)
        if not triples:
            raise InputError(f"version {number} of {target} is its deletion: restore an earlier one")
        store = self._writable()
        store.replace_graphs(graphs={target: triples}, restored_from={target: number})
        return store.versions.get(target)

    def document(self, entity: str, /) -> dict[str, Any]:
        """The entity's own document as one JSON tree (framed JSON-LD with mlkg's context inline, arrays
        sorted; :mod:`mlkg.exports.entityjson`): the form :meth:`patch` edits, and what ``GET /id/...``
        answers to ``Accept: application/json``.

        :raises NotFoundError: if ``entity`` names nothing, or an entity with no document of its own (a
            column is described in its table's document: patch the table).
        :raises DeletedError: if the entity was deleted.
        :raises ConflictError: if its document holds nodes it does not link to (no tree holds them).
        """
        target = self._one(entity)
        return entity_json(
            entity=target, triples=own_document(store=self.store, history=self.history, entity=target)
        )

    def patch(
        self,
        entity: str,
        operations: Sequence[Mapping[str, Any]],
        /,
        *,
        version: str | Decimal | None = None,
        tag: str | None = None,
    ) -> Decimal | None:
        """Apply a JSON Patch (RFC 6902) to the entity's document (:meth:`document`) and store the result
        like an upload of it: validated with the shapes, replacing the entity's graph, a new version by the
        version rule. All or nothing: a patch that fails, or whose result the shapes refuse, changes
        nothing. Returns the new version, or None if the result is what was stored.

        ``version`` (a version number) or ``tag`` (:func:`~mlkg.exports.entityjson.entity_tag` of the
        document the patch was made against, HTTP ``If-Match``): patch only if the entity is still that.

        :raises NotFoundError: as :meth:`document`.
        :raises PreconditionError: if the entity is no longer ``version`` or ``tag``.
        :raises ConflictError: if a ``test`` operation fails.
        :raises ValidationError: if the shapes refuse the patched document.
        :raises InputError: if ``operations`` is not a JSON Patch, a path names nothing, or the result
            describes another entity.
        """
        target, store = self._one(entity), self._writable()
        checked = checked_patch(
            store=store,
            history=self.history,
            ingestor=self.ingestor,
            entity=target,
            operations=operations,
            version=None if version is None else self._version(version),
            tag=tag,
        )
        store.replace_graphs(graphs=checked.graphs)
        return store.versions.get(target)

    def versions(self, entity: str, /) -> list[VersionRecord]:
        """Every recorded version of ``entity``, newest first (``mlkg history``, ``GET .../versions``).
        An entity loaded once has one version, 0.1.

        :raises NotFoundError: if ``entity`` names nothing.
        """
        return self.history.versions(store=self.store, entity=self._one(entity))

    def version(self, entity: str, version: str | Decimal, /) -> list[Triple]:
        """The description of ``entity`` at ``version`` (its graph as it was).

        :raises NotFoundError: if ``entity`` names nothing or has no such version.
        :raises InputError: if ``version`` is not a version number.
        """
        target = self._one(entity)
        return self.history.description(store=self.store, entity=target, version=self._version(version))

    def diff(self, entity: str, old: str | Decimal, new: str | Decimal, /) -> ChangeDescription:
        """What changed from version ``old`` to version ``new`` of ``entity``, field by field.

        :raises NotFoundError: if ``entity`` names nothing or has no such version.
        :raises InputError: if a version is not a version number.
        """
        target = self._one(entity)
        before = self.history.description(store=self.store, entity=target, version=self._version(old))
        after = self.history.description(store=self.store, entity=target, version=self._version(new))
        return describe_change(entity=target, old=before, new=after, terms=self.history.terms)

    def as_of(self, at: str | datetime, /) -> Catalog:
        """A read-only in-memory catalog of this one as it was at ``at`` (an ISO 8601 date or date-time,
        UTC unless it says otherwise): each entity as its version current then, its lineage reasoned anew.
        Impact, lineage, queries and exports on it answer "as of" that instant. Building it reads the whole
        catalog: use it for a question about the past, then close it.

        :raises InputError: if ``at`` is not a date or date-time.
        :raises StoreError: if the store fails.
        """
        moment = at if isinstance(at, datetime) else parse_instant(at)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        settings = self.settings.model_copy(update={"store": MEMORY_STORE, "sparql_endpoint": None})
        past = Catalog(settings=settings, store=OxigraphStore(path=None), keep_history=False)
        past._owns_store = True
        try:
            batch: dict[URIRef, list[Triple]] = {}
            for name, triples in described_at(history=self.history, store=self.store, at=moment):
                batch[name] = triples
                if len(batch) >= DEFAULT_BATCH_SIZE:
                    past.store.replace_graphs(graphs=batch)
                    batch = {}
            if batch:
                past.store.replace_graphs(graphs=batch)
        except BaseException:
            past.close()
            raise
        past.read_only = True
        return past

    def version_at(self, entity: str, at: str | datetime, /) -> tuple[VersionRecord | None, list[Triple]]:
        """The version of ``entity`` current at ``at`` and its description (``(None, [])`` if it did not
        exist then, or was deleted).

        :raises NotFoundError: if ``entity`` names nothing.
        :raises InputError: if ``at`` is not a date or date-time.
        """
        moment = at if isinstance(at, datetime) else parse_instant(at)
        return entity_at(history=self.history, store=self.store, entity=self._one(entity), at=moment)

    @staticmethod
    def _version(version: str | Decimal) -> Decimal:
        return version if isinstance(version, Decimal) else parse_version(version)

    def reason(self) -> ReasonStats:
        """Recompute the inferred graph from scratch, writing only what differs (``mlkg reason``).

        :raises StoreError: if the store fails.
        """
        return self._writable().recompute()

    # -- reads ----------------------------------------------------------------------------------------------

    def query(
        self, query: str, /, *, bindings: Mapping[str, Term] | None = None, timeout: float | None = None
    ) -> QueryResult:
        """Run a SPARQL 1.1 query over the union of the stored graphs (not the ontology graph, which answers
        when named: :mod:`mlkg.store.ontologygraph`); ``bindings`` are bound as RDF terms.

        :raises QueryError: if the query is malformed or uses ``SERVICE``.
        :raises QueryTimeoutError: if it passes ``timeout`` seconds.
        :raises StoreError: if the store fails.
        """
        return self.store.query(query=query, bindings=bindings, timeout=timeout)

    def impact(
        self, entity: str, /, *, direction: Direction | str = Direction.DOWNSTREAM, explain: bool = False
    ) -> ImpactReport:
        """What a change to ``entity`` affects (downstream) or what it depends on (upstream), each asset with
        its kind; ``explain`` adds the asserted path behind each. ``len(report)`` is the number of assets.

        :raises NotFoundError: if ``entity`` names nothing.
        :raises InputError: if it names several entities (give the IRI or fully qualified name).
        """
        target = self._one(entity)
        reports = impact(
            store=self.store,
            program=self.program,
            entity=str(target),
            direction=Direction(direction),
            with_paths=explain,
        )
        return reports[0]

    def lineage(
        self,
        entity: str,
        /,
        *,
        direction: Direction | str = Direction.DOWNSTREAM,
        depth: int | None = None,
        max_nodes: int = 2000,
    ) -> LineageGraph:
        """The lineage subgraph around ``entity`` (nodes and edges, each edge naming its asserted triple).

        :raises NotFoundError: if ``entity`` names nothing.
        :raises InputError: if it names several entities.
        """
        return lineage_graph(
            store=self.store,
            program=self.program,
            entity=self._one(entity),
            direction=Direction(direction),
            depth=depth,
            max_nodes=max_nodes,
        )

    def openmetadata_entity(
        self, entity_type: str, fqn: str, /, *, fields: str | None = None
    ) -> dict[str, Any]:
        """The ``entity_type`` entity (``"mlmodel"``, ``"table"``, ...) whose fully qualified name is ``fqn``,
        as OpenMetadata's JSON, with the optional ``fields`` asked for (comma list, ``*`` for all;
        :mod:`mlkg.exports.openmetadata`).

        :raises NotFoundError: if no document of that type and name is stored.
        :raises InputError: on an unknown entity type or field name, or a malformed FQN.
        """
        wanted = self.openmetadata.fields(entity_type=entity_type, requested=fields)
        iri = self.openmetadata.locate(store=self.store, entity_type=entity_type, fqn=fqn)
        return self.openmetadata.entity(store=self.store, iri=iri, entity_type=entity_type, fields=wanted)

    def openmetadata_lineage(
        self, entity_type: str, fqn: str, /, *, upstream_depth: int = 1, downstream_depth: int = 1
    ) -> dict[str, Any]:
        """OpenMetadata's ``EntityLineage`` of the ``entity_type`` entity named ``fqn``: ``entity``,
        ``nodes``, ``upstreamEdges`` and ``downstreamEdges`` up to the given depths
        (:mod:`mlkg.exports.omlineage`).

        :raises NotFoundError: if no stored document names an entity of that type and name.
        :raises InputError: on an unknown entity type, a malformed FQN or a negative depth.
        """
        if upstream_depth < 0 or downstream_depth < 0:
            raise InputError("upstreamDepth and downstreamDepth must not be negative")
        iri = self.openmetadata.locate(store=self.store, entity_type=entity_type, fqn=fqn, document=False)
        walks = {
            direction: lineage_graph(
                store=self.store, program=self.program, entity=iri, direction=direction, depth=depth
            ).to_dict()
            if depth
            else {}
            for direction, depth in (
                (Direction.UPSTREAM, upstream_depth),
                (Direction.DOWNSTREAM, downstream_depth),
            )
        }
        return lineage_json(
            store=self.store,
            renderer=self.openmetadata,
            minter=self.minter,
            entity=iri,
            upstream=walks[Direction.UPSTREAM],
            downstream=walks[Direction.DOWNSTREAM],
        )

    def explain(self, *, downstream: str, upstream: str) -> list[Hop] | None:
        """The asserted hops by which data flows from ``upstream`` to ``downstream`` (None if it does not).

        :raises NotFoundError: if either names nothing.
        """
        return explain(
            store=self.store,
            program=self.program,
            downstream=self._one(downstream),
            upstream=self._one(upstream),
        )

    def export(
        self,
        *,
        format: RdfFormat | str = RdfFormat.TRIG,
        output: BinaryIO | None = None,
        entity: str | None = None,
        graphs: GraphSelection = "all",
    ) -> bytes | None:
        """The whole store (or one entity's graph) as linked data: written to ``output``, or returned.

        :raises NotFoundError: if ``entity`` names nothing.
        :raises UnsupportedFormatError: if ``format`` is not an RDF format.
        """
        target = None if entity is None else self._one(entity)
        if output is not None:
            export(store=self.store, format=RdfFormat(format), output=output, entity=target, graphs=graphs)
            return None
        buffer = io.BytesIO()
        export(store=self.store, format=RdfFormat(format), output=buffer, entity=target, graphs=graphs)
        return buffer.getvalue()

    # -- search ---------------------------------------------------------------------------------------------

    def search(
        self,
        q: str = "",
        /,
        *,
        type: str | None = None,
        tag: str | None = None,
        owner: str | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> SearchResults:
        """Entities whose names, fully qualified name, tags, description, columns or features hold every word
        of ``q`` (each as a prefix: ``chur`` finds ``customer_churn_predictor``), best first, with counts per
        kind, tag and owner; ``q`` empty lists every entity by name. ``type`` (a kind or JSON type name:
        ``model``, ``mlmodel``, ``table``), ``tag`` (a tag's fully qualified name) and ``owner`` (a team's or
        user's name) narrow the results. The index follows every write (README, "Search").

        :raises InputError: if ``q`` is longer than 500 characters, ``type`` is no kind of the ontology, or
            ``limit`` / ``offset`` are out of range (1..1000, 0..10⁹).
        :raises StoreError: if the store cannot be read to bring the index up to date.
        """
        return self.search_index.search(q=q, type=type, tag=tag, owner=owner, limit=limit, offset=offset)

    def reindex(self) -> int:
        """Rebuild the search index from every entity graph of the store; return how many entities it holds.

        :raises StoreError: if the store cannot be read, or the index belongs to another process's server.
        """
        self._writable()
        return self.search_index.rebuild()

    def _label(self, iri: URIRef) -> str:
        """A linked tag's or owner's name from its IRI: its fully qualified name if minted here."""
        parsed = self.minter.parse(str(iri))
        return ".".join(parsed[1]) if parsed is not None else str(iri)

    def _kind(self, name: str) -> str:
        """The index's kind name (the class's local name, first letter lower-case) for a ``type`` filter.

        :raises InputError: if ``name`` denotes no class of the ontology.
        """
        local = str(self.minter.type_named(name).cls).rsplit("#", 1)[1]
        return local[:1].lower() + local[1:]

    # -- life cycle -----------------------------------------------------------------------------------------

    def close(self) -> None:
        """Release the store (an on-disk store's directory lock) and the search index. Idempotent."""
        self.search_index.close()
        if self._owns_store:
            self.store.close()
        if getattr(self, "_owns_access", False):
            self.access_store.close()
            self._owns_access = False

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -------------------------------------------------------------------------------------------------------

    def resolve(self, entity: str, /) -> URIRef:
        """The IRI of the one entity ``entity`` names: an IRI (on the base, or on one of ``addresses``), a
        fully qualified name, or a name only one entity has (:mod:`mlkg.queries.resolve`).

        :raises NotFoundError: if it names nothing.
        :raises InputError: if it names several entities (the message lists them).
        """
        return self._one(entity)

    def _one(self, text: str) -> URIRef:
        return resolve_entity(
            store=self.store, text=text, base_iri=self.settings.base_iri, addresses=self.addresses
        )

    def _sources(self, items: Iterable[Loadable], format: InputFormat | None) -> list[Source]:
        sources: list[Source] = []
        for item in items:
            if isinstance(item, Mapping) or (isinstance(item, Sequence) and not isinstance(item, str)):
                data = json.dumps(item).encode("utf-8")
                sources.append(Source(name="<document>", data=data, format=format or InputFormat.JSON))
                continue
            for path in _expand(item):
                sources.append(self._read(path, format))
        return sources

    def _read(self, path: Path, format: InputFormat | None) -> Source:
        limit = self.settings.max_document_bytes
        size = path.stat().st_size
        if size > limit:
            raise PayloadTooLargeError(
                f"file is {size} bytes, more than the limit of {limit} bytes", where=str(path)
            )
        try:
            data = path.read_bytes()
        except OSError as error:
            raise InputError(f"cannot read: {error.strerror}", where=str(path)) from error
        return Source(name=str(path), data=data, format=format or InputFormat.from_path(str(path)))


def _expand(item: str | os.PathLike[str]) -> list[Path]:
    """The files a path, directory (recursively, known extensions only, sorted) or glob names.

    :raises InputError: if it names no file.
    """
    path = Path(item)
    if path.is_file():
        return [path]
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and _known(p))
    matches = sorted(Path(p) for p in glob.glob(os.fspath(item), recursive=True) if Path(p).is_file())
    if matches:
        return matches
    raise InputError("no such file or directory", where=os.fspath(item))


def _known(path: Path) -> bool:
    try:
        InputFormat.from_path(path.name)
    except UnsupportedFormatError:
        return False
    return True
