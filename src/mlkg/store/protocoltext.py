"""The text a SPARQL 1.1 Protocol request runs: its base IRI, and an update's protocol dataset.

SPARQL 1.1 Query, section 4.1.1.1 (which Update follows): relative IRIs are resolved against a base IRI;
for a request, that is the URL it was sent to (the Protocol's test ``update_base_uri``: "which MAY be the
service endpoint"). SPARQL 1.1 Protocol, section 2.2.3: ``using-graph-uri`` and ``using-named-graph-uri``
give the RDF dataset of an update's WHERE patterns as USING and USING NAMED do, and "if the update request
includes protocol-level dataset and the update operation includes USING, USING NAMED, or WITH, the service
must refuse" it.

The base is written into the text, so both store backends run the same request: a ``BASE`` declaration
first when the text has a relative IRI (an update's or query's own ``BASE`` is then resolved against it, RFC
3986 section 5.1). The protocol dataset is given to the store (:meth:`mlkg.store.base.Store.update`): the
remote backend sends it on as the same protocol parameters (an engine querying the union of its graphs may
refuse ``USING`` in the text, as Oxigraph server does), the embedded store writes it as ``USING`` clauses
before each WHERE (:func:`with_using`), placed by the lexer and counted against the operations of the parsed
update. What an update may write is decided by the store on the parse of the text, before it writes
anything (architecture, section 2, step 4); USING changes only what the WHERE patterns read.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Final

from rdflib import URIRef

from mlkg.errors import QueryError
from mlkg.store.sparqlcheck import UpdateGraphs, check_update
from mlkg.store.sparqltext import add_using, has_relative_iri

__all__ = ["check_protocol_dataset", "with_base", "with_using"]

#: The lexer's answer is remembered for texts up to this many characters (a query is sent many times).
_CACHED_TEXT: Final = 64 * 1024


def with_base(text: str, *, base: Callable[[], str]) -> str:
    """``text`` with ``BASE <base()>`` before it if it has a relative IRI, else ``text`` itself (so error
    positions in texts that need no base are those the client wrote; ``base`` is called only if needed).

    :raises QueryError: if the base holds characters an IRI cannot (it is the request's URL).
    """
    if not (_cached_relative(text) if len(text) <= _CACHED_TEXT else has_relative_iri(text)):
        return text
    iri = base()
    if any(c in iri for c in ' <>"{}|^`\\'):
        raise QueryError(f"the request URL {iri!r} cannot be a base IRI")
    return f"BASE <{iri}> {text}"


@functools.lru_cache(maxsize=1024)
def _cached_relative(text: str) -> bool:
    return has_relative_iri(text)


def check_protocol_dataset(text: str) -> UpdateGraphs:
    """Parse an update given a protocol dataset and refuse it if it names its own dataset too.

    :raises QueryError: if the update is malformed or refused (``LOAD``, ``SERVICE``), or has ``USING``,
        ``USING NAMED`` or ``WITH`` (SPARQL 1.1 Protocol, section 2.2.3: "the service must refuse").
    """
    graphs = check_update(text)
    if graphs.dataset:
        raise QueryError(
            "the request gives using-graph-uri / using-named-graph-uri and the update has USING, USING "
            "NAMED or WITH: give the dataset one way (SPARQL 1.1 Protocol, section 2.2.3)",
            where="using-graph-uri",
        )
    return graphs


def with_using(text: str, *, using: Sequence[URIRef], using_named: Sequence[URIRef]) -> str:
    """The update with the protocol dataset written as ``USING`` / ``USING NAMED`` clauses on each operation
    that has a WHERE pattern, for an engine that takes the dataset only in the text (the embedded store).

    :raises QueryError: as :func:`check_protocol_dataset`, or if the clauses found do not match the parsed
        operations (never written then).
    """
    if not using and not using_named:
        return text
    graphs = check_protocol_dataset(text)
    written, found = add_using(text, default=list(using), named=list(using_named))
    if found != graphs.patterns:
        raise QueryError(
            f"cannot apply the protocol dataset: {graphs.patterns} WHERE patterns parsed, {found} found"
        )
    return written
