"""The one signer of machine-to-machine calls (DESIGN §7): suppliers pushing inventory, and
agents calling the open API, sign each request with a key id and its secret:

    X-Key-Id, X-Timestamp (unix seconds), X-Nonce,
    X-Signature = hex HMAC-SHA256(secret, METHOD \\n PATH \\n TIMESTAMP \\n NONCE \\n sha256hex(body))

PATH is the path with its query string exactly as sent. The gateway reads the headers and hashes
the body (`read`); the service that owns the keys looks the secret up and calls `check`, then
records the nonce (unique per key for at least NONCE_TTL_S). Clients (the tests, the bench, the
supplier simulator) sign with `headers`."""

import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from services.common.errors import Unauthorized

SKEW_S = 300  # a timestamp further off than this is refused
NONCE_TTL_S = 600  # a nonce is remembered at least this long
MAX_NONCE_CHARS = 128
MAX_KEY_ID_CHARS = 64


@dataclass(frozen=True)
class Signed:
    """A signed request as the gateway saw it: enough to verify it without the body itself."""

    key_id: str
    timestamp: int
    nonce: str
    signature: str
    method: str
    path: str
    body_sha256: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Signed":
        try:
            return cls(**{k: data[k] for k in cls.__dataclass_fields__})
        except (KeyError, TypeError):
            raise Unauthorized("the request is not signed") from None


def canonical(method: str, path: str, timestamp: int | str, nonce: str, body_sha256: str) -> bytes:
    return f"{method.upper()}\n{path}\n{timestamp}\n{nonce}\n{body_sha256}".encode()


def signature(secret: str, method: str, path: str, timestamp: int | str, nonce: str, body: bytes) -> str:
    digest = hashlib.sha256(body).hexdigest()
    return hmac.new(secret.encode(), canonical(method, path, timestamp, nonce, digest), hashlib.sha256).hexdigest()


def headers(key_id: str, secret: str, method: str, path: str, body: bytes = b"", **at: Any) -> dict[str, str]:
    """The four headers of a signed call (`at`: `timestamp=`, `nonce=` to pin them, e.g. in tests)."""
    timestamp = int(at.get("timestamp", time.time()))
    nonce = at.get("nonce") or secrets.token_hex(16)
    return {
        "X-Key-Id": key_id,
        "X-Timestamp": str(timestamp),
        "X-Nonce": nonce,
        "X-Signature": signature(secret, method, path, timestamp, nonce, body),
    }


def read(request_headers: Mapping[str, str], method: str, path: str, body: bytes) -> Signed:
    """The signature headers of a request, checked for shape only (401 when missing or malformed)."""
    key_id, stamp = request_headers.get("X-Key-Id", ""), request_headers.get("X-Timestamp", "")
    nonce, sig = request_headers.get("X-Nonce", ""), request_headers.get("X-Signature", "")
    if not (key_id and stamp and nonce and sig):
        raise Unauthorized("the request is not signed: X-Key-Id, X-Timestamp, X-Nonce and X-Signature are required")
    if len(key_id) > MAX_KEY_ID_CHARS or len(nonce) > MAX_NONCE_CHARS or not stamp.isdigit() or len(stamp) > 12:
        raise Unauthorized("malformed signature headers")
    return Signed(key_id, int(stamp), nonce, sig.lower(), method.upper(), path, hashlib.sha256(body).hexdigest())


def check(signed: Signed, secret: str, now: float | None = None) -> None:
    """Raise Unauthorized unless the timestamp is within SKEW_S and the signature is the secret's.
    (The nonce is the caller's to record: it owns the store.)"""
    now = time.time() if now is None else now
    if abs(now - signed.timestamp) > SKEW_S:
        raise Unauthorized("the timestamp is more than 300 s off")
    expected = hmac.new(
        secret.encode(),
        canonical(signed.method, signed.path, signed.timestamp, signed.nonce, signed.body_sha256),
        hashlib.sha256,
    ).hexdigest()
    if not hmac.compare_digest(expected, signed.signature):
        raise Unauthorized("bad signature")
