"""Model-registry rules applied to every write of model versions (docs/architecture.md, section 7), as the
MLflow model registry keeps them:

- **An alias names one version** of a registered model: a write giving version 3 the alias ``champion``
  removes it from the version that had it, in the same write, so that version's history records the move.
- **Archive existing versions**: a version document with ``"archiveExistingVersions": true`` (MLflow's
  ``transition_model_version_stage(..., archive_existing_versions=True)``) moves the other versions of its
  registered model that are in the stage it names to ``Archived``, each change recorded in that version's
  history. The flag is an instruction, not a fact: it is not stored.

- **Version numbers are assigned** when a version document omits one (``"version"``), as the MLflow
  registry numbers the versions of a registered model: a version already stored keeps its number, a new one
  gets one more than the highest number of its registered model (1 for the first), in the order of the write.

Stage transitions themselves are recorded by the entity history like any change (who, when, old and new
stage, and the version document's ``description`` of the transition, if it gives one).
"""

from __future__ import annotations

from collections.abc import Mapping

from rdflib import RDF, Literal, URIRef

from mlkg.ntriples import term_nt
from mlkg.store.base import SelectResult, Store, Triple
from mlkg.vocab import MLKG

__all__ = ["ARCHIVED", "ModelRegistry"]

#: The stage archived versions are moved to.
ARCHIVED = Literal("Archived")

_VERSIONS = """SELECT ?version ?alias ?stage WHERE {{
  GRAPH ?version {{ ?version {version_of} {model} }}
  OPTIONAL {{ GRAPH ?version {{ ?version {alias} ?alias }} }}
  OPTIONAL {{ GRAPH ?version {{ ?version {stage} ?stage }} }}
}}"""


_NUMBERS = """SELECT ?version ?number WHERE {{
  GRAPH ?version {{ ?version {version_of} {model} OPTIONAL {{ ?version {number} ?number }} }}
}}"""


class ModelRegistry:
    """Adds to a write the changes the registry rules make to other versions of the same registered models."""

    def adjust(self, *, store: Store, given: Mapping[URIRef, list[Triple]]) -> dict[URIRef, list[Triple]]:
        """``given`` (graph name -> triples) with the archive instructions taken out and, added, the graphs
        of other versions that lose an alias or are archived (read from ``store``).

        :raises StoreError: if the store fails.
        """
        out = self._numbered(store=store, given=given)
        claims: dict[URIRef, list[tuple[URIRef, set[Literal], Literal | None]]] = {}
        for name, triples in list(out.items()):
            model = _model_of(name, triples)
            if model is None:
                continue
            aliases = {o for s, p, o in triples if s == name and p == MLKG.alias and isinstance(o, Literal)}
            archive = any(s == name and p == MLKG.archiveExistingVersions and _true(o) for s, p, o in triples)
            stage = next((o for s, p, o in triples if s == name and p == MLKG.stage), None)
            out[name] = [t for t in triples if t[1] != MLKG.archiveExistingVersions]
            if aliases or archive:
                target = stage if archive and isinstance(stage, Literal) and stage != ARCHIVED else None
                claims.setdefault(model, []).append((name, aliases, target))
        for model, claimed in claims.items():
            for other, triples in self._changes(store=store, model=model, claimed=claimed, given=out).items():
                out[other] = triples
        return out

    def _numbered(self, *, store: Store, given: Mapping[URIRef, list[Triple]]) -> dict[URIRef, list[Triple]]:
        """``given`` with a version number added to each version document that gives none."""
        out = {name: list(triples) for name, triples in given.items()}
        unnumbered: dict[URIRef, list[URIRef]] = {}
        for name, triples in out.items():
            model = _model_of(name, triples)
            if model is not None and not any(s == name and p == MLKG.version for s, p, _ in triples):
                unnumbered.setdefault(model, []).append(name)
        for model, names in unnumbered.items():
            query = _NUMBERS.format(
                version_of=term_nt(MLKG.versionOf), model=term_nt(model), number=term_nt(MLKG.version)
            )
            result = store.query(query=query)
            assert isinstance(result, SelectResult)
            stored = {row["version"]: row.get("number") for row in result.dicts() if "version" in row}
            numbers = [_number(n) for n in stored.values()]
            numbers += [_number(o) for n, t in out.items() for s, p, o in t if s == n and p == MLKG.version]
            highest = max((n for n in numbers if n is not None), default=0)
            for name in names:
                number = stored.get(name)
                if not isinstance(number, Literal):
                    highest += 1
                    number = Literal(str(highest))
                out[name].append((name, MLKG.version, number))
        return out

    def _changes(
        self,
        *,
        store: Store,
        model: URIRef,
        claimed: list[tuple[URIRef, set[Literal], Literal | None]],
        given: Mapping[URIRef, list[Triple]],
    ) -> dict[URIRef, list[Triple]]:
        query = _VERSIONS.format(
            version_of=term_nt(MLKG.versionOf),
            model=term_nt(model),
            alias=term_nt(MLKG.alias),
            stage=term_nt(MLKG.stage),
        )
        result = store.query(query=query)
        assert isinstance(result, SelectResult)
        writers = {name for name, _, _ in claimed}
        aliases = {alias for _, claimed_aliases, _ in claimed for alias in claimed_aliases}
        stages = {stage for _, _, stage in claimed if stage is not None}
        losing: dict[URIRef, set[Triple]] = {}
        for row in result.dicts():
            version = row.get("version")
            if not isinstance(version, URIRef) or version in writers or version in given:
                continue
            alias, stage = row.get("alias"), row.get("stage")
            if alias in aliases:
                losing.setdefault(version, set()).add((version, MLKG.alias, alias))
            if stage in stages:
                losing.setdefault(version, set()).add((version, MLKG.stage, stage))
        changes: dict[URIRef, list[Triple]] = {}
        for version, removed in losing.items():
            kept = [(s, p, o) for s, p, o, _ in store.quads(graph=version) if (s, p, o) not in removed]
            if any(p == MLKG.stage for _, p, _ in removed):
                kept.append((version, MLKG.stage, ARCHIVED))
            changes[version] = kept
        return changes


def _model_of(name: URIRef, triples: list[Triple]) -> URIRef | None:
    """The registered model the graph ``name`` is a version of, if it is a model version's document."""
    if (name, RDF.type, MLKG.ModelVersion) not in triples:
        return None
    model = next((o for s, p, o in triples if s == name and p == MLKG.versionOf), None)
    return model if isinstance(model, URIRef) else None


def _number(term: object) -> int | None:
    try:
        return int(str(term)) if isinstance(term, Literal) else None
    except ValueError:
        return None


def _true(term: object) -> bool:
    return isinstance(term, Literal) and str(term).lower() in ("true", "1")
