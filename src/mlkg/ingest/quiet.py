"""Keep rdflib's "Failed to convert Literal lexical form" warning (with its traceback) out of mlkg's output.

rdflib logs it, through the ``rdflib.term`` logger, whenever a literal's lexical form is not valid for its
datatype (a metric value ``"high"^^xsd:double``). mlkg reports such a value itself, as a SHACL violation of
the document that holds it (``ontology/shapes.ttl``), so rdflib's warning only repeats it, as a traceback on
the command's stderr or in the server log (issue 13). The filter drops exactly that record; every other rdflib
message still gets through. It uses logging's own API (no rdflib code is replaced: docs/architecture.md,
habit 3) and is attached at most once per process.
"""

from __future__ import annotations

import logging
import threading
from typing import Final

__all__ = ["ILL_TYPED_LITERAL", "quiet_ill_typed_literals"]

#: How rdflib's record starts (rdflib.term._castLexicalToPython).
ILL_TYPED_LITERAL: Final = "Failed to convert Literal lexical form to value"

_ATTACH = threading.Lock()


class _IllTypedLiteral(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.startswith(ILL_TYPED_LITERAL))


def quiet_ill_typed_literals() -> None:
    """Attach the filter to the ``rdflib.term`` logger, unless it already is."""
    logger = logging.getLogger("rdflib.term")
    with _ATTACH:
        if not any(isinstance(f, _IllTypedLiteral) for f in logger.filters):
            logger.addFilter(_IllTypedLiteral())
