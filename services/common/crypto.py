"""Secrets at rest: Fernet with rotation (the newest key encrypts, every key decrypts) and a keyed
hash (HMAC-SHA256 with a key derived from the newest data key) for duplicate detection."""
import hashlib
import hmac

from cryptography.fernet import Fernet, MultiFernet
from nameko.extensions import DependencyProvider


class DataKeys:
    def __init__(self, keys):
        if not keys:
            raise ValueError("KAMENG_DATA_KEY is not set: codes cannot be stored")
        self._fernet = MultiFernet([Fernet(k) for k in keys])
        self._hash_key = hashlib.sha256(b"kameng-keyed-hash:" + keys[-1].encode()).digest()

    def encrypt(self, plaintext: str) -> bytes:
        return self._fernet.encrypt(plaintext.encode())

    def decrypt(self, token: bytes) -> str:
        return self._fernet.decrypt(bytes(token)).decode()

    def rotate(self, token: bytes) -> bytes:
        """Re-encrypt under the newest key (for the rotation command)."""
        return self._fernet.rotate(bytes(token))

    def keyed_hash(self, value: str) -> bytes:
        """Stable across rotations: derived from the oldest key still listed, so adding a key in
        front does not change every hash. Drop that key only after re-hashing."""
        return hmac.new(self._hash_key, value.encode(), hashlib.sha256).digest()


class Keys(DependencyProvider):
    """`keys = Keys()` on a service: DataKeys from the DATA_KEYS config (KAMENG_DATA_KEY).
    A service that needs them refuses to start without them."""

    def setup(self):
        self.keys = DataKeys(self.container.config.get("DATA_KEYS") or [])

    def get_dependency(self, worker_ctx):
        return self.keys
