"""Passwords (argon2), bearer tokens and one-time activation codes; only digests are stored."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Unambiguous letters and digits for codes read out at the office desk.
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def verify_secret(digest: str | None, secret: str) -> bool:
    if not digest:
        return False
    try:
        return _hasher.verify(digest, secret)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> tuple[str, str]:
    """(the bearer token to hand out, the digest to store)."""
    token = secrets.token_urlsafe(32)
    return token, token_digest(token)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_activation_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))


def masked_plate(plate: str) -> str:
    """沪A12345 -> 沪A1**45 (a plate in normal form; 沪A·12345 -> 沪A·1**45 as written in runs
    stored before 0006): enough for the gate to match a car, not enough to look one up."""
    keep = [i for i, c in enumerate(plate) if c.isalnum() and c.isascii()]
    # Long plates keep two characters at each end; short ones one, or none if that would be all.
    shown = 2 if len(keep) > 4 else (1 if len(keep) > 2 else 0)
    hidden = set(keep[shown : len(keep) - shown]) if shown else set(keep)
    return "".join("*" if i in hidden else c for i, c in enumerate(plate))


# Activation codes are random (10 of 32 symbols: 50 bits) and work once, so what protects them is
# their entropy, not the hash's cost: a light argon2 (25 ms here, against 330 ms for passwords)
# keeps an import of a compound's households to seconds of work.
_code_hasher = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)


def hash_code(code: str) -> str:
    """The digest of a one-time activation code (verify it with `verify_secret`)."""
    return _code_hasher.hash(code)
