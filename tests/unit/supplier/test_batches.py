"""A push's body read before the caller is known, its hash, and the sealed lines (no broker, no
database)."""

import base64
import json
from datetime import date

import pytest

from services.catalog.domain.codes import check_fields
from services.common.config import DEV_ENV
from services.common.crypto import DataKeys
from services.common.errors import InvalidInput
from services.supplier import batches

KEYS = DataKeys([DEV_ENV["KAMENG_DATA_KEY"]])


def test_a_fault_is_kept_for_later_not_raised():
    for body in [None, [], {"batch_id": "b", "sku": "S"}, {"batch_id": "b", "sku": "S", "stock": 1, "codes": []}]:
        pushed = batches.read(body)
        assert pushed.fields is None and isinstance(pushed.fault, InvalidInput)
    pushed = batches.read({"batch_id": "b", "sku": "S-1", "codes": [{"code": "A", "expires_on": "2030-01-31"}]})
    assert pushed.fault is None
    assert pushed.fields["codes"] == [{"code": "A", "secret": None, "expires_on": date(2030, 1, 31)}]


@pytest.mark.parametrize(
    "body",
    [
        {"batch_id": "b", "sku": "S", "stock": -1},
        {"batch_id": "b", "sku": "S", "stock": 10**9 + 1},
        {"batch_id": "b", "sku": "S", "stock": "5"},
        {"batch_id": "b" * 65, "sku": "S", "stock": 1},
        {"batch_id": "b\n", "sku": "S", "stock": 1},
        {"batch_id": "b", "sku": "S S", "stock": 1},
        {"batch_id": "b", "sku": "S\n", "stock": 1},
        {"batch_id": "b", "sku": "S", "codes": [{"code": ""}]},
        {"batch_id": "b", "sku": "S", "codes": [{"code": "x" * 4097}]},
        {"batch_id": "b", "sku": "S", "codes": [{"code": "A"}] * 10_001},
    ],
)
def test_bounds(body):
    assert batches.read(body).fault is not None


def test_the_hash_is_the_content_not_the_spelling():
    a = {"batch_id": "b", "sku": "S", "codes": [{"code": "A", "secret": "x"}]}
    b = {"codes": [{"secret": "x", "code": "A"}], "sku": "S", "batch_id": "b"}
    assert batches.body_hash(a) == batches.body_hash(b)
    assert batches.body_hash(a) != batches.body_hash({**a, "codes": [{"code": "B", "secret": "x"}]})


def test_sealed_lines_open_only_with_the_key_and_read_as_import_lines():
    code = "PLAIN-CODE-0001"
    sealed = batches.seal(KEYS, [{"code": code, "secret": "pw", "expires_on": date(2030, 1, 31)}, {"code": "B"}])
    assert code.encode() not in base64.b64decode(sealed)  # ciphertext only
    lines = json.loads(KEYS.decrypt(base64.b64decode(sealed)))
    assert lines == [[1, code, "pw", "2030-01-31"], [2, "B", None, None]]
    assert [check_fields(*line[1:]) for line in lines] == [(code, "pw", date(2030, 1, 31)), ("B", None, None)]


def test_pushed_fields_follow_the_import_rules():
    for fields, reason in [
        (("A\x01", None, None), "control characters"),
        (("A", "p\x7f", None), "control characters"),
        (("   ", None, None), "empty code"),
        (("A" * 513, None, None), "code or secret too long"),
        (("A", "p" * 513, None), "code or secret too long"),
    ]:
        with pytest.raises(ValueError, match=reason):
            check_fields(*fields)
    assert check_fields(" A\t", " pw ", None) == ("A", "pw", None)
