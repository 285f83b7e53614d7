"""The adapters' one HTTP call: what it says when it fails never carries a credential."""

import pytest

from services.common.testing import free_port
from services.supplier.adapters import http


def test_a_failure_names_the_target_without_its_userinfo_or_query():
    url = f"http://user:s3cret@127.0.0.1:{free_port()}/recharge?sign=abc"
    with pytest.raises(http.NotSent) as raised:
        http.send("POST", url, b"{}", {}, 0.5)
    assert "s3cret" not in str(raised.value) and "sign=abc" not in str(raised.value)
    assert "127.0.0.1" in str(raised.value)


def test_headers_are_read_whatever_their_case():
    assert http.header({"x-sign": "a"}, "X-Sign") == "a"
    assert http.header({}, "X-Sign") == ""
