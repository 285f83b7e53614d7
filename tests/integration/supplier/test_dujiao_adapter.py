"""The dujiao-next adapter against a faithful double of a dujiao-next shop (tests/doubles/dujiao.py)
over real HTTP: signatures checked as the shop checks them, its answers in its own shapes."""

import time
import uuid

import pytest

from services.common.testing import free_port
from services.supplier import adapters
from services.supplier.adapters.base import InvalidCallback, Outcome, PurchaseUnsettled, SupplierError
from tests.doubles.dujiao import DujiaoDouble

TIMEOUT_S = 0.5
CODES = ["CARD-A", "CARD-B", "CARD-C", "CARD-D"]


@pytest.fixture
def shop():
    double = DujiaoDouble(api_key="dj-key", api_secret="dj-secret", balance=10_000)
    double.add_sku(11, price=500, fulfillment="auto", cards=CODES)
    double.add_sku(12, price=3000, fulfillment="manual")  # a top-up, delivered by hand
    double.add_sku(13, active=False)
    double.start()
    yield double
    double.stop()


def dujiao(shop, secret="dj-secret", key="dj-key", **settings):
    credentials = {"api_key": key, "api_secret": secret}
    return adapters.make("dujiao-next", shop.url, {"buy_wait_s": 2, "poll_s": 0.05, **settings}, credentials, TIMEOUT_S)


def recharger(shop, **settings):
    return dujiao(shop, recharge_form_field="account", **settings)


def attempt():
    return "att-" + uuid.uuid4().hex[:12]


def test_probe_and_the_shops_refusals(shop):
    dujiao(shop).probe()
    with pytest.raises(SupplierError, match="invalid_signature"):
        dujiao(shop, secret="wrong").probe()
    with pytest.raises(SupplierError, match="invalid_api_key"):
        dujiao(shop, key="someone").probe()


def test_buy_codes_reads_the_delivered_cards_and_a_retry_buys_once(shop):
    codes = dujiao(shop).buy_codes("11", 2, "req-1")
    assert [c.code for c in codes] == CODES[:2]
    assert [c.code for c in dujiao(shop).buy_codes("11", 2, "req-1")] == CODES[:2]
    assert len(shop.orders) == 1 and shop.balance == 10_000 - 1000


def test_buy_refused_buys_nothing(shop):
    with pytest.raises(SupplierError, match="insufficient_stock"):
        dujiao(shop).buy_codes("11", 5, "req-2")
    with pytest.raises(SupplierError, match="sku_unavailable"):
        dujiao(shop).buy_codes("13", 1, "req-3")
    assert shop.orders == {} and shop.balance == 10_000


def test_buy_with_an_empty_wallet_is_refused_and_the_order_canceled(shop):
    shop.balance = 100
    with pytest.raises(SupplierError, match="payment_failed"):
        dujiao(shop).buy_codes("11", 1, "req-4")
    assert [o["status"] for o in shop.orders.values()] == ["canceled"] and shop.balance == 100


def test_a_slow_delivery_is_unsettled_and_the_retry_gets_the_codes(shop):
    shop.deliver_after_s = 1.0
    with pytest.raises(PurchaseUnsettled, match="same request_id"):
        dujiao(shop, buy_wait_s=0.2).buy_codes("11", 1, "req-5")
    codes = dujiao(shop).buy_codes("11", 1, "req-5")
    assert [c.code for c in codes] == CODES[:1] and len(shop.orders) == 1


def test_recharge_is_unsupported_without_a_form_field(shop):
    result = dujiao(shop).recharge("12", "13800000000", 1, attempt(), "https://shop.example/cb")
    assert (result.outcome, result.reason) == (Outcome.FAILED, "unsupported")
    assert shop.orders == {}


def test_recharge_then_the_merchant_delivers_and_calls_back(shop, callback_sink):
    shop.allow_private_callbacks = True
    a = attempt()
    result = recharger(shop).recharge("12", "13800000000", 1, a, callback_sink.url + "/cb")
    assert result.outcome is Outcome.PENDING and result.supplier_order_id
    order = shop.orders[int(result.supplier_order_id)]
    assert order["manual_form_data"] == {"account": "13800000000"} and order["downstream_order_no"] == a
    shop.deliver(order["order_id"])
    [(headers, body)] = callback_sink.wait(1)
    callback = recharger(shop).parse_callback(headers, body)
    assert callback.attempt_id == a
    assert callback.result.outcome is Outcome.SUCCEEDED
    assert callback.result.supplier_order_id == result.supplier_order_id
    assert recharger(shop).query(a, result.supplier_order_id).outcome is Outcome.SUCCEEDED


