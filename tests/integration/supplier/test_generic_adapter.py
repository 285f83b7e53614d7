"""The generic adapter against the supplier simulator over real HTTP: every behaviour the
simulator can be told, read as the domain reads it (services/supplier/adapters/base.py)."""

import json
import socket
import threading
import uuid

import pytest

from services.common.testing import free_port
from services.supplier import adapters
from services.supplier.adapters import generic
from services.supplier.adapters.base import InvalidCallback, Outcome, PurchaseUnsettled, SupplierError
from tests.doubles.server import DoubleServer

TIMEOUT_S = 0.5  # under the simulator's hold (3 s): "timeout" times out fast


def adapter(sim, **settings):
    return adapters.make("generic", sim.url, settings, sim.credentials, TIMEOUT_S)


def attempt():
    return "att-" + uuid.uuid4().hex[:12]


def recharge(sim, sink, attempt_id, **settings):
    return adapter(sim, **settings).recharge("P-100", "13800000000", 1, attempt_id, sink.url + "/cb")


def callbacks(sim, sink, count, **settings):
    return [adapter(sim, **settings).parse_callback(h, b) for h, b in sink.wait(count)]


def test_succeed_answers_success_and_calls_back(supplier_sim, callback_sink):
    supplier_sim.script(recharge=["succeed"])
    a = attempt()
    result = recharge(supplier_sim, callback_sink, a)
    assert result.outcome is Outcome.SUCCEEDED and result.supplier_order_id
    [callback] = callbacks(supplier_sim, callback_sink, 1)
    assert callback.attempt_id == a
    assert callback.result.outcome is Outcome.SUCCEEDED
    assert callback.result.supplier_order_id == result.supplier_order_id
    assert supplier_sim.orders()[a]["recharged"] == 1


def test_async_is_pending_then_a_success_callback(supplier_sim, callback_sink):
    supplier_sim.script(recharge=["async"])
    a = attempt()
    assert recharge(supplier_sim, callback_sink, a).outcome is Outcome.PENDING
    [callback] = callbacks(supplier_sim, callback_sink, 1)
    assert (callback.attempt_id, callback.result.outcome) == (a, Outcome.SUCCEEDED)


def test_fail_is_failed_at_once(supplier_sim, callback_sink):
    supplier_sim.script(recharge=["fail"])
    a = attempt()
    result = recharge(supplier_sim, callback_sink, a)
    assert result.outcome is Outcome.FAILED and result.reason
    assert supplier_sim.orders()[a] == {
        "status": "failed",
        "supplier_order_id": result.supplier_order_id,
        "recharged": 0,
        "callbacks": 0,
    }


def test_fail_later_is_pending_then_a_failed_callback(supplier_sim, callback_sink):
    supplier_sim.script(recharge=["fail_later"])
    a = attempt()
    assert recharge(supplier_sim, callback_sink, a).outcome is Outcome.PENDING
    [callback] = callbacks(supplier_sim, callback_sink, 1)
    assert (callback.attempt_id, callback.result.outcome) == (a, Outcome.FAILED)


def test_timeout_is_unknown_and_a_query_finds_the_success(supplier_sim, callback_sink):
    supplier_sim.script(recharge=["timeout"])
    a = attempt()
    result = recharge(supplier_sim, callback_sink, a)
    assert result.outcome is Outcome.UNKNOWN and "no answer" in result.reason
    queried = adapter(supplier_sim).query(a, None)
    assert queried.outcome is Outcome.SUCCEEDED and queried.supplier_order_id
    assert supplier_sim.orders()[a]["recharged"] == 1


def test_timeout_failed_is_unknown_and_a_query_finds_the_failure(supplier_sim, callback_sink):
    supplier_sim.script(recharge=["timeout_failed"])
    a = attempt()
    assert recharge(supplier_sim, callback_sink, a).outcome is Outcome.UNKNOWN
    assert adapter(supplier_sim).query(a, None).outcome is Outcome.FAILED


def test_late_stays_pending_until_its_callback(supplier_sim, callback_sink):
    supplier_sim.script(recharge=["late"])
    a = attempt()
    first = recharge(supplier_sim, callback_sink, a)
    assert first.outcome is Outcome.PENDING
    assert adapter(supplier_sim).query(a, first.supplier_order_id).outcome is Outcome.PENDING
    [callback] = callbacks(supplier_sim, callback_sink, 1)
    assert callback.result.outcome is Outcome.SUCCEEDED
    assert adapter(supplier_sim).query(a, first.supplier_order_id).outcome is Outcome.SUCCEEDED


