"""The one signer (DESIGN §7): what a client signs is what the service verifies, and each way a
signature can be wrong is refused."""

import hashlib
import hmac

import pytest

from services.common import signing
from services.common.errors import Unauthorized

SECRET = "s3cret"


def signed(method="POST", path="/api/v1/supplier/inventory", body=b'{"a":1}', **at):
    h = signing.headers("sk_1", SECRET, method, path, body, **at)
    return signing.read(h, method, path, body)


def test_the_signature_is_hmac_sha256_over_the_design_string():
    body = b'{"batch_id":"b1"}'
    h = signing.headers("sk_1", SECRET, "post", "/x?a=1", body, timestamp=1700000000, nonce="n1")
    text = "POST\n/x?a=1\n1700000000\nn1\n" + hashlib.sha256(body).hexdigest()
    assert h["X-Signature"] == hmac.new(SECRET.encode(), text.encode(), hashlib.sha256).hexdigest()
    # an empty body hashes the empty string
    empty = signing.headers("sk_1", SECRET, "GET", "/y", b"", timestamp=1, nonce="n")
    want = hmac.new(SECRET.encode(), f"GET\n/y\n1\nn\n{hashlib.sha256(b'').hexdigest()}".encode(), hashlib.sha256)
    assert empty["X-Signature"] == want.hexdigest()


def test_a_good_signature_passes_within_the_window():
    s = signed(timestamp=1000)
    signing.check(s, SECRET, now=1000 + 300)
    signing.check(s, SECRET, now=1000 - 300)


@pytest.mark.parametrize("now", [1000 + 301, 1000 - 301])
def test_a_stale_timestamp_is_refused(now):
    with pytest.raises(Unauthorized, match="300"):
        signing.check(signed(timestamp=1000), SECRET, now=now)


def test_another_secret_body_path_or_method_is_refused():
    s = signed(timestamp=1000)
    with pytest.raises(Unauthorized):
        signing.check(s, "other", now=1000)
    h = signing.headers("sk_1", SECRET, "POST", "/p", b"body", timestamp=1000)
    for method, path, body in [("POST", "/p", b"bodY"), ("POST", "/q", b"body"), ("PUT", "/p", b"body")]:
        with pytest.raises(Unauthorized):
            signing.check(signing.read(h, method, path, body), SECRET, now=1000)


@pytest.mark.parametrize("missing", ["X-Key-Id", "X-Timestamp", "X-Nonce", "X-Signature"])
def test_a_missing_header_is_refused(missing):
    h = signing.headers("sk_1", SECRET, "GET", "/p")
    del h[missing]
    with pytest.raises(Unauthorized):
        signing.read(h, "GET", "/p", b"")


@pytest.mark.parametrize("header,value", [("X-Timestamp", "12a"), ("X-Timestamp", "-5"), ("X-Nonce", "n" * 129)])
def test_malformed_headers_are_refused(header, value):
    h = signing.headers("sk_1", SECRET, "GET", "/p")
    h[header] = value
    with pytest.raises(Unauthorized):
        signing.read(h, "GET", "/p", b"")


def test_signed_crosses_rpc_as_a_dict():
    s = signed()
    assert signing.Signed.from_dict(s.to_dict()) == s
    with pytest.raises(Unauthorized):
        signing.Signed.from_dict({"key_id": "x"})
