"""DataHub's ingestion routes (README, "DataHub"), so that DataHub's own ``DatahubRestEmitter`` can send to
mlkg as to a DataHub GMS:

- ``GET /config``: the server configuration the emitter reads first (``noCode: "true"`` tells it this is a
  GMS, and no version, so it uses the Rest.li routes below);
- ``POST /aspects?action=ingestProposal``: one metadata change proposal, ``{"proposal": {...}}``;
- ``POST /aspects?action=ingestProposalBatch``: several, ``{"mcps": [...]}``;
- ``POST /entities?action=ingest``: one metadata change event, ``{"entity": {"value": {"<...>Snapshot":
  {...}}}}`` (what the emitter sends for an MCE; :mod:`.entities` hands such a request here).

Each proposal is mapped and merged into its entity through the same ingest as ``POST /entities``
(:mod:`mlkg.ingest.datahub`); a write needs the write token as any write does (the emitter's ``token`` is
sent as ``Authorization: Bearer``). Answers: 201 with ``value`` (the URNs, as DataHub answers) and one
report entry per proposal (``proposals``: ``status``, ``entities`` written, ``ignored`` aspects and fields
with their JSON pointers) when every proposal was stored; otherwise the status of the first rejected one
(400 malformed, 413, 422) with the body ``{"error", "message", "where"}`` and the same report: the
accepted proposals *were* stored, nothing of a rejected one was.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from mlkg.access.roles import Permission
from mlkg.api.auth import needs
from mlkg.api.deps import AppState, read_body, run_write, state_of
from mlkg.api.errors import error_body, status_of
from mlkg.errors import ParseError
from mlkg.ingest import IngestReport
from mlkg.ingest.datahub import CheckedProposals, ProposalItem
from mlkg.ingest.ingestor import DEFAULT_BATCH_SIZE
from mlkg.ingest.limits import MAX_JSON_DEPTH, too_deep, too_many_documents

__all__ = ["router"]

router = APIRouter(tags=["DataHub"])

BODY = "request body"
#: What the action takes: the key of the body holding the proposals, and whether it is a list.
_ACTIONS = {
    "ingestProposal": ("proposal", False),
    "ingestProposalBatch": ("mcps", True),
    "ingest": ("entity", False),
}


@router.get(
    "/config",
    dependencies=[needs(Permission.READ)],
    summary="The server configuration DataHub's REST emitter reads",
)
async def config() -> dict[str, Any]:
    return {"noCode": "true", "datahub": {"serverType": "mlkg"}}


@router.post(
    "/aspects",
    status_code=201,
    dependencies=[needs(Permission.WRITE)],
    summary="Receive DataHub metadata change proposals, as DataHub GMS does",
)
async def ingest(
    request: Request,
    action: Literal["ingestProposal", "ingestProposalBatch"] = Query(
        description="ingestProposal (one proposal) or ingestProposalBatch (several)"
    ),
) -> JSONResponse:
    return await receive(request, action=action)


async def receive(request: Request, *, action: str) -> JSONResponse:
    """Map, merge and write the proposals of a request to one of DataHub's ingestion actions (see the module
    docstring); ``POST /entities?action=ingest`` comes here too.

    :raises ParseError: for a body that is not the action's JSON (400).
    :raises PayloadTooLargeError: past the request limits (413).
    """
    state = state_of(request)
    items = _items(await read_body(request), action=action)
    limit = state.settings.max_request_documents
    if len(items) > limit:
        raise too_many_documents(count=len(items), limit=limit, where=items[limit].where)
    batches: list[CheckedProposals] = []
    for start in range(0, len(items), DEFAULT_BATCH_SIZE):
        part = items[start : start + DEFAULT_BATCH_SIZE]
        batches.append(await run_write(request, partial(_write, state, part), limited=start == 0))
    return _answer(batches)


def _items(data: bytes, *, action: str) -> list[ProposalItem]:
    """The proposals of the body.

    :raises ParseError: for a body that is not JSON, or not an object holding the action's key.
    """
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise ParseError(f"the request body is not JSON: {error}", where=BODY) from error
    except RecursionError as error:
        raise ParseError(
            f"the request body is nested more than {MAX_JSON_DEPTH} levels deep", where=BODY
        ) from error
    deep = too_deep(body)
    if deep is not None:
        raise ParseError(
            f"the request body is nested more than {MAX_JSON_DEPTH} levels deep", where=f"{BODY}#{deep}"
        )
    key, many = _ACTIONS[action]
    if not isinstance(body, dict) or key not in body:
        raise ParseError(f"{action} takes a JSON object with {key!r}", where=BODY)
    if action == "ingest":  # {"entity": {"value": ...}}: proposals_of reads it whole
        return [ProposalItem(source=BODY, pointer="", value=body)]
    if not many:
        return [ProposalItem(source=BODY, pointer=f"/{key}", value=body[key])]
    if not isinstance(body[key], list):
        raise ParseError(f"{key!r} must be an array of proposals", where=f"{BODY}#/{key}")
    return [ProposalItem(source=BODY, pointer=f"/{key}/{i}", value=v) for i, v in enumerate(body[key])]


def _write(state: AppState, part: list[ProposalItem]) -> CheckedProposals:
    """Check and write one batch under the write lock (each entity is merged with what is stored, which
    no other write may change in between)."""
    return next(iter(state.catalog.load_datahub(part, batch_size=len(part))))


def _answer(batches: list[CheckedProposals]) -> JSONResponse:
    report = IngestReport.combine(b.report for b in batches)
    proposals = [p for b in batches for p in b.proposals]
    body: dict[str, Any] = report.to_dict()
    body["entities"] = [str(e) for e in report.entities]
    body["proposals"] = [p.to_dict() for p in proposals]
    urns = [p.entity for p in proposals]
    body["value"] = urns[0] if len(urns) == 1 else urns
    first = next((p.rejection for p in proposals if p.rejection is not None), None)
    if first is not None:
        error = first.to_error()
        return JSONResponse({**error_body(error), "report": body}, status_code=status_of(error))
    return JSONResponse(body, status_code=201)
