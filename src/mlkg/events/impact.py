"""Impact events: a major version of a table is followed by one ``impact`` event naming the assets downstream
of it and their owners, the owners-to-notify question pushed instead of pulled (docs/architecture.md,
section 8).

It runs in the delivery thread (:mod:`.dispatch`), never in the write: the downstream assets are
:meth:`Catalog.impact`'s answer and the owners are the named query ``owners-to-notify``'s
(``queries/owners-to-notify.rq``, the table bound as a parameter), both as the store is when the event is
completed.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from rdflib import URIRef

from mlkg.catalog import Catalog
from mlkg.events.model import ChangeEvent, EventKind
from mlkg.queries import QueryCatalog
from mlkg.store.base import SelectResult
from mlkg.vocab import MLKG

__all__ = ["ImpactEvents"]

_OWNERS_QUERY = "owners-to-notify"
#: What an impact event repeats of the change that caused it.
_CARRIED = (
    "version",
    "previousVersion",
    "changeType",
    "changeDescription",
    "updatedBy",
    "comment",
    "types",
    "tags",
)


class ImpactEvents:
    """``expand(event)``: the event, followed by its impact event if it is a major version of a table."""

    def __init__(self, *, catalog: Catalog, queries: QueryCatalog) -> None:
        self._catalog = catalog
        self._owners = queries.get(name=_OWNERS_QUERY)

    def expand(self, event: ChangeEvent) -> list[ChangeEvent]:
        """:raises StoreError: if the store fails while the impact is read."""
        major = event.kind is EventKind.UPDATED and event.body.get("changeType") == "major"
        if not major or MLKG.Table not in event.types:
            return [event]
        return [event, self._impact(event)]

    def _impact(self, event: ChangeEvent) -> ChangeEvent:
        report = self._catalog.impact(str(event.entity))
        downstream = [{"iri": str(a.iri), "kind": a.kind, "name": a.name} for a in report.assets]
        result = self._owners.run(store=self._catalog.store, arguments={"table": str(event.entity)})
        assert isinstance(result, SelectResult)
        owners: dict[str, dict[str, Any]] = {}
        for row in result.dicts():
            owner = row.get("owner")
            if not isinstance(owner, URIRef):
                continue
            entry = owners.setdefault(
                str(owner),
                {
                    "iri": str(owner),
                    "kind": str(row.get("ownerKind")),
                    "name": str(row.get("ownerName")),
                    "assets": [],
                },
            )
            entry["assets"].append(
                {
                    "iri": str(row.get("asset")),
                    "kind": str(row.get("assetKind")),
                    "name": str(row.get("assetName")),
                }
            )
        event_id = str(uuid.uuid4())
        moment = datetime.now(UTC)
        body: dict[str, Any] = {
            "id": event_id,
            "event": EventKind.IMPACT.value,
            "entity": str(event.entity),
            "at": moment.isoformat(),
            "cause": event.id,
            **{k: event.body[k] for k in _CARRIED if k in event.body},
            "downstream": downstream,
            "owners": sorted(owners.values(), key=lambda o: (o["name"], o["iri"])),
        }
        return ChangeEvent(
            id=event_id,
            kind=EventKind.IMPACT,
            entity=event.entity,
            at=moment,
            body=body,
            types=event.types,
            tags=event.tags,
            downstream=event.downstream,
        )
