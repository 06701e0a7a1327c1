"""mlkg: a semantic knowledge-graph store for machine-learning metadata.

``mlkg.open(store=...)`` returns a :class:`Catalog`: load documents, query with SPARQL, ask impact and
lineage, export linked data, with the inferred lineage graph kept exact after every write. Every error mlkg
raises on purpose is an :class:`MlkgError`; the subclasses below say what went wrong.
"""

from __future__ import annotations

__version__ = "0.1.0"

from mlkg.catalog import Catalog, open
from mlkg.errors import (
    AuthenticationError,
    ConflictError,
    ContextError,
    DeletedError,
    ForbiddenError,
    InputError,
    MissingDependencyError,
    MlkgError,
    NotAcceptableError,
    NotFoundError,
    ParseError,
    PayloadTooLargeError,
    PreconditionError,
    QueryError,
    QueryTimeoutError,
    ReasoningError,
    ServiceBusyError,
    SourceError,
    StoreError,
    StoreInUseError,
    UnsupportedFormatError,
    ValidationError,
)

__all__ = [
    "AuthenticationError",
    "Catalog",
    "ConflictError",
    "ContextError",
    "DeletedError",
    "ForbiddenError",
    "InputError",
    "MissingDependencyError",
    "MlkgError",
    "NotAcceptableError",
    "NotFoundError",
    "ParseError",
    "PayloadTooLargeError",
    "PreconditionError",
    "QueryError",
    "QueryTimeoutError",
    "ReasoningError",
    "ServiceBusyError",
    "SourceError",
    "StoreError",
    "StoreInUseError",
    "UnsupportedFormatError",
    "ValidationError",
    "__version__",
    "open",
]
