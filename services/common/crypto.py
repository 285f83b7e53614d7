"""Secrets at rest: AES-256-GCM with key rotation, and a keyed hash for duplicate detection.

KAMENG_DATA_KEY holds one or more keys (urlsafe base64 of 32 bytes, e.g. a Fernet key),
comma-separated, newest first. The newest encrypts; every listed key decrypts: a token starts
with the id of its key (4 bytes of the key's SHA-256), then a 12-byte nonce, then the ciphertext
and tag. `rotate()` re-encrypts under the newest key. (AES-GCM rather than Fernet: six times
faster, which the bulk import needs.)

The keyed hash (HMAC-SHA256) uses a key derived from the *oldest* listed key, so adding a key in
front does not change every hash; drop that key only after re-hashing."""

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
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("KAMENG_DATA_KEY is not set: codes cannot be stored")
        raw = [self._decode(k) for k in keys]
        self._ciphers = {hashlib.sha256(k).digest()[:4]: AESGCM(k) for k in raw}
        self._newest_id = hashlib.sha256(raw[0]).digest()[:4]
        self._hash_key = hashlib.sha256(b"kameng-keyed-hash:" + raw[-1]).digest()

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
        return hmac.new(self._hash_key, value.encode(), hashlib.sha256).digest()


class Keys(DependencyProvider):
    """`keys = Keys()` on a service: DataKeys from the DATA_KEYS config (KAMENG_DATA_KEY).
    A service that needs them refuses to start without them."""

    def setup(self) -> None:
        self.keys = DataKeys(self.container.config.get("DATA_KEYS") or [])

    def get_dependency(self, worker_ctx: Any) -> DataKeys:
        return self.keys