def test_a_refunded_recharge_is_failed(shop, callback_sink):
    shop.allow_private_callbacks = True
    a = attempt()
    result = recharger(shop).recharge("12", "13800000000", 1, a, callback_sink.url + "/cb")
    shop.refund(int(result.supplier_order_id))
    [(headers, body)] = callback_sink.wait(1)
    assert recharger(shop).parse_callback(headers, body).result.outcome is Outcome.FAILED
    assert recharger(shop).query(a, result.supplier_order_id).outcome is Outcome.FAILED
    assert shop.balance == 10_000


def test_the_shop_refuses_a_private_callback_url(shop):
    result = recharger(shop).recharge("12", "13800000000", 1, attempt(), "http://127.0.0.1:9/cb")
    assert (result.outcome, result.reason) == (Outcome.FAILED, "invalid_callback_url")
    assert shop.orders == {}


def test_the_same_attempt_twice_is_one_order(shop):
    a = attempt()
    first = recharger(shop).recharge("12", "13800000000", 1, a, "https://shop.example/cb")
    again = recharger(shop).recharge("12", "13800000000", 1, a, "https://shop.example/cb")
    assert first.supplier_order_id == again.supplier_order_id and len(shop.orders) == 1
    assert shop.balance == 10_000 - 3000


def test_a_timed_out_recharge_is_unknown_and_found_by_our_attempt_id(shop):
    shop.stall_s = 1.5
    a = attempt()
    result = recharger(shop).recharge("12", "13800000000", 1, a, "https://shop.example/cb")
    assert result.outcome is Outcome.UNKNOWN
    found = recharger(shop).query(a, None)
    assert found.outcome is Outcome.PENDING and found.supplier_order_id
    never = recharger(shop).query(attempt(), None)
    assert never.outcome is Outcome.FAILED and "never received" in never.reason
    assert len(shop.orders) == 1  # the lookups made no order


def test_an_unknown_order_id_is_failed(shop):
    assert recharger(shop).query(attempt(), "99999").outcome is Outcome.FAILED


def test_connection_refused_is_failed_and_unanswered_queries_unknown():
    nobody = adapters.make(
        "dujiao-next",
        f"http://127.0.0.1:{free_port()}",
        {"recharge_form_field": "account"},
        {"api_key": "k", "api_secret": "s"},
        TIMEOUT_S,
    )
    assert nobody.recharge("12", "acc", 1, attempt(), "https://shop.example/cb").outcome is Outcome.FAILED
    assert nobody.query(attempt(), "5").outcome is Outcome.UNKNOWN
    with pytest.raises(SupplierError):
        nobody.buy_codes("11", 1, "req")


def test_callbacks_that_do_not_verify_are_refused(shop):
    a = attempt()
    result = recharger(shop).recharge("12", "13800000000", 1, a, "https://shop.example/cb")
    order_id = int(result.supplier_order_id)
    shop.deliver(order_id)  # its callback URL is not ours here: build the callback it would send
    headers, body = shop.callback_for(order_id)
    assert recharger(shop).parse_callback(headers, body).result.outcome is Outcome.SUCCEEDED
    with pytest.raises(InvalidCallback, match="signature"):
        recharger(shop).parse_callback(headers, body.replace(b'"delivered"', b'"refunded"'))
    with pytest.raises(InvalidCallback, match="signature"):
        recharger(shop, secret="other").parse_callback(headers, body)
    with pytest.raises(InvalidCallback, match="api key"):
        recharger(shop, key="other-key").parse_callback(headers, body)
    stale_headers, stale_body = shop.callback_for(order_id, timestamp=int(time.time()) - 120)
    with pytest.raises(InvalidCallback, match="stale"):
        recharger(shop).parse_callback(stale_headers, stale_body)