def test_callback_twice_both_parse_one_recharge(supplier_sim, callback_sink):
    supplier_sim.script(recharge=["callback_twice"])
    a = attempt()
    assert recharge(supplier_sim, callback_sink, a).outcome is Outcome.PENDING
    both = callbacks(supplier_sim, callback_sink, 2)
    assert [(c.attempt_id, c.result.outcome) for c in both] == [(a, Outcome.SUCCEEDED)] * 2
    assert supplier_sim.orders()[a]["recharged"] == 1  # the domain counts the second one once


def test_no_callback_only_a_query_finds_success(supplier_sim, callback_sink):
    supplier_sim.script(recharge=["no_callback"])
    a = attempt()
    assert recharge(supplier_sim, callback_sink, a).outcome is Outcome.PENDING
    assert adapter(supplier_sim).query(a, None).outcome is Outcome.SUCCEEDED
    assert supplier_sim.orders()[a]["callbacks"] == 0
    assert callback_sink.received == []


def test_error_is_unknown_and_a_query_says_never_received(supplier_sim, callback_sink):
    supplier_sim.script(recharge=["error"])
    a = attempt()
    assert recharge(supplier_sim, callback_sink, a).outcome is Outcome.UNKNOWN
    queried = adapter(supplier_sim).query(a, None)
    assert queried.outcome is Outcome.FAILED and "never received" in queried.reason
    assert a not in supplier_sim.orders()


def test_connection_refused_is_failed(callback_sink):
    nobody = adapters.make("generic", f"http://127.0.0.1:{free_port()}", {}, {"app_id": "a", "key": "k"}, TIMEOUT_S)
    result = nobody.recharge("P-100", "13800000000", 1, attempt(), callback_sink.url)
    assert result.outcome is Outcome.FAILED and "never received" in result.reason
    assert nobody.query("x", None).outcome is Outcome.UNKNOWN  # a query that could not ask tells nothing


def test_the_same_attempt_twice_recharges_once(supplier_sim, callback_sink):
    supplier_sim.script(recharge=["no_callback", "fail"])
    a = attempt()
    first = recharge(supplier_sim, callback_sink, a)
    again = recharge(supplier_sim, callback_sink, a)
    assert again.supplier_order_id == first.supplier_order_id
    assert len(supplier_sim.orders()) == 1
    # the repeat consumed no behaviour: the next new attempt meets "fail"
    assert recharge(supplier_sim, callback_sink, attempt()).outcome is Outcome.FAILED


def test_buy_codes_and_the_same_request_again_gets_the_same_codes(supplier_sim):
    codes = adapter(supplier_sim).buy_codes("P-200", 3, "req-1")
    assert len(codes) == 3 and len({c.code for c in codes}) == 3
    assert all(c.secret and c.expires_on for c in codes)
    assert adapter(supplier_sim).buy_codes("P-200", 3, "req-1") == codes
    assert supplier_sim.purchases() == {"req-1": {"quantity": 3, "codes": [c.code for c in codes]}}


def test_buy_fail_raises_and_buys_nothing(supplier_sim):
    supplier_sim.script(buy=["fail"])
    with pytest.raises(SupplierError, match="refused"):
        adapter(supplier_sim).buy_codes("P-200", 2, "req-2")
    assert supplier_sim.purchases() == {}


def test_buy_timeout_raises(supplier_sim):
    supplier_sim.script(buy=["timeout"])
    with pytest.raises(PurchaseUnsettled):  # a SupplierError that says: retry with the same request_id
        adapter(supplier_sim).buy_codes("P-200", 2, "req-3")
    assert supplier_sim.purchases() == {}


def test_probe(supplier_sim):
    supplier_sim.script(ping=["ok", "fail"])
    adapter(supplier_sim).probe()
    with pytest.raises(SupplierError, match="HTTP 500"):
        adapter(supplier_sim).probe()


def test_a_callback_that_does_not_verify_is_refused(supplier_sim, callback_sink):
    supplier_sim.script(recharge=["async"])
    a = attempt()
    recharge(supplier_sim, callback_sink, a)
    [(headers, body)] = callback_sink.wait(1)
    tampered = body.replace(b'"success"', b'"failed"')
    with pytest.raises(InvalidCallback, match="signature"):
        adapter(supplier_sim).parse_callback(headers, tampered)
    stranger = adapters.make("generic", supplier_sim.url, {}, {"app_id": supplier_sim.app_id, "key": "other"}, 1)
    with pytest.raises(InvalidCallback, match="signature"):
        stranger.parse_callback(headers, body)
    with pytest.raises(InvalidCallback, match="app id"):
        adapter(supplier_sim).parse_callback({**headers, "X-App-Id": "someone-else"}, body)
    assert adapter(supplier_sim).parse_callback(headers, body).attempt_id == a


