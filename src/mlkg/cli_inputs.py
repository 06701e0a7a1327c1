"""What ``mlkg load`` and ``mlkg validate`` read: files, directories (recursively), glob patterns and stdin,
streamed one document at a time (a JSON or JSON Lines file whose first document is an OpenLineage event is
read as events, through :meth:`~mlkg.catalog.Catalog.load_openlineage`; one whose first item is a DataHub
metadata change proposal as proposals, through :meth:`~mlkg.catalog.Catalog.load_datahub`), with a progress
display on stderr (rich) when stderr is a terminal.

Every argument is resolved before anything is read or written, so a missing file, a pattern matching nothing
or a file of unknown format is bad usage (exit 2) and nothing is stored.
"""

from __future__ import annotations

import glob
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from mlkg.catalog import Catalog
from mlkg.errors import InputError, PayloadTooLargeError
from mlkg.ingest import Ingestor, IngestReport, InputFormat, ParseOutcome
from mlkg.ingest.datahub import ProposalItem, is_datahub_proposal, read_proposals
from mlkg.ingest.formats import extensions
from mlkg.ingest.openlineage import EventItem, is_openlineage_event, read_events

__all__ = [
    "InputFile",
    "LoadProgress",
    "expand_inputs",
    "input_kind",
    "is_openlineage_file",
    "load_progress",
    "parse_inputs",
    "run_inputs",
]

_GLOB = frozenset("*?[")


@dataclass(frozen=True)
class InputFile:
    """One input: its name in messages, its path (None for stdin), its format and its size (None: unknown)."""

    name: str
    path: Path | None
    format: InputFormat
    size: int | None


def expand_inputs(args: Sequence[str], *, fmt: InputFormat | None, max_bytes: int) -> list[InputFile]:
    """The files named by ``args``: ``-`` is stdin, a directory gives every file under it with a known
    extension (sorted), a pattern with ``*``, ``?`` or ``[`` gives its matches (``**`` recursive, sorted).

    :raises InputError: stdin without ``fmt``; a missing file; a directory or pattern giving no file; a file
        whose format cannot be told from its extension.
    :raises PayloadTooLargeError: an RDF file larger than ``max_bytes`` (RDF files are read whole; JSON and
        JSON Lines are streamed and the limit applies to each document).
    """
    found: list[InputFile] = []
    for arg in args:
        if arg == "-":
            if fmt is None:
                raise InputError("reading stdin ('-') needs --format", where="-")
            found.append(InputFile(name="<stdin>", path=None, format=fmt, size=None))
            continue
        path = Path(arg)
        if path.is_dir():
            paths = [p for p in sorted(path.rglob("*")) if p.is_file() and p.suffix.lower() in extensions()]
            if not paths:
                raise InputError("the directory holds no file mlkg reads (by extension)", where=arg)
            found.extend(_file(p, fmt=fmt, max_bytes=max_bytes) for p in paths)
        elif any(c in _GLOB for c in arg) and not path.exists():
            matches = sorted(Path(m) for m in glob.glob(arg, recursive=True))
            files = [m for m in matches if m.is_file()]
            for directory in (m for m in matches if m.is_dir()):
                files += [
                    p
                    for p in sorted(directory.rglob("*"))
                    if p.is_file() and p.suffix.lower() in extensions()
                ]
            if not files:
                raise InputError("no file matches the pattern", where=arg)
            found.extend(_file(p, fmt=fmt, max_bytes=max_bytes) for p in files)
        elif not path.exists():
            raise InputError("no such file", where=arg)
        elif not path.is_file():
            raise InputError("not a regular file", where=arg)
        else:
            found.append(_file(path, fmt=fmt, max_bytes=max_bytes))
    return found


def _file(path: Path, *, fmt: InputFormat | None, max_bytes: int) -> InputFile:
    name = str(path)
    format_ = fmt or InputFormat.from_path(name)
    size = path.stat().st_size
    if not format_.is_json and size > max_bytes:
        raise PayloadTooLargeError(
            f"file is {size} bytes, more than the limit of {max_bytes} bytes (MLKG_MAX_DOCUMENT_BYTES)",
            where=name,
        )
    return InputFile(name=name, path=path, format=format_, size=size)


