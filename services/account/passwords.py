"""Passwords for buyers and staff alike (issue 18): argon2id hashes (argon2-cffi's defaults, RFC
9106's low-memory profile), and the policy a new password must meet, with messages a person can
act on. The check against breached passwords uses a small bundled list (`breached.txt`: the most
common passwords of public breach corpora), compared case-insensitively."""

import unicodedata
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_CHARS = 10
MAX_CHARS = 128  # argon2 takes any length; a bound keeps a request's hashing cheap
HASHER = PasswordHasher()  # argon2id
# a hash to verify against when there is no account, so that a missing account costs the same time
_DUMMY = HASHER.hash("not-a-password-of-anyone")


@cache
def breached() -> frozenset[str]:
    lines = (Path(__file__).with_name("breached.txt")).read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().casefold() for line in lines if line.strip() and not line.startswith("#"))


def problems(password: str, *personal: str) -> list[str]:
    """What is wrong with a new password (empty: nothing). `personal`: the account's own e-mail,
    phone or name, which a password must not be built on."""
    if not isinstance(password, str):
        return ["must be text"]
    found = []
    if len(password) < MIN_CHARS:
        found.append(f"must be at least {MIN_CHARS} characters")
    if len(password) > MAX_CHARS:
        found.append(f"must be at most {MAX_CHARS} characters")
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in password):
        found.append("must not contain control characters")
    folded = password.casefold()
    if folded in breached():
        found.append("is one of the most common passwords, found in public breaches: choose another")
    elif len(set(password)) < 4:
        found.append("uses too few different characters")
    for value in personal:
        part = (value or "").split("@")[0].casefold()
        if len(part) >= 4 and part in folded:
            found.append("must not contain your e-mail, phone or name")
            break
    return found


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify(stored: str | None, password: str) -> bool:
    """Whether `password` matches `stored` (None: no such account; the same work is done)."""
    try:
        return HASHER.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """The hash was made with weaker parameters than today's: store a new one at the next sign-in."""
    return HASHER.check_needs_rehash(stored)
