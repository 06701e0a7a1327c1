"""The only code that finds the files shipped with mlkg: ``ontology/``, ``contexts/``, ``queries/`` and the
demo catalog (``examples/demo/``, shipped as ``_data/demo``).

They live at the top of the repository (the layout in docs/architecture.md, section 1) and are shipped inside
the package as
``mlkg/_data/`` (symbolic links in the source tree, copies in a wheel), read with :mod:`importlib.resources`.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from importlib.resources.abc import Traversable

from mlkg.errors import NotFoundError

__all__ = [
    "ALIGNMENT_FILE",
    "CONTEXT_FILE",
    "ONTOLOGY_FILE",
    "SHAPES_FILE",
    "context_text",
    "data_file",
    "demo_files",
    "ontology_text",
    "package_query",
    "query_files",
]

ONTOLOGY_FILE = "ontology/mlkg.ttl"
ALIGNMENT_FILE = "ontology/alignment.ttl"
SHAPES_FILE = "ontology/shapes.ttl"
CONTEXT_FILE = "contexts/mlkg.jsonld"


def _root() -> Traversable:
    return resources.files("mlkg").joinpath("_data")


def data_file(name: str) -> Traversable:
    """Return the shipped file ``name`` (e.g. ``"ontology/mlkg.ttl"``).

    :raises NotFoundError: if no such file is shipped.
    """
    node = _root()
    for part in name.split("/"):
        node = node.joinpath(part)
    if not node.is_file():
        raise NotFoundError(f"mlkg data file {name!r} is missing from the installed package")
    return node


def ontology_text() -> str:
    """The Turtle text of ``ontology/mlkg.ttl``."""
    return data_file(ONTOLOGY_FILE).read_text(encoding="utf-8")


def context_text() -> str:
    """The JSON text of ``contexts/mlkg.jsonld``."""
    return data_file(CONTEXT_FILE).read_text(encoding="utf-8")


def query_files() -> Iterator[tuple[str, str]]:
    """Yield ``(name, text)`` for every ``queries/*.rq`` file, sorted by name."""
    folder = _root().joinpath("queries")
    if not folder.is_dir():
        return
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".rq") and entry.is_file():
            yield entry.name[: -len(".rq")], entry.read_text(encoding="utf-8")


def demo_files() -> list[tuple[str, bytes]]:
    """``(file name, bytes)`` of every document of the demo catalog (``examples/demo/*.json``), in load order.

    :raises NotFoundError: if the demo catalog is missing from the installed package.
    """
    folder = _root().joinpath("demo")
    if not folder.is_dir():
        raise NotFoundError("the demo catalog (examples/demo) is missing from the installed package")
    entries = sorted((e for e in folder.iterdir() if e.name.endswith(".json")), key=lambda e: e.name)
    return [(entry.name, entry.read_bytes()) for entry in entries]


def package_query(package: str, name: str) -> str:
    """The text of the SPARQL file ``queries/{name}.rq`` inside the mlkg sub-package ``package`` (e.g. the
    search index's ``mlkg.search``): queries a module runs itself, which are not named queries.

    :raises NotFoundError: if the package ships no such file.
    """
    entry = resources.files(package).joinpath("queries", f"{name}.rq")
    if not entry.is_file():
        raise NotFoundError(f"query file {name}.rq is missing from the installed package {package}")
    return entry.read_text(encoding="utf-8")
