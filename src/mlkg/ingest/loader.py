"""The frozen, offline JSON-LD document loader: mlkg never fetches a ``@context``.

JSON-LD 1.1 Processing Algorithms and API, section 4.1.2 (Context Processing Algorithm), step 5.2.5:
a remote context is dereferenced "using the LoadDocumentCallback" (section 9.4.1). This module is that
callback for pyld. It serves exactly one document, mlkg's own context (:data:`mlkg.vocab.CONTEXT_IRI`, read
from the package with :func:`mlkg.resources.context_text`), and refuses every other URL without any network
request. It is passed to pyld per call (``options={"documentLoader": ...}``); pyld's process-wide default
loader is never replaced (docs/architecture.md, habit 3).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from pyld.context_resolver import ContextResolver

from mlkg.errors import ContextError
from mlkg.resources import context_text
from mlkg.vocab import CONTEXT_IRI

__all__ = ["FrozenContextLoader", "remote_context_message"]

#: JSON-LD processing mode mlkg uses everywhere (JSON-LD 1.1 API, ``JsonLdOptions.processingMode``).
PROCESSING_MODE = "json-ld-1.1"


def remote_context_message(url: str) -> str:
    """The message given for a ``@context`` URL mlkg refuses to fetch."""
    return (
        f"remote @context {url} is not allowed: mlkg never fetches contexts; "
        f"use {CONTEXT_IRI} or an inline context"
    )


class FrozenContextLoader:
    """A pyld ``documentLoader`` serving only mlkg's context, from the installed package.

    Calling it with any URL other than :data:`mlkg.vocab.CONTEXT_IRI` raises :class:`ContextError`; pyld
    wraps that in its own ``JsonLdError`` (the original stays in the ``__cause__`` chain, where
    :mod:`mlkg.ingest.jsonld` finds it). Each loader owns the cache of resolved contexts pyld keeps between
    calls, so nothing is shared with other pyld users in the process.
    """

    def __init__(self) -> None:
        self._context: dict[str, Any] = json.loads(context_text())
        # pyld's resolved-context cache (url -> {tag: ResolvedContext}); only our context is ever stored.
        self._resolved: dict[str, Any] = {}

    @property
    def context(self) -> Mapping[str, Any]:
        """The parsed ``contexts/mlkg.jsonld`` document (``{"@context": {...}}``). Do not modify it."""
        return self._context

    def __call__(self, url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Return the RemoteDocument (JSON-LD 1.1 API, section 9.4.3) for ``url``.

        :raises ContextError: for every URL but :data:`mlkg.vocab.CONTEXT_IRI`; nothing is fetched.
        """
        if url != CONTEXT_IRI:
            raise ContextError(remote_context_message(url))
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": copy.deepcopy(self._context),
            # "static" lets pyld keep the processed context in this loader's own cache.
            "tag": "static",
        }

    def options(self, *, base: str) -> dict[str, Any]:
        """pyld options for one operation: this loader, a context resolver over this loader's cache,
        JSON-LD 1.1 processing mode and ``base`` as the document's base IRI."""
        return {
            "documentLoader": self,
            "contextResolver": ContextResolver(self._resolved, self),
            "base": base,
            "processingMode": PROCESSING_MODE,
        }
