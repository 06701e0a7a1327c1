"""Webhook signing secrets (docs/architecture.md, section 8).

Everything in the store can be read through ``/sparql`` by anyone who may read, so no secret is stored
there. One server key (32 random bytes, hex) is kept in a file readable by its owner only (mode 0600):
``MLKG_EVENTS_KEY_FILE``, by default ``mlkg-events.key`` in the directory of an on-disk store. Each
subscription's secret is derived from it, ``HMAC-SHA256(key, "mlkg-webhook:" + subscription id)``: it is
shown once when the subscription is made, never stored, and the same after a restart. An in-memory store
uses a key that lives as long as the process (its subscriptions do too); a remote store needs the file
configured, since its subscriptions outlive the process. Replacing the key file changes every secret.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path
from typing import Final

from mlkg.catalog import Catalog
from mlkg.errors import InputError
from mlkg.store.sparql import SparqlStore

__all__ = ["KEY_FILE_NAME", "SigningKey", "signature"]

#: The key file's name in an on-disk store's directory, when ``MLKG_EVENTS_KEY_FILE`` is not set.
KEY_FILE_NAME: Final = "mlkg-events.key"


def signature(*, secret: str, body: bytes) -> str:
    """The ``X-Mlkg-Signature`` value of ``body``: ``sha256=`` and the hex HMAC-SHA256 of the raw bytes with
    the subscription's secret (as GitHub signs webhooks)."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class SigningKey:
    """The server key subscriptions' secrets derive from. ``SigningKey.for_settings`` finds or makes it."""

    def __init__(self, *, key: bytes | None, missing: str | None = None) -> None:
        self._key = key
        #: Why there is no key (a remote store without ``MLKG_EVENTS_KEY_FILE``); None if there is one.
        self.missing = missing

    @classmethod
    def for_catalog(cls, catalog: Catalog) -> SigningKey:
        """The key of the catalog's store (:meth:`locate`).

        :raises InputError: as :meth:`locate`.
        """
        return cls.locate(
            key_file=catalog.settings.events_key_file,
            directory=catalog.location,
            remote=isinstance(catalog.store.inner, SparqlStore),
        )

    @classmethod
    def locate(cls, *, key_file: Path | None, directory: Path | None, remote: bool) -> SigningKey:
        """The key read from ``key_file``, else from ``mlkg-events.key`` in an on-disk store's ``directory``
        (made, mode 0600, if absent); else a key for this process only, or none for a ``remote`` store.

        :raises InputError: if the file is readable or writable by others than its owner, or unreadable.
        """
        path = key_file if key_file is not None else None if directory is None else directory / KEY_FILE_NAME
        if path is None:
            if remote:
                return cls(
                    key=None,
                    missing="webhooks on a remote store need a key file that outlives the process: set "
                    "MLKG_EVENTS_KEY_FILE (made with mode 0600 if absent)",
                )
            return cls(key=secrets.token_bytes(32))
        return cls(key=_read_or_make(Path(path)))

    def secret(self, subscription: str) -> str:
        """The signing secret of the subscription with id ``subscription`` (hex).

        :raises InputError: if there is no key (:attr:`missing` says why).
        """
        if self._key is None:
            raise InputError(self.missing or "no webhook signing key", where="MLKG_EVENTS_KEY_FILE")
        return hmac.new(
            self._key, b"mlkg-webhook:" + subscription.encode("utf-8"), hashlib.sha256
        ).hexdigest()


def _read_or_make(path: Path) -> bytes:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    except OSError as error:
        raise InputError(f"cannot make the webhook key file: {error}", where=str(path)) from error
    else:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_hex(32) + "\n")
    try:
        mode = path.stat().st_mode
        if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise InputError(
                f"the webhook key file is open to other users (mode {stat.filemode(mode)}): chmod 600 it",
                where=str(path),
            )
        text = path.read_text(encoding="ascii").strip()
        key = bytes.fromhex(text)
    except (OSError, ValueError) as error:
        raise InputError(f"cannot read the webhook key file: {error}", where=str(path)) from error
    if len(key) < 16:
        raise InputError("the webhook key file holds fewer than 16 bytes (32 hex digits)", where=str(path))
    return key