class LoadProgress:
    """Documents done, documents per second and the time left (from the bytes read), on stderr."""

    def __init__(self, progress: Progress | None, *, total: int | None) -> None:
        self._progress = progress
        self._task: TaskID | None = None
        self._started = time.monotonic()
        self._documents = 0
        if progress is not None:
            self._task = progress.add_task("loading", total=total, documents=0, rate="-")

    def read(self, count: int) -> None:
        """``count`` more bytes of input were read."""
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, count)

    def batch(self, report: IngestReport) -> None:
        """A batch was validated and written."""
        self._documents += len(report.accepted) + len(report.rejected)
        if self._progress is not None and self._task is not None:
            rate = self._documents / max(time.monotonic() - self._started, 1e-6)
            self._progress.update(self._task, documents=self._documents, rate=f"{rate:,.0f}")


@contextmanager
def load_progress(inputs: Sequence[InputFile], *, enabled: bool) -> Iterator[LoadProgress]:
    """A progress display on stderr while the block runs, if ``enabled`` and stderr is a terminal."""
    if not enabled or not sys.stderr.isatty():
        yield LoadProgress(None, total=None)
        return
    sizes = [i.size for i in inputs]
    total = None if any(s is None for s in sizes) else sum(s or 0 for s in sizes)
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[documents]:,} documents"),
        TextColumn("{task.fields[rate]} documents/s"),
        TimeRemainingColumn(),
        console=Console(file=sys.stderr),
        transient=True,
    )
    with progress:
        yield LoadProgress(progress, total=total)


class _Counted:
    """A binary stream that reports how many bytes were read from it."""

    def __init__(self, stream: IO[bytes], progress: LoadProgress) -> None:
        self._stream = stream
        self._progress = progress

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self._progress.read(len(data))
        return data

    def readline(self, size: int = -1) -> bytes:
        data = self._stream.readline(size)
        self._progress.read(len(data))
        return data


def parse_inputs(
    ingestor: Ingestor, inputs: Sequence[InputFile], *, progress: LoadProgress
) -> Iterator[ParseOutcome]:
    """Each input's documents as they are read (:meth:`Ingestor.parse_stream`).

    :raises InputError: if a file cannot be opened or read.
    """
    for item in inputs:
        if item.path is None:
            stream: IO[bytes] = _Counted(sys.stdin.buffer, progress)  # type: ignore[assignment]
            yield from ingestor.parse_stream(name=item.name, stream=stream, format=item.format)
            continue
        try:
            with item.path.open("rb") as handle:
                counted: IO[bytes] = _Counted(handle, progress)  # type: ignore[assignment]
                yield from ingestor.parse_stream(name=item.name, stream=counted, format=item.format)
        except OSError as error:
            raise InputError(f"cannot read: {error.strerror}", where=item.name) from error


#: What an input holds: entity documents, OpenLineage events or DataHub proposals.
InputKind = Literal["documents", "openlineage", "datahub"]


def input_kind(item: InputFile, *, max_bytes: int) -> InputKind:
    """What a JSON or JSON Lines file holds, by its first document: OpenLineage events
    (:func:`~mlkg.ingest.openlineage.is_openlineage_event`), DataHub proposals
    (:func:`~mlkg.ingest.datahub.is_datahub_proposal`) or else entity documents; only its first document is
    read. Stdin is always documents (it cannot be read twice).

    :raises InputError: if the file cannot be read.
    """
    first = _first(item, max_bytes=max_bytes)
    if is_openlineage_event(first):
        return "openlineage"
    if is_datahub_proposal(first):
        return "datahub"
    return "documents"


def is_openlineage_file(item: InputFile, *, max_bytes: int) -> bool:
    """True if a JSON or JSON Lines file's first document is an OpenLineage event (:func:`input_kind`).

    :raises InputError: if the file cannot be read.
    """
    return input_kind(item, max_bytes=max_bytes) == "openlineage"


