"""Streaming a store export as an HTTP body without holding it in memory.

The export runs in a worker thread into a spooled temporary file (memory up to 8 MB, then disk); the body is
then streamed from that file in chunks. An export error is therefore reported as a proper error status, not
as a truncated body.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO, BinaryIO, cast

from fastapi.responses import StreamingResponse
from rdflib import URIRef

from mlkg.api.deps import AppState, run_read
from mlkg.exports import GraphSelection, export
from mlkg.store.base import RdfFormat

__all__ = ["export_response"]

_SPOOL = 8 * 1024 * 1024
_CHUNK = 256 * 1024


def _chunks(spool: IO[bytes]) -> Iterator[bytes]:
    try:
        spool.seek(0)
        while chunk := spool.read(_CHUNK):
            yield chunk
    finally:
        spool.close()


async def export_response(
    state: AppState,
    *,
    format: RdfFormat,
    media_type: str,
    entity: URIRef | None = None,
    graphs: GraphSelection = "all",
    filename: str | None = None,
) -> StreamingResponse:
    """The export of the whole store (or one entity graph) as a streamed response.

    :raises NotFoundError: if ``entity`` is given and has no graph.
    :raises QueryTimeoutError: if the export takes longer than the server's time limit.
    :raises StoreError: if the store fails.
    """

    def write() -> IO[bytes]:
        spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL)  # noqa: SIM115 - closed by _chunks
        try:
            # The embedded store serialises natively, much faster: the ReasonedStore offers its dump.
            output = cast(BinaryIO, spool)
            export(
                store=state.store,
                format=format,
                output=output,
                entity=entity,
                graphs=graphs,
            )
        except BaseException:
            spool.close()
            raise
        return spool

    # An export is a long read: it gets ten times the query limit.
    spool = await run_read(state, write, timeout=state.settings.query_timeout * 10)
    headers = {"vary": "Accept"}
    if filename:
        headers["content-disposition"] = f'attachment; filename="{filename}"'
    content_type = f"{media_type}; charset=utf-8" if media_type.startswith("text/") else media_type
    return StreamingResponse(_chunks(spool), headers={**headers, "content-type": content_type})
