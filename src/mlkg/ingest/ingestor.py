"""The ingest pipeline: parse sources (whole, or streamed one document at a time), validate entity documents
in batches, write each batch's valid documents in one store call."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

from rdflib import BNode, URIRef

from mlkg.errors import (
    InputError,
    ParseError,
    PayloadTooLargeError,
    UnsupportedFormatError,
)
from mlkg.ids import IriMinter
from mlkg.ingest.batchcheck import validate_documents
from mlkg.ingest.document import EntityDocument, ParseOutcome, ValidationOutcome, is_reserved
from mlkg.ingest.formats import InputFormat, Source
from mlkg.ingest.jsonld import JsonReader
from mlkg.ingest.limits import too_many_documents
from mlkg.ingest.loader import FrozenContextLoader
from mlkg.ingest.merge import merge_document
from mlkg.ingest.quiet import quiet_ill_typed_literals
from mlkg.ingest.rdf import RdfReader
from mlkg.ingest.references import ReferenceLookup
from mlkg.ingest.report import Accepted, IngestReport, Notice, Rejected
from mlkg.ingest.stream import Ignored, JsonItem, json_items, json_lines
from mlkg.ingest.validate import ShapesValidator
from mlkg.store.base import Quad, Store, Triple
from mlkg.store.compare import same_triples

__all__ = ["DEFAULT_BATCH_SIZE", "CheckedBatch", "Ingestor", "stored_as_is"]

#: Documents validated and written together (``mlkg load --batch-size``, ``POST /entities``): large enough
#: that one SHACL run and one store write serve many documents, small enough to bound memory (measured on
#: the 100k benchmark catalog, see bench/README.md).
DEFAULT_BATCH_SIZE = 500


class Ingestor:
    """Reads JSON, JSON-LD and RDF sources into entity documents, validates them and writes them.

    One instance holds the parsed shapes, ontology and context; build it once (per CLI run or app) and reuse
    it. ``max_bytes`` is the largest source accepted (``Settings.max_document_bytes``). ``lookup`` resolves
    the entity references a JSON document gives by id or owner name alone (:mod:`mlkg.ingest.references`;
    without it they are rejected).

    :raises InputError: if ``max_bytes`` is not positive.
    """

    def __init__(self, *, minter: IriMinter, max_bytes: int, lookup: ReferenceLookup | None = None) -> None:
        if max_bytes <= 0:
            raise InputError(f"max_bytes must be positive, not {max_bytes}")
        self._minter = minter
        self._max_bytes = max_bytes
        self._json = JsonReader(minter=minter, loader=FrozenContextLoader(), lookup=lookup)
        self._rdf = RdfReader(base=minter.base)
        self._shapes = ShapesValidator()
        quiet_ill_typed_literals()  # the shapes report an ill-typed value; rdflib's traceback would repeat it

    @property
    def minter(self) -> IriMinter:
        """The minter entity IRIs are made with."""
        return self._minter

    def parse(self, *, source: Source, max_documents: int | None = None) -> ParseOutcome:
        """Read one source into entity documents. Needs no store (``mlkg validate``).

        Whole-source problems are rejections, never exceptions: larger than ``max_bytes`` (kind
        ``too_large``), empty, not UTF-8, malformed JSON (with line and column) or RDF syntax (with line),
        more than ``max_documents`` entity documents (kind ``too_large``, checked before a JSON source's
        documents are read; see :mod:`mlkg.ingest.limits`). A bad document in an array or ``@graph``
        rejects that document only.
        """
        outcome = ParseOutcome()
        try:
            text = self._decode(source)
        except InputError as error:
            outcome.rejected.append(Rejected.from_error(error, source=source.name))
            return outcome
        if source.format is InputFormat.JSONL:
            for part in self.parse_stream(
                name=source.name, stream=io.BytesIO(source.data), format=source.format
            ):
                outcome.extend(part)
            return outcome
        if source.format.is_json and text is not None:
            return self._json.read(source=source, text=text, max_documents=max_documents)
        # RDF/XML declares its own encoding in the XML declaration: give rdflib the bytes.
        outcome = self._rdf.read(source=source, data=source.data if text is None else text)
        count = len(outcome.documents) + len(outcome.rejected)
        if max_documents is not None and count > max_documents:
            too_many = too_many_documents(count=count, limit=max_documents, where=source.name)
            return ParseOutcome(rejected=[Rejected.from_error(too_many, source=source.name)])
        return outcome

    def read_document(self, *, name: str, pointer: str, item: Mapping[str, Any]) -> ParseOutcome:
        """Read one plain JSON entity document already parsed (what a connector maps its input to) exactly
        as a top-level object of a JSON source ``name`` at JSON ``pointer`` is read: problems are
        rejections in the outcome, never exceptions."""
        outcome = ParseOutcome()
        self._json.read_item(name=name, pointer=pointer, item=dict(item), inherited=None, outcome=outcome)
        return outcome

    def read_quads(self, *, source: Source) -> list[Quad]:
        """Parse an RDF source (not JSON) into quads as they are, for the Graph Store Protocol, which stores
        graphs whole without SHACL validation. Default-graph triples carry graph None.

        :raises PayloadTooLargeError: if the source is larger than ``max_bytes``.
        :raises UnsupportedFormatError: for JSON or JSON-LD (upload those to ``/entities``).
        :raises ParseError: if the source is empty, not UTF-8 or malformed.
        """
        if source.format.is_json:
            raise UnsupportedFormatError(
                "the Graph Store takes RDF syntaxes (Turtle, N-Triples, N-Quads, TriG, RDF/XML); upload "
                "JSON and JSON-LD documents to /entities",
                where=source.name,
            )
        text = self._decode(source)
        return self._rdf.quads(source=source, data=source.data if text is None else text)

    def validate(self, *, documents: Sequence[EntityDocument], store: Store | None) -> ValidationOutcome:
        """Validate each document against the SHACL shapes (see :mod:`mlkg.ingest.validate`).

        References are resolved against the other ``documents`` and, if given, the ``store``: their
        ``rdf:type`` triples join the data graph so ``sh:class`` holds for entities loaded earlier. The
        documents are validated together in one pyshacl run where that gives each the results it would get
        alone (:mod:`mlkg.ingest.batchcheck`).

        :raises StoreError: if reading types from the store fails.
        """
        return validate_documents(shapes=self._shapes, documents=documents, store=store)

    def parse_stream(
        self, *, name: str, stream: IO[bytes], format: InputFormat, first_line: int = 0
    ) -> Iterator[ParseOutcome]:
        """Read a JSON, JSON-LD or JSON Lines input one top-level document at a time
        (:mod:`mlkg.ingest.stream`): memory holds one document, whatever the input's size, and
        ``max_bytes`` applies to each document. An RDF input is read whole (at most ``max_bytes``) and
        yields one outcome. Problems are rejections in the outcomes, never exceptions, as in :meth:`parse`.
        ``first_line`` numbers the first line of a JSON Lines input (one read in parts: pointers stay those
        of the whole stream).
        """
        if not format.is_json:
            yield self.parse(source=Source(name=name, data=stream.read(self._max_bytes + 1), format=format))
            return
        if format is InputFormat.JSONL:
            items = json_lines(stream=stream, name=name, max_bytes=self._max_bytes, first_index=first_line)
        else:
            items = json_items(stream=stream, name=name, max_bytes=self._max_bytes)
        for item in items:
            outcome = ParseOutcome()
            if isinstance(item, JsonItem):
                self._json.read_item(
                    name=name,
                    pointer=item.pointer,
                    item=item.value,
                    inherited=item.inherited,
                    outcome=outcome,
                )
            elif isinstance(item, Ignored):
                outcome.notices.append(Notice(name, f"{name}#{item.pointer}", item.message))
            else:
                where = item.where or ""
                item.where = f"{name}#{where}" if where.startswith("/") else where or name
                outcome.rejected.append(Rejected.from_error(item, source=name))
            yield outcome

    def parse_values(self, *, name: str, values: Iterable[tuple[str, Any]]) -> Iterator[ParseOutcome]:
        """Read JSON documents a program built (a connector's mapped documents), one outcome per
        ``(pointer, document)`` pair, exactly as the same documents read from a JSON file named ``name``
        would be: nothing is serialised and parsed again. Problems are rejections, never exceptions."""
        for pointer, value in values:
            outcome = ParseOutcome()
            self._json.read_item(name=name, pointer=pointer, item=value, inherited=None, outcome=outcome)
            yield outcome

    def ingest_stream(
        self,
        *,
        store: Store | None,
        outcomes: Iterable[ParseOutcome],
        batch_size: int = DEFAULT_BATCH_SIZE,
        write: bool = True,
        merge: bool = False,
    ) -> Iterator[IngestReport]:
        """Validate and write parsed documents in batches of ``batch_size``, yielding one report per batch.

        Each batch is validated in one SHACL run against the batch and the store, and its valid documents are
        written with one :meth:`Store.replace_graphs` call (each document all-or-nothing; the inferred graph
        follows once per batch through a :class:`~mlkg.reasoning.store.ReasonedStore`). A later batch sees
        what the earlier ones wrote, so a bare-IRI reference must name an entity of the same batch, of an
        earlier one, or of the store. ``write=False`` (or no store) only validates. ``merge``: each document
        adds to its stored entity instead of replacing it (:mod:`mlkg.ingest.merge`).

        :raises InputError: if ``batch_size`` is not positive.
        :raises StoreError: if the store fails; the batches before were written, that one was not.
        """
        if batch_size <= 0:
            raise InputError(f"the batch size must be positive, not {batch_size}", where="--batch-size")
        pending = ParseOutcome()
        for outcome in outcomes:
            pending.extend(outcome)
            if len(pending.documents) >= batch_size:
                yield self._finish(pending, store=store, write=write, merge=merge)
                pending = ParseOutcome()
        if pending.documents or pending.rejected or pending.notices:
            yield self._finish(pending, store=store, write=write, merge=merge)

    def check(
        self, *, sources: Sequence[Source], store: Store | None = None, batch_size: int = DEFAULT_BATCH_SIZE
    ) -> IngestReport:
        """Parse and validate ``sources`` without writing anything (``mlkg validate``, dry runs)."""
        outcomes = (self.parse(source=source) for source in sources)
        batches = self.ingest_stream(store=store, outcomes=outcomes, batch_size=batch_size, write=False)
        return IngestReport.combine(batches, dry_run=True)

    def ingest(
        self,
        *,
        store: Store,
        sources: Sequence[Source],
        dry_run: bool = False,
        batch_size: int = DEFAULT_BATCH_SIZE,
        merge: bool = False,
    ) -> IngestReport:
        """Parse all ``sources``, validate each entity document, and write the valid ones, ``batch_size``
        documents per :meth:`Store.replace_graphs` call (see :meth:`ingest_stream`): each entity's graph is
        replaced as a whole, and nothing is written for a rejected document. When one batch gives the same
        entity twice, the later document wins and a notice says so (in two batches, the later one is
        written last).

        :raises StoreError: if the store fails; then nothing of that batch was written.
        """
        outcomes = (self.parse(source=source) for source in sources)
        batches = self.ingest_stream(
            store=store, outcomes=outcomes, batch_size=batch_size, write=not dry_run, merge=merge
        )
        return IngestReport.combine(batches, dry_run=dry_run)

    def delete(self, *, store: Store, entity: URIRef) -> bool:
        """Drop the entity's named graph; True if it existed.

        :raises InputError: for an IRI owned by mlkg (the inferred or ontology graph, a vocabulary term).
        :raises StoreError: if the store fails.
        """
        if is_reserved(entity):
            raise InputError(
                f"{entity} is maintained by mlkg and cannot be deleted as an entity", where=str(entity)
            )
        return store.delete_graphs(graphs=[entity]) > 0

    # ---------------------------------------------------------------------------------------------------

    def check_batch(
        self,
        *,
        parsed: ParseOutcome,
        store: Store | None,
        write: bool = True,
        merge: bool = False,
        unchanged: Callable[[EntityDocument], bool] | None = None,
    ) -> CheckedBatch:
        """Validate one batch of parsed documents against the shapes and ``store`` (read, never written):
        its report as it reads once the batch is written (``write``) or as a dry run, and the valid
        documents' graphs. The HTTP service validates a request body this way outside its write lock and then
        writes the graphs in parts (:mod:`mlkg.api.routers.entities`).

        With ``merge``, each document is first merged with its entity's stored graph
        (:func:`~mlkg.ingest.merge.merge_document`) and the result validated and written: call it where no
        other write can come between (the HTTP service does, under its write lock).

        ``unchanged``: documents it says the store already holds exactly (:func:`stored_as_is`) are
        accepted as they are, neither validated again nor written (a connector that sends the same
        description with every event, such as OpenLineage's datasets of a job).

        :raises StoreError: if reading types or graphs from the store fails.
        """
        documents = _latest(parsed.documents, notices=parsed.notices)
        if merge and store is not None:
            documents = [
                merge_document(d, stored=[(s, p, o) for s, p, o, _ in store.quads(graph=d.entity)])
                for d in documents
            ]
        kept: list[EntityDocument] = []
        if unchanged is not None:
            kept = [d for d in documents if unchanged(d)]
            if kept:
                same = {id(d) for d in kept}
                documents = [d for d in documents if id(d) not in same]
        validated = self.validate(documents=documents, store=store)
        report = IngestReport(
            accepted=[
                Accepted(entity=d.entity, source=d.source, where=d.where, triples=len(d.triples))
                for d in [*kept, *validated.valid]
            ],
            rejected=parsed.rejected + validated.rejected,
            notices=parsed.notices + validated.notices,
            dry_run=not write,
        )
        return CheckedBatch(report=report, graphs={d.entity: list(d.triples) for d in validated.valid})

    def _finish(self, parsed: ParseOutcome, *, store: Store | None, write: bool, merge: bool) -> IngestReport:
        checked = self.check_batch(parsed=parsed, store=store, write=write, merge=merge)
        if write and checked.graphs and store is not None:
            store.replace_graphs(graphs=checked.graphs)
        return checked.report

    def _decode(self, source: Source) -> str | None:
        """The source's text (None for RDF/XML, which is decoded by the XML parser).

        :raises PayloadTooLargeError: larger than ``max_bytes``.
        :raises ParseError: empty, or not valid UTF-8.
        """
        size = len(source.data)
        if size > self._max_bytes:
            raise PayloadTooLargeError(
                f"{source.name} is {size} bytes, more than the limit of {self._max_bytes} bytes "
                "(MLKG_MAX_DOCUMENT_BYTES)",
                where=source.name,
            )
        if not source.data.strip():
            raise ParseError(f"{source.name} is empty", where=source.name)
        try:
            text = source.data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            if source.format is InputFormat.RDFXML:
                return None
            byte = source.data[error.start]
            raise ParseError(
                f"{source.name} is not valid UTF-8: byte 0x{byte:02x} at offset {error.start}",
                where=source.name,
            ) from error
        return None if source.format is InputFormat.RDFXML else text


@dataclass(frozen=True)
class CheckedBatch:
    """A validated batch (:meth:`Ingestor.check_batch`): its report, and the graphs of its valid documents,
    to be written with :meth:`Store.replace_graphs` (in one call or in parts)."""

    report: IngestReport
    graphs: dict[URIRef, list[Triple]]


def stored_as_is(document: EntityDocument, store: Store) -> bool:
    """True if ``store`` holds exactly the document's triples in its graph (never for blank nodes, whose
    labels the store chooses).

    :raises StoreError: if reading the graph fails.
    """
    if any(isinstance(t, BNode) for triple in document.triples for t in triple):
        return False
    stored = [(s, p, o) for s, p, o, _ in store.quads(graph=document.entity)]
    return bool(stored) and same_triples(stored, document.triples)


def _latest(documents: list[EntityDocument], *, notices: list[Notice]) -> list[EntityDocument]:
    """The documents with each entity once: a later document for the same entity replaces an earlier one."""
    last: dict[URIRef, int] = {d.entity: i for i, d in enumerate(documents)}
    kept: list[EntityDocument] = []
    for index, document in enumerate(documents):
        if last[document.entity] == index:
            kept.append(document)
            continue
        later = documents[last[document.entity]]
        notices.append(
            Notice(
                document.source,
                document.where,
                f"{document.entity} is given again at {later.where}; the later document wins",
            )
        )
    return kept
