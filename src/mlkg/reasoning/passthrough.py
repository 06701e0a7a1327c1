"""The read capabilities a :class:`~mlkg.reasoning.store.ReasonedStore` passes on from the store it wraps.

A backend may offer optional capabilities next to :class:`~mlkg.store.base.Store` (:mod:`mlkg.store.base`):
the embedded store serialises query results and exports itself, much faster than building rdflib terms.
Code that reads through a ``ReasonedStore`` checks them with ``isinstance`` like on any store, so the wrapper
offers exactly the read capabilities of the store it wraps: :func:`offering` picks a subclass of it with one
forwarding mixin per capability. The write capabilities (:class:`~mlkg.store.base.GraphSync`,
:class:`~mlkg.store.base.BulkAppend`, :class:`~mlkg.store.base.BulkTriples`) are not passed on: a write
through them would bypass the reasoner (docs/architecture.md, section 3).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from functools import cache
from typing import BinaryIO, Final, TypeVar, cast

from rdflib import URIRef

from mlkg.store.base import (
    GraphResult,
    MergedTriples,
    NativeDump,
    RdfFormat,
    ResultsMediaType,
    SerializedQuery,
    Store,
    Term,
    Triple,
)

__all__ = ["offering"]

C = TypeVar("C", bound=type)


class _Wrapper:
    """What a mixin needs of the class it is mixed into: the wrapped store."""

    inner: Store


class _ForwardsSerializedQuery(_Wrapper):
    def query_serialized(
        self,
        *,
        query: str,
        results_format: Callable[[], ResultsMediaType],
        bindings: Mapping[str, Term] | None = None,
        default_graphs: Sequence[URIRef] | None = None,
        named_graphs: Sequence[URIRef] | None = None,
        timeout: float | None = None,
    ) -> bytes | GraphResult:
        """:meth:`SerializedQuery.query_serialized <mlkg.store.base.SerializedQuery.query_serialized>` of the
        wrapped store."""
        return cast(SerializedQuery, self.inner).query_serialized(
            query=query,
            results_format=results_format,
            bindings=bindings,
            default_graphs=default_graphs,
            named_graphs=named_graphs,
            timeout=timeout,
        )


class _ForwardsNativeDump(_Wrapper):
    def dump(
        self,
        *,
        format: RdfFormat,
        output: BinaryIO,
        graph: URIRef | None = None,
        exclude: Collection[URIRef] = (),
        prefixes: Mapping[str, str] | None = None,
    ) -> None:
        """:meth:`NativeDump.dump <mlkg.store.base.NativeDump.dump>` of the wrapped store."""
        cast(NativeDump, self.inner).dump(
            format=format, output=output, graph=graph, exclude=exclude, prefixes=prefixes
        )


class _ForwardsMergedTriples(_Wrapper):
    def merged_triples(self, *, exclude: Collection[URIRef] = ()) -> Iterator[Triple]:
        """:meth:`MergedTriples.merged_triples <mlkg.store.base.MergedTriples.merged_triples>` of the wrapped
        store."""
        return cast(MergedTriples, self.inner).merged_triples(exclude=exclude)


#: Each read capability and the mixin that forwards it, in a fixed order (so one combination is one class).
READ_CAPABILITIES: Final[tuple[tuple[type, type[_Wrapper]], ...]] = (
    (SerializedQuery, _ForwardsSerializedQuery),
    (NativeDump, _ForwardsNativeDump),
    (MergedTriples, _ForwardsMergedTriples),
)


def offering(base: C, *, inner: Store) -> C:
    """``base`` (a wrapper class), or a subclass of it forwarding each read capability ``inner`` has."""
    mixins = tuple(mixin for capability, mixin in READ_CAPABILITIES if isinstance(inner, capability))
    return _combined(base, mixins) if mixins else base


@cache
def _combined(base: C, mixins: tuple[type[_Wrapper], ...]) -> C:
    """One class per combination, made once: ``type`` would otherwise make a new class per store opened."""
    return cast(
        C, type(base.__name__, (*mixins, base), {"__module__": base.__module__, "__doc__": base.__doc__})
    )
