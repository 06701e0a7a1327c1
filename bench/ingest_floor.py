"""The floor of the write path (issue 10): what the engines mlkg's ingest is built on take alone for the same
work, against what mlkg takes, measured in one process in one run on this machine.

The generated catalog (``bench/generate.py``, ``--triples``, seed 1) is parsed into entity documents once,
untimed. Then, on fresh on-disk stores:

- **floor, whole catalog**: for each batch of 500 documents (mlkg's batch), one ``pyshacl.validate`` of the
  batch's triples with mlkg's shapes (the class hierarchy added, no inference: what mlkg runs, without mlkg
  around it) and one pyoxigraph ``Store.extend`` of the batch's quads; then ``Catalog.reason()`` on the result
  (the lineage closure computed once, from scratch). The sum is what any loader that validates every
  document with pyshacl, stores it in pyoxigraph and keeps the inferred graph exact must spend.
- **mlkg, whole catalog**: ``Catalog.load`` of the same documents into another fresh store (parsing,
  validation, history, the writes and the incremental reasoner, batch by batch).
- **floor, one document** on the loaded store: ``pyshacl.validate`` of one model document's triples plus one
  ``Store.extend`` of its graph; **mlkg, one document**: ``Catalog.load`` of it (a ``POST /entities`` less
  the HTTP exchange). Median and p95 over ``--posts`` model documents, each sent without its last feature.

    .venv/bin/python bench/ingest_floor.py                  # 100k triples, ~3 min on 2 cores
    .venv/bin/python bench/ingest_floor.py --triples 25000

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pyshacl
from rdflib import RDFS, Graph

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.generate import generate_documents  # noqa: E402
from mlkg.catalog import Catalog  # noqa: E402
from mlkg.config import Settings  # noqa: E402
from mlkg.ingest import EntityDocument, InputFormat, Source  # noqa: E402
from mlkg.resources import SHAPES_FILE, data_file, ontology_text  # noqa: E402
from mlkg.store.oxterms import to_ox  # noqa: E402

BATCH = 500


def _timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000, 1),
    }


class Floor:
    """pyshacl and pyoxigraph alone, with the inputs mlkg gives them."""

    def __init__(self, store_path: Path) -> None:
        self.shapes = Graph().parse(data=data_file(SHAPES_FILE).read_text(encoding="utf-8"), format="turtle")
        ontology = Graph().parse(data=ontology_text(), format="turtle")
        self.hierarchy = list(ontology.triples((None, RDFS.subClassOf, None)))
        self.store = ox.Store(str(store_path))

    def validate(self, documents: list[EntityDocument]) -> None:
        data = Graph()
        for document in documents:
            for triple in document.triples:
                data.add(triple)
        for triple in self.hierarchy:
            data.add(triple)
        pyshacl.validate(data, shacl_graph=self.shapes, inference="none", allow_warnings=True)

    def write(self, documents: list[EntityDocument]) -> None:
        self.store.extend(
            ox.Quad(to_ox(s), to_ox(p), to_ox(o), ox.NamedNode(str(d.entity)))  # type: ignore[arg-type]
            for d in documents
            for s, p, o in d.triples
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, default=100_000)
    parser.add_argument("--posts", type=int, default=40)
    args = parser.parse_args(argv)

    raw = [d.json for d in generate_documents(target_triples=args.triples, seed=1)]
    results: dict[str, Any] = {
        "triples": args.triples,
        "documents": len(raw),
        "cpus": os.cpu_count(),
        "load_average_before": os.getloadavg()[0],
    }
    with tempfile.TemporaryDirectory(prefix="mlkg-floor-") as folder:
        mlkg_store = Path(folder) / "mlkg"
        floor = Floor(Path(folder) / "floor")
        with Catalog(settings=Settings(store=str(mlkg_store))) as loaded:
            source = Source(name="catalog.json", data=json.dumps(raw).encode(), format=InputFormat.JSON)
            documents = loaded.ingestor.parse(source=source).documents
            models = [doc for doc in raw if doc.get("type") == "mlmodel" and doc.get("mlFeatures")]

            batches = [documents[b : b + BATCH] for b in range(0, len(documents), BATCH)]
            shacl = sum(_timed(lambda b=b: floor.validate(b)) for b in batches)
            write = sum(_timed(lambda b=b: floor.write(b)) for b in batches)
            floor.store.flush()
            results["mlkg_load_s"] = round(_timed(lambda: loaded.load(raw)), 2)
            results["mlkg_reason_s"] = round(_timed(loaded.reason), 2)
            floor_total = shacl + write + results["mlkg_reason_s"]
            results["floor_load_s"] = {
                "pyshacl": round(shacl, 2),
                "pyoxigraph_write": round(write, 2),
                "reason": results["mlkg_reason_s"],
                "total": round(floor_total, 2),
            }
            results["load_over_floor"] = round(results["mlkg_load_s"] / floor_total, 2)
            results["floor_documents_per_s"] = round(len(documents) / floor_total, 1)
            results["mlkg_documents_per_s"] = round(len(documents) / results["mlkg_load_s"], 1)

            floor_one: list[float] = []
            mlkg_one: list[float] = []
            shacl_one: list[float] = []
            for model in models[: args.posts]:
                smaller = dict(model, mlFeatures=model["mlFeatures"][:-1])
                parsed = loaded.ingestor.parse(
                    source=Source(name="one.json", data=json.dumps(smaller).encode(), format=InputFormat.JSON)
                ).documents
                validated = _timed(lambda o=parsed: floor.validate(o))
                shacl_one.append(validated)
                floor_one.append(validated + _timed(lambda o=parsed: floor.write(o)))
                mlkg_one.append(_timed(lambda s=smaller: loaded.load(s)))
            results["one_document"] = {
                "floor": _ms(floor_one),
                "of_which_pyshacl": _ms(shacl_one),
                "mlkg_catalog_load": _ms(mlkg_one),
            }
        results["load_average_after"] = os.getloadavg()[0]
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