@pytest.mark.parametrize("mode", ["md5", "hmac-sha256"])
def test_both_signatures(supplier_sim, callback_sink, mode):
    supplier_sim.configure(sign=mode)
    supplier_sim.script(recharge=["succeed"])
    a = attempt()
    assert recharge(supplier_sim, callback_sink, a, sign=mode).outcome is Outcome.SUCCEEDED
    [callback] = callbacks(supplier_sim, callback_sink, 1, sign=mode)
    assert callback.attempt_id == a
    other = "md5" if mode == "hmac-sha256" else "hmac-sha256"
    refused = recharge(supplier_sim, callback_sink, attempt(), sign=other)
    assert refused.outcome is Outcome.UNKNOWN and "401" in refused.reason  # the supplier checks it
    headers, body = callback_sink.received[0]
    with pytest.raises(InvalidCallback):
        adapter(supplier_sim, sign=other).parse_callback(headers, body)


def test_md5_and_hmac_signatures_are_what_the_protocol_says():
    body = b'{"order_id":"a"}'
    assert generic.signature("md5", "k", body) == __import__("hashlib").md5(body + b"k").hexdigest()
    assert generic.signature("hmac-sha256", "k", body) == __import__("hmac").new(b"k", body, "sha256").hexdigest()


def test_paths_fields_and_status_values_from_settings(supplier_sim, callback_sink):
    dialect = {
        "paths": {"recharge": "/api/recharge", "query": "/api/query", "buy": "/api/buy", "ping": "/api/ping"},
        "fields": {"order_id": "out_trade_no", "account": "phone", "notify_url": "callback", "status": "state"},
        "status": {"success": "SUCCESS", "failed": "FAIL", "processing": "WAIT", "not_found": "NONE"},
        "headers": {"sign": "X-Signature"},
    }
    supplier_sim.configure(**dialect)
    supplier_sim.script(recharge=["async"], ping=["ok"])
    a = attempt()
    assert recharge(supplier_sim, callback_sink, a, **dialect).outcome is Outcome.PENDING
    [(headers, body)] = callback_sink.wait(1)
    assert json.loads(body)["out_trade_no"] == a and json.loads(body)["state"] == "SUCCESS"
    callback = adapter(supplier_sim, **dialect).parse_callback(headers, body)
    assert (callback.attempt_id, callback.result.outcome) == (a, Outcome.SUCCEEDED)
    assert adapter(supplier_sim, **dialect).query(a, None).outcome is Outcome.SUCCEEDED
    assert adapter(supplier_sim, **dialect).query(attempt(), None).outcome is Outcome.FAILED  # "NONE"
    adapter(supplier_sim, **dialect).probe()
    assert recharge(supplier_sim, callback_sink, attempt()).outcome is Outcome.UNKNOWN  # default names: 404


class HtmlPage(DoubleServer):
    def handle(self, req):
        return 200, {"Content-Type": "text/html"}, "<html>maintenance</html>"


def test_an_unreadable_answer_is_unknown():
    page = HtmlPage().start()
    try:
        result = adapters.make("generic", page.url, {}, {"app_id": "a", "key": "k"}, TIMEOUT_S).recharge(
            "P", "acc", 1, attempt(), "http://x/cb"
        )
    finally:
        page.stop()
    assert result.outcome is Outcome.UNKNOWN and "unreadable" in result.reason


def test_a_reset_after_sending_is_unknown():
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def hang_up():
        conn, _ = listener.accept()
        conn.recv(65536)  # the request arrived...
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        conn.close()  # ...and the connection is reset without an answer

    thread = threading.Thread(target=hang_up, daemon=True)
    thread.start()
    result = adapters.make("generic", f"http://127.0.0.1:{port}", {}, {"app_id": "a", "key": "k"}, 2).recharge(
        "P", "acc", 1, attempt(), "http://x/cb"
    )
    thread.join(5)
    listener.close()
    assert result.outcome is Outcome.UNKNOWN and "no answer" in result.reason


def test_make_refuses_an_unknown_kind_and_missing_credentials():
    with pytest.raises(ValueError, match="unknown adapter kind"):
        adapters.make("carrier-pigeon", "http://x", {}, {}, 1)
    with pytest.raises(ValueError, match="app_id and key"):
        adapters.make("generic", "http://x", {}, {"app_id": "a"}, 1)
    assert set(adapters.KINDS) == {"generic", "dujiao-next"}
