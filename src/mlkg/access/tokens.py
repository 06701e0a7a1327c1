"""Principals' tokens: how they are made and how they are checked (docs/architecture.md, section 10).

A token is ``mlkg_`` and 32 random bytes from :func:`secrets.token_urlsafe` (256 bits), shown once when the
principal is made. Only a salted SHA-256 of it is stored, with a random salt per principal. A slow key
derivation (scrypt, PBKDF2) exists to make guessing *low-entropy passwords* expensive; a 256-bit random token
cannot be guessed whatever the hash costs, so one SHA-256 (about a microsecond) is as safe and keeps a
request's check far below the 0.2 ms budget (OWASP Password Storage Cheat Sheet: slow hashes are for
passwords; NIST SP 800-63B 5.1.1.2 asks for them on memorised secrets, not on random authenticators). Hashes
are compared with :func:`hmac.compare_digest`, in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Final

__all__ = ["TOKEN_PREFIX", "hash_token", "new_salt", "new_token", "same_hash"]

#: Every principal's token starts with it, so a leaked one is recognisable (secret scanners, logs).
TOKEN_PREFIX: Final = "mlkg_"


def new_token() -> str:
    """A new random token: the prefix and 32 random bytes, URL-safe base64."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_salt() -> str:
    """A new random salt, 16 bytes as hexadecimal."""
    return secrets.token_hex(16)


def hash_token(token: str, *, salt: str) -> str:
    """SHA-256 of the salt and the token, hexadecimal."""
    return hashlib.sha256(bytes.fromhex(salt) + token.encode("utf-8")).hexdigest()


def same_hash(given: str, stored: str) -> bool:
    """Whether two hashes are equal, compared in constant time."""
    return hmac.compare_digest(given.encode("ascii"), stored.encode("ascii"))