def _first(item: InputFile, *, max_bytes: int) -> Any:
    """The first document of a JSON or JSON Lines file (None for stdin, another format or a bad start).

    :raises InputError: if the file cannot be read.
    """
    if item.path is None or not item.format.is_json:
        return None
    try:
        with item.path.open("rb") as handle:
            lines = item.format is InputFormat.JSONL
            first = next(
                iter(read_events(name=item.name, stream=handle, lines=lines, max_bytes=max_bytes)), None
            )
    except OSError as error:
        raise InputError(f"cannot read: {error.strerror}", where=item.name) from error
    return first.value if first is not None and first.error is None else None


def _proposals(
    inputs: Sequence[InputFile], *, progress: LoadProgress, max_bytes: int
) -> Iterator[ProposalItem]:
    for item in inputs:
        assert item.path is not None  # input_kind takes stdin for documents
        try:
            with item.path.open("rb") as handle:
                counted: IO[bytes] = _Counted(handle, progress)  # type: ignore[assignment]
                lines = item.format is InputFormat.JSONL
                yield from read_proposals(name=item.name, stream=counted, lines=lines, max_bytes=max_bytes)
        except OSError as error:
            raise InputError(f"cannot read: {error.strerror}", where=item.name) from error


def _events(inputs: Sequence[InputFile], *, progress: LoadProgress, max_bytes: int) -> Iterator[EventItem]:
    for item in inputs:
        assert item.path is not None  # is_openlineage_file refuses stdin
        try:
            with item.path.open("rb") as handle:
                counted: IO[bytes] = _Counted(handle, progress)  # type: ignore[assignment]
                lines = item.format is InputFormat.JSONL
                yield from read_events(name=item.name, stream=counted, lines=lines, max_bytes=max_bytes)
        except OSError as error:
            raise InputError(f"cannot read: {error.strerror}", where=item.name) from error


def run_inputs(
    catalog: Catalog,
    files: list[str],
    *,
    fmt: InputFormat | None,
    write: bool,
    batch_size: int,
    quiet: bool,
    merge: bool = False,
) -> IngestReport:
    """Stream the inputs (:func:`expand_inputs`) through the catalog in batches
    (:meth:`~mlkg.catalog.Catalog.load_stream`), writing them if ``write`` (adding to stored entities with
    ``merge``), with progress on stderr unless ``quiet``; one report for the whole run.

    :raises InputError: as :func:`expand_inputs`, or if a file cannot be read.
    :raises StoreError: if the store fails (the batches before were written).
    """
    limit = catalog.settings.max_document_bytes
    inputs = expand_inputs(files, fmt=fmt, max_bytes=limit)
    # Consecutive inputs of one kind go together: entity documents, OpenLineage events or DataHub proposals.
    groups: list[tuple[InputKind, list[InputFile]]] = []
    for item in inputs:
        kind = input_kind(item, max_bytes=limit)
        if groups and groups[-1][0] == kind:
            groups[-1][1].append(item)
        else:
            groups.append((kind, [item]))
    reports: list[IngestReport] = []
    with load_progress(inputs, enabled=not quiet) as progress:
        for kind, group in groups:
            if kind == "openlineage":
                items = _events(group, progress=progress, max_bytes=limit)
                for checked in catalog.load_openlineage(items, batch_size=batch_size, write=write):
                    progress.batch(checked.report)
                    reports.append(checked.report)
                continue
            if kind == "datahub":  # always merged: an aspect adds to its entity (README, "DataHub")
                proposals = _proposals(group, progress=progress, max_bytes=limit)
                for done in catalog.load_datahub(proposals, batch_size=batch_size, write=write):
                    progress.batch(done.report)
                    reports.append(done.report)
                continue
            outcomes = parse_inputs(catalog.ingestor, group, progress=progress)
            for report in catalog.load_stream(outcomes, batch_size=batch_size, write=write, merge=merge):
                progress.batch(report)
                reports.append(report)
    return IngestReport.combine(reports, dry_run=not write)
