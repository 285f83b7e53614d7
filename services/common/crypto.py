"""Secrets at rest: AES-256-GCM with key rotation, and a keyed hash for duplicate detection.

KAMENG_DATA_KEY holds one or more keys (urlsafe base64 of 32 bytes, e.g. a Fernet key),
comma-separated, newest first. The newest encrypts; every listed key decrypts: a token starts
with the id of its key (4 bytes of the key's SHA-256), then a 12-byte nonce, then the ciphertext
and tag. `rotate()` re-encrypts under the newest key. (AES-GCM rather than Fernet: six times
faster, which the bulk import needs.)

The keyed hash (HMAC-SHA256, duplicate detection of codes) has its own key, which no rotation
drops: the catalog generates it once — the first time, derived from the oldest data key listed,
so the hashes made before it was recorded stay valid — and records it in `catalog.hash_keys`,
encrypted with the data keys like any other secret (services/catalog/domain/hash_keys.py). Key
rotation re-encrypts that record with the rest (services/rotation.py), so an old data key can be
dropped once the rotation has run: the hash key, and with it every code's hash, stays the same.
A `DataKeys` made without a hash key can encrypt and decrypt but not hash."""

import base64
import hashlib
import hmac
import os
from collections.abc import Sequence
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from nameko.extensions import DependencyProvider

VERSION = b"\x01"


class DataKeys:
    def __init__(self, keys: Sequence[str], hash_key: bytes | None = None) -> None:
        if not keys:
            raise ValueError("KAMENG_DATA_KEY is not set: codes cannot be stored")
        raw = [self._decode(k) for k in keys]
        self._ciphers = {hashlib.sha256(k).digest()[:4]: AESGCM(k) for k in raw}
        self._newest_id = hashlib.sha256(raw[0]).digest()[:4]
        self._raw = raw
        self._hash_key = hash_key

    def with_hash_key(self, hash_key: bytes) -> "DataKeys":
        """These data keys, hashing with `hash_key` (the recorded one)."""
        keys = DataKeys.__new__(DataKeys)
        keys.__dict__.update(self.__dict__)
        keys._hash_key = hash_key
        return keys

    def derive_hash_key(self) -> bytes:
        """The hash key the first recording takes: derived from the oldest data key listed, as
        every keyed hash was before hash keys were recorded."""
        return hashlib.sha256(b"kameng-keyed-hash:" + self._raw[-1]).digest()

    @property
    def hash_key_id(self) -> str:
        """The id codes carry of the key their hash was made with (hex of 4 bytes of its SHA-256)."""
        if self._hash_key is None:
            raise RuntimeError("no hash key: load the recorded one (catalog.hash_keys) first")
        return hash_key_id(self._hash_key)

    @staticmethod
    def _decode(key: str) -> bytes:
        try:
            raw = base64.urlsafe_b64decode(key.strip().encode())
        except (ValueError, TypeError):
            raw = b""
        if len(raw) != 32:
            raise ValueError("each data key must be urlsafe base64 of 32 bytes")
        return raw

    def encrypt(self, plaintext: str) -> bytes:
        nonce = os.urandom(12)
        head = VERSION + self._newest_id
        return head + nonce + self._ciphers[self._newest_id].encrypt(nonce, plaintext.encode(), head)

    def decrypt(self, token: bytes) -> str:
        token = bytes(token)
        head, key_id, nonce, body = token[:5], token[1:5], token[5:17], token[17:]
        cipher = self._ciphers.get(key_id)
        if token[:1] != VERSION or cipher is None:
            raise ValueError("encrypted with a key that is not configured")
        try:
            return cipher.decrypt(nonce, body, head).decode()
        except InvalidTag:
            raise ValueError("ciphertext was tampered with") from None

    def is_current(self, token: bytes) -> bool:
        return bytes(token[1:5]) == self._newest_id

    def rotate(self, token: bytes) -> bytes:
        """The same plaintext under the newest key (unchanged when it already is)."""
        return bytes(token) if self.is_current(token) else self.encrypt(self.decrypt(token))

    def keyed_hash(self, value: str) -> bytes:
        if self._hash_key is None:
            raise RuntimeError("no hash key: load the recorded one (catalog.hash_keys) first")
        return hmac.new(self._hash_key, value.encode(), hashlib.sha256).digest()


def hash_key_id(hash_key: bytes) -> str:
    return hashlib.sha256(hash_key).hexdigest()[:8]


class Keys(DependencyProvider):
    """`keys = Keys()` on a service: DataKeys from the DATA_KEYS config (KAMENG_DATA_KEY).
    A service that needs them refuses to start without them."""

    def setup(self) -> None:
        self.keys = DataKeys(self.container.config.get("DATA_KEYS") or [])

    def get_dependency(self, worker_ctx: Any) -> DataKeys:
        return self.keys
