"""The one parser of JSON request bodies: depth and NUL characters checked without recursion, so
a deeply nested body is a 400, never a RecursionError (a 500 and a long traceback)."""

import json

import pytest

from gateway.http import MAX_JSON_DEPTH, parse_json
from services.common.errors import InvalidInput


def nested(levels):
    return ('{"a": [' * (levels // 2) + "1" + "]}" * (levels // 2)).encode()


@pytest.mark.parametrize("levels", [MAX_JSON_DEPTH + 2, 400, 5000])
def test_deep_json_is_invalid_input(levels):
    with pytest.raises(InvalidInput, match=r"nested deeper|malformed"):
        parse_json(nested(levels))


def test_shallow_json_and_the_empty_body_pass():
    assert parse_json(nested(MAX_JSON_DEPTH)) == json.loads(nested(MAX_JSON_DEPTH))
    assert parse_json(b"") is None and parse_json(b'{"a": [1, {"b": "c"}]}') == {"a": [1, {"b": "c"}]}


@pytest.mark.parametrize("body", [b'{"a\\u0000": 1}', b'{"a": ["x\\u0000"]}', b"not json"])
def test_nul_characters_and_bad_json_are_invalid_input(body):
    with pytest.raises(InvalidInput):
        parse_json(body)
