"""What crash safety costs: the write record per write, and the repair after a crash (issue 11, point 3).

Every write through ``ReasonedStore`` commits a record to the pending graph before its asserted change and
deletes it after its inferred change (:mod:`mlkg.reasoning.journal`). On a generated catalog in an on-disk
embedded store (the write path ``mlkg load`` and ``POST /entities`` use), this times:

- the record alone: ``begin()`` + ``end()`` pairs, median and p90 over 500;
- single-entity writes (a model document re-uploaded without one of its features, then with it, over 20
  models), each pair once with the record and once with a no-op journal in its place, in alternating order,
  so both see the same store and the same load (40 writes each);
- opening the store when no write was interrupted: ``ReasonedStore(...)`` plus ``ensure_state()``, what
  ``mlkg serve`` does before serving (builds the reasoner's state; the record check is one read);
- opening it after a write was killed between its two transactions (simulated: the record and a model's new
  version committed, no inferred change), which recomputes the inferred graph writing only the difference.

With ``--remote-sizes`` the same runs on an Oxigraph server through the remote backend (started as
``bench/remote.py`` does), where the record is two more update requests per write.

    python bench/crashsafe.py --sizes 10000 100000 --remote-sizes 10000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rdflib import RDF, URIRef

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.generate import generate_catalog  # noqa: E402
from bench.remote import start_server  # noqa: E402
from mlkg.reasoning import load_ontology  # noqa: E402
from mlkg.reasoning.journal import WriteJournal  # noqa: E402
from mlkg.reasoning.program import LineageProgram  # noqa: E402
from mlkg.reasoning.store import ReasonedStore  # noqa: E402
from mlkg.store import install_ontology  # noqa: E402
from mlkg.store.base import Store  # noqa: E402
from mlkg.store.oxigraph import OxigraphStore  # noqa: E402
from mlkg.store.sparql import Endpoints, SparqlStore  # noqa: E402
from mlkg.vocab import MLKG  # noqa: E402


class NoJournal:
    """A journal that records nothing: the write path as it was before the record."""

    def interrupted(self) -> bool:
        return False

    def begin(self, *, again: bool = False) -> None:
        pass

    def end(self) -> None:
        pass

    def clear(self) -> None:
        pass


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered) * 1000:.3f} / {p90 * 1000:.3f}"


def run_size(*, triples: int, seed: int, remote: bool) -> dict[str, str]:
    with tempfile.TemporaryDirectory() as folder:
        if not remote:
            with OxigraphStore(path=str(Path(folder) / "store")) as embedded:
                return measure(embedded, triples=triples, seed=seed)
        process, url = start_server(Path(folder) / "server")
        try:
            endpoints = Endpoints(query=f"{url}/query", update=f"{url}/update", gsp=f"{url}/store")
            with SparqlStore(endpoints=endpoints) as engine:
                return measure(engine, triples=triples, seed=seed)
        finally:
            process.terminate()
            process.wait(timeout=30)


def measure(inner: Store, *, triples: int, seed: int) -> dict[str, str]:
    out: dict[str, str] = {}
    program = LineageProgram.from_ontology(load_ontology())
    install_ontology(store=inner)
    documents: dict[URIRef, list[Any]] = {}
    batch: dict[URIRef, list[Any]] = {}
    for graph, doc in generate_catalog(target_triples=triples, seed=seed):
        if (graph, RDF.type, MLKG.Model) in doc:
            documents[graph] = doc
        batch[graph] = doc
        if len(batch) >= 500:
            inner.replace_graphs(graphs=batch)
            batch = {}
    inner.replace_graphs(graphs=batch)
    documents = {model: documents[model] for model in sorted(documents)[:20]}
    store = ReasonedStore(inner=inner, program=program)
    out["inferred triples"] = f"{store.recompute().inferred_added:,}"

    journal = WriteJournal(store=inner)
    pairs = []
    for _ in range(500):
        started = time.perf_counter()
        journal.begin()
        journal.end()
        pairs.append(time.perf_counter() - started)
    out["record alone, begin + end (ms)"] = _ms(pairs)

    recorded, bare = [], []
    real = store._journal  # the benchmark swaps in a no-op journal for the comparison
    for index, (model, doc) in enumerate(documents.items()):
        feature = next(t for t in doc if t[1] == MLKG.usesFeature)
        variants = [(real, recorded), (NoJournal(), bare)]
        for journal_used, samples in variants if index % 2 else variants[::-1]:
            store._journal = journal_used  # type: ignore[assignment]
            for version in ([t for t in doc if t != feature], doc):  # each variant: one removal, one addition
                started = time.perf_counter()
                store.replace_graphs(graphs={model: version})
                samples.append(time.perf_counter() - started)
    store._journal = real
    out["write with the record (ms)"] = _ms(recorded)
    out["write without it (ms)"] = _ms(bare)

    started = time.perf_counter()
    opened = ReasonedStore(inner=inner, program=program)
    opened.ensure_state()
    out["open, nothing to repair (s)"] = f"{time.perf_counter() - started:.2f}"
    assert opened.repaired is None

    model, doc = next(iter(documents.items()))
    feature = next(t for t in doc if t[1] == MLKG.usesFeature)
    WriteJournal(store=inner).begin()  # a write killed between its two transactions
    inner.replace_graphs(graphs={model: [t for t in doc if t != feature]})
    started = time.perf_counter()
    repaired = ReasonedStore(inner=inner, program=program).repaired
    out["open after a killed write, repairing (s)"] = f"{time.perf_counter() - started:.2f}"
    assert repaired is not None
    out["  inferred triples added / removed"] = f"{repaired.inferred_added} / {repaired.inferred_removed}"
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--remote-sizes", type=int, nargs="*", default=[])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    runs = [(size, False) for size in args.sizes] + [(size, True) for size in args.remote_sizes]
    results = []
    for size, remote in runs:
        print(
            f"catalog of {size:,} triples, {'remote' if remote else 'embedded'} ...",
            file=sys.stderr,
            flush=True,
        )
        results.append(run_size(triples=size, seed=args.seed, remote=remote))
    heads = [f"{size:,} {'remote' if remote else 'embedded'}" for size, remote in runs]
    print(f"{'catalog (target triples), median / p90':<44}" + "".join(f"{h:>20}" for h in heads))
    for key in results[0]:
        print(f"{key:<44}" + "".join(f"{r[key]:>20}" for r in results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
