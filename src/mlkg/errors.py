"""The one exception tree of mlkg.

Every error mlkg raises on purpose is a :class:`MlkgError`. Adapters around third-party libraries catch
their errors and raise one of these ``from`` them. The CLI maps them to exit codes and the HTTP API to status
codes, each in one place:

=========================  ==========  ===========
error                      CLI exit    HTTP status
=========================  ==========  ===========
InputError (and children)  2           400
UnsupportedFormatError     2           415
ValidationError            2           422
PayloadTooLargeError       2           413
NotAcceptableError         2           406
AuthenticationError        2           401
NotFoundError              2 (1)       404
QueryError                 2           400
ConflictError              2           409
PreconditionError          2           412
QueryTimeoutError          1           503
ServiceBusyError           1           503 (with Retry-After)
StoreError                 1           500
StoreInUseError            2 (2)       500
ReasoningError             1           500
MissingDependencyError     1           500
SourceError                1           502
=========================  ==========  ===========

(1) On the command line an entity the user named that the store does not hold is bad input (exit 2).
(2) ``StoreInUseError`` is a ``StoreError``: another process (``mlkg serve``) holds an embedded store's
    directory; a command that writes says which process and what to do instead.
"""

from __future__ import annotations

__all__ = [
    "AuthenticationError",
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
]


class MlkgError(Exception):
    """Base of every error mlkg raises on purpose."""


class InputError(MlkgError):
    """The user's input is wrong: a bad file, document, option or parameter.

    ``where`` names the offending place (a file name, a JSON pointer, a node IRI) when it is known.
    """

    def __init__(self, message: str, *, where: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class ParseError(InputError):
    """The input is not well-formed in its format (malformed JSON, Turtle syntax error, invalid JSON-LD)."""


class ContextError(InputError):
    """A JSON-LD ``@context`` cannot be used: unknown remote context (never fetched) or an invalid one."""


class UnsupportedFormatError(InputError):
    """The format (file extension, ``--format`` or media type) is not one mlkg reads or writes."""


class PayloadTooLargeError(InputError):
    """The input is larger than the configured limit."""


class ValidationError(InputError):
    """The document is well-formed but violates the SHACL shapes; ``results`` lists each violation."""

    def __init__(
        self, message: str, *, where: str | None = None, results: list[dict[str, str]] | None = None
    ):
        super().__init__(message, where=where)
        self.results = results or []


class NotAcceptableError(InputError):
    """No representation mlkg can write matches what the client accepts (HTTP ``Accept``)."""


class ConflictError(InputError):
    """The request does not fit the entity as it is now: a JSON Patch ``test`` that fails, a document that
    has no JSON form to patch."""


class PreconditionError(ConflictError):
    """The entity is no longer the version the request names (HTTP ``If-Match``, ``Catalog.patch(version=)``):
    someone else changed it since it was read."""


class AuthenticationError(MlkgError):
    """A write came without the configured bearer token, or with a wrong one."""


class ForbiddenError(MlkgError):
    """The request is refused whoever sends it: a write from a browser page of another origin (CSRF)."""


class NotFoundError(MlkgError):
    """The entity, graph, file or named query does not exist."""


class DeletedError(NotFoundError):
    """The entity was deleted (a soft delete): its history remains and a version can be restored."""


class QueryError(InputError):
    """A SPARQL query or update is malformed, or a named-query parameter is missing or of the wrong type."""


class QueryTimeoutError(MlkgError):
    """A query did not finish within its time limit."""


class ServiceBusyError(MlkgError):
    """The request was refused at once, without being run: too many earlier queries are still running past
    their time limit. ``retry_after`` is a number of seconds worth waiting before trying again."""

    def __init__(self, message: str, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class StoreError(MlkgError):
    """The store failed (I/O error, lock held by another process, engine unreachable)."""


class MissingDependencyError(MlkgError):
    """An optional part of mlkg was asked for without its extra installed (``pip install 'mlkg[mlflow]'``);
    the message names the extra."""


class SourceError(MlkgError):
    """A source system a connector reads (an MLflow tracking server or store) failed or answered something
    mlkg cannot use; the message carries the source's own."""


class ReasoningError(MlkgError):
    """The reasoner (or the owlrl reference adapter) failed on data that was accepted."""


class StoreInUseError(StoreError):
    """The embedded store's directory is held by another process (RocksDB's lock), e.g. ``mlkg serve``.

    ``path`` is the store directory. Reads can still open a read-only view of it
    (:func:`mlkg.store.reading.open_for_reading`); writes must go through the process holding it.
    """

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path
