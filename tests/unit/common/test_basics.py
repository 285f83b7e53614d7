import base64
import json
import os
import uuid

import pytest
from marshmallow import ValidationError
from nameko.exceptions import deserialize, serialize

from services.common import config, envelope, errors, money
from services.common.crypto import DataKeys


@pytest.mark.parametrize("minor,text", [(0, "0.00"), (990, "9.90"), (1, "0.01"), (123456, "1234.56"), (-250, "-2.50")])
def test_money_formats_minor_units(minor, text):
    assert money.format_minor(minor) == text


@pytest.mark.parametrize("text,minor", [("9.90", 990), ("9.9", 990), ("9", 900), ("0.01", 1)])
def test_money_parses_decimal_strings(text, minor):
    assert money.parse_minor(text) == minor


@pytest.mark.parametrize("bad", ["9.999", "-1", "1e3", "", " 1", "01.00", 9.9, None, "NaN"])
def test_money_refuses_anything_else(bad):
    with pytest.raises(ValueError):
        money.parse_minor(bad)


def test_money_never_formats_floats():
    with pytest.raises(TypeError):
        money.format_minor(9.9)


def test_envelope_has_the_design_shape():
    env = envelope.make("order_created", {"order_no": "X"}, "cid")
    assert set(env) == {"event_id", "type", "occurred_at", "correlation_id", "data"}
    uuid.UUID(env["event_id"])
    assert env["occurred_at"].endswith("Z") and envelope.load(env) is env


@pytest.mark.parametrize(
    "broken",
    [{}, {"type": "x"}, {"event_id": "nope", "type": "a_b", "occurred_at": "t", "correlation_id": None, "data": {}}],
)
def test_envelope_validation_rejects_malformed(broken):
    with pytest.raises(ValidationError):
        envelope.load(broken)


def test_domain_errors_cross_rpc_as_themselves():
    original = errors.OutOfStock("sold out", {"sku": "A", "quantity": 2, "limits": [1, 5], "ok": None})
    again = deserialize(json.loads(json.dumps(serialize(original))))
    assert type(again) is errors.OutOfStock and str(again) == "sold out"
    assert again.details == {"sku": "A", "quantity": 2, "limits": [1, 5], "ok": None}


def test_settings_defaults_are_safe_and_overridable(monkeypatch):
    for name in config.DEFAULTS:
        monkeypatch.delenv(name, raising=False)
    s = config.settings()
    assert s.http_port == 8000 and s.payment_window_s == 900 and not s.sandbox_payments
    assert s.admin_token == "" and s.data_keys == ()
    monkeypatch.setenv("KAMENG_DATA_KEY", "k2, k1")
    monkeypatch.setenv("KAMENG_SANDBOX_PAYMENTS", "1")
    s = config.settings()
    assert s.data_keys == ("k2", "k1") and s.sandbox_payments
    assert config.nameko_config(s)["AMQP_URI"] == "amqp://guest:guest@127.0.0.1:5672/"


def test_describe_masks_secrets(monkeypatch):
    monkeypatch.setenv("KAMENG_ADMIN_TOKEN", "prod-secret")
    assert not any("prod-secret" in line for line in config.describe())


def test_data_keys_encrypt_rotate_and_hash():
    old, new = (base64.urlsafe_b64encode(os.urandom(32)).decode() for _ in range(2))
    before = DataKeys([old])
    token = before.encrypt("CARD-1234")
    assert b"CARD-1234" not in token and before.encrypt("CARD-1234") != token  # a fresh nonce each time
    after = DataKeys([new, old])
    assert after.decrypt(token) == "CARD-1234"
    rotated = after.rotate(token)
    assert DataKeys([new]).decrypt(rotated) == "CARD-1234" and after.rotate(rotated) == rotated
    with pytest.raises(ValueError, match="not configured"):
        DataKeys([new]).decrypt(token)
    tampered = token[:-1] + bytes([token[-1] ^ 1])
    with pytest.raises(ValueError, match="tampered"):
        before.decrypt(tampered)
    hash_key = before.derive_hash_key()
    assert after.derive_hash_key() == hash_key  # derived from the oldest listed key
    hashed, rehashed = before.with_hash_key(hash_key), DataKeys([new]).with_hash_key(hash_key)
    assert hashed.keyed_hash("CARD-1234") == rehashed.keyed_hash("CARD-1234") != rehashed.keyed_hash("CARD-1235")
    assert hashed.hash_key_id == rehashed.hash_key_id and len(hashed.hash_key_id) == 8
    with pytest.raises(RuntimeError, match="no hash key"):
        before.keyed_hash("CARD-1234")  # a data key alone does not hash: the recorded key does
    for bad in ([], ["short"], ["not base64 at all!"]):
        with pytest.raises(ValueError):
            DataKeys(bad)


def test_free_ports_for_test_servers_are_outside_the_ephemeral_range_and_never_twice():
    """An outgoing connection takes its port from the ephemeral range: a server's port drawn
    there could be taken before the server binds it."""
    from services.common.testing import _ephemeral_low, free_port

    ports = [free_port() for _ in range(100)]
    assert len(set(ports)) == 100 and all(20000 <= p < _ephemeral_low() for p in ports)
