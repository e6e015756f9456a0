"""Passwords (argon2), bearer tokens and one-time activation codes; only digests are stored."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

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


# Ballots (docs/ballots.md): a vote is stored under a random receipt code and a keyed hash of its
# household, which only the holder of the ballot key can make.
RECEIPT_LENGTH = 12


def new_receipt() -> str:
    """A receipt code: 12 symbols of 32 (60 bits), shown as XXXX-XXXX-XXXX."""
    code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(RECEIPT_LENGTH))
    return "-".join(code[i : i + 4] for i in range(0, RECEIPT_LENGTH, 4))


def normal_receipt(text: str) -> str:
    """A receipt as typed (lower case, spaces, no dashes) in its stored form, XXXX-XXXX-XXXX."""
    code = "".join(c for c in text.upper() if c.isalnum())
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def voter_digest(key: bytes, ballot_id: int, household_id: int) -> str:
    """Which stored vote is this household's: HMAC-SHA-256 under the ballot key."""
    return hmac.new(
        key, f"ballot {ballot_id} household {household_id}".encode(), "sha256"
    ).hexdigest()


def ballot_key(configured: str | None, database_url: str) -> bytes | None:
    """The key of voters' digests: PARKING_BALLOT_KEY, or for an SQLite file a key kept in a file
    beside it (`<db>.ballot-key`, made on first use, readable by its owner only); None when there
    is neither (PostgreSQL without the setting: ballots then refuse votes)."""
    if configured:
        return configured.encode()
    prefix = "sqlite:///"
    if not database_url.startswith(prefix) or database_url == prefix + ":memory:":
        return None
    path = Path(database_url[len(prefix) :] + ".ballot-key")
    if not path.exists():
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it meanwhile
        else:
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_hex(32))
    return path.read_text().strip().encode()
