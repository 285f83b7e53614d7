"""The purchase path through HTTP, every service and the real broker and database (DESIGN §3)."""

import re
import time

import eventlet
import pytest
import requests

from services.common.testing import unique, wait_until
from tests.e2e.helpers import assert_error
from tests.e2e.purchase.helpers import (
    buy,
    card_product,
    delivery_requests,
    events_of,
    order_of,
    pay,
    stock,
    wait_status,
)


def test_buy_pay_and_see_the_codes(api, admin):
    sku = card_product(admin, codes=3)
    created = buy(api, sku, quantity=2)
    assert created.status_code == 201, created.text
    order = created.json()
    assert order["status"] == "awaiting_payment" and order["payment"]["pay_url"]  # in the first answer
    assert order["amount"] == "19.80" and order["currency"] == "CNY" and len(order["token"]) >= 32
    assert order["expires_at"].endswith("Z")
    assert order_of(api, order)["items"] == []
    assert pay(api, order).status_code == 200
    done = wait_status(api, order, "completed")
    assert done["items"] == [{"code": f"{sku}-C0000", "secret": "pw0"}, {"code": f"{sku}-C0001", "secret": "pw1"}]
    assert "token" not in done
    wait_until(lambda: stock(api, sku) == 1, message="stock to show the sale")
    timeline = admin.get(f"/api/v1/admin/orders/{order['order_no']}").json()["timeline"]
    assert [t["to"] for t in timeline] == ["pending", "reserving", "awaiting_payment", "paid", "completed"]


@pytest.mark.parametrize("sign", ["0" * 64, "签名" * 16, ""])
def test_a_forged_sandbox_notify_is_refused_cleanly(api, admin, db, sign):
    """What the sandbox's own pay button sends, with a signature we did not make (non-ASCII too):
    "fail", never a 500, and the order stays unpaid."""
    order = buy(api, card_product(admin, codes=1)).json()
    forged = {
        "payment_no": order["payment"]["payment_no"],
        "amount": 990,
        "trade_no": "SBXforged",
        "trade_status": "TRADE_SUCCESS",
        "sign": sign,
    }
    answer = api.post("/api/v1/payments/sandbox/notify", json=forged)
    assert (answer.status_code, answer.text) == (200, "fail")
    assert "payment_succeeded" not in events_of(db, "payment", order)  # answered after its commit: nothing sent
    assert order_of(api, order)["status"] == "awaiting_payment"


def test_wrong_or_missing_token_is_like_an_unknown_order(api, admin):
    order = buy(api, card_product(admin)).json()
    wrong = api.get(f"/api/v1/orders/{order['order_no']}", headers={"X-Order-Token": "x" * 32})
    missing = api.get(f"/api/v1/orders/{order['order_no']}")
    unknown = api.get("/api/v1/orders/K000000NOSUCHORDER", headers={"X-Order-Token": order["token"]})
    bodies = {r.text for r in (wrong, missing, unknown)}
    assert {r.status_code for r in (wrong, missing, unknown)} == {404} and len(bodies) == 1
    assert_error(
        api.post(f"/api/v1/orders/{order['order_no']}/cancel", headers={"X-Order-Token": "nope"}), 404, "not_found"
    )


def test_duplicate_and_concurrent_notifications_deliver_once(api, admin, db):
    sku = card_product(admin, codes=4)
    order = buy(api, sku, quantity=2).json()
    pool = eventlet.GreenPool(20)
    statuses = list(
        pool.imap(
            lambda _: (
                requests.post(
                    f"{api.base_url}/api/v1/payments/sandbox/{order['payment']['payment_no']}/pay", timeout=10
                ).status_code
            ),
            range(20),
        )
    )
    assert statuses == [200] * 20
    done = wait_status(api, order, "completed")
    assert len(done["items"]) == 2
    assert events_of(db, "payment", order).count("payment_succeeded") == 1  # all 20 answered: settled once
    # the order committed its codes itself, one call to the catalog: no event to the delivery service
    assert delivery_requests(db, order) == []
    report = next(r for r in admin.get("/api/v1/admin/stock").json()["items"] if r["sku"] == sku)
    assert (report["available"], report["reserved"], report["sold"]) == (2, 0, 2)


def test_idempotency_key_replays_and_refuses_a_different_body(api, admin):
    sku = card_product(admin)
    key = unique("idem")
    first = buy(api, sku, **{"Idempotency-Key": key})
    again = buy(api, sku, **{"Idempotency-Key": key})
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    other = buy(api, sku, quantity=2, **{"Idempotency-Key": key})
    assert_error(other, 422, "idempotency_mismatch")
    assert buy(api, sku).json()["order_no"] != first.json()["order_no"]  # no key: a new order


def test_cancel_releases_the_stock_and_paid_orders_cannot_be_cancelled(api, admin):
    sku = card_product(admin, codes=2)
    order = buy(api, sku).json()
    cancelled = api.post(f"/api/v1/orders/{order['order_no']}/cancel", headers={"X-Order-Token": order["token"]})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    wait_until(lambda: stock(api, sku) == 2, message="stock back")
    paid = buy(api, sku).json()
    pay(api, paid)
    wait_status(api, paid, "completed")
    assert_error(
        api.post(f"/api/v1/orders/{paid['order_no']}/cancel", headers={"X-Order-Token": paid["token"]}), 409, "conflict"
    )


def test_admin_refund_and_search(api, admin):
    sku = card_product(admin)
    order = buy(api, sku, contact="refund-me@example.com").json()
    assert_error(admin.post(f"/api/v1/admin/orders/{order['order_no']}/refund", json={}), 409, "conflict")
    pay(api, order)
    wait_status(api, order, "completed")
    assert admin.get(f"/api/v1/admin/orders/{order['order_no']}").json()["codes_shown_at"]  # wait_status looked
    refunded = admin.post(f"/api/v1/admin/orders/{order['order_no']}/refund", json={"reason": "buyer asked"})
    assert refunded.status_code == 200, refunded.text
    wait_status(api, order, "refunded")
    timeline = admin.get(f"/api/v1/admin/orders/{order['order_no']}").json()["timeline"]
    assert timeline[-2]["event"] == "refund_ordered" and timeline[-2]["data"]["codes_shown"] is True
    found = admin.get("/api/v1/admin/orders", params={"contact": "refund-me@example.com"}).json()["items"]
    assert [o["order_no"] for o in found] == [order["order_no"]] and found[0]["status"] == "refunded"
    assert admin.get("/api/v1/admin/orders", params={"status": "refunded", "sku": sku}).json()["items"]
    assert_error(api.get("/api/v1/admin/orders"), 401, "unauthorized")


@pytest.mark.parametrize(
    "change,status,code",
    [
        ({"sku": "NO-SUCH-SKU"}, 404, "not_found"),
        ({"quantity": 0}, 400, "validation_error"),
        ({"quantity": -3}, 400, "validation_error"),
        ({"quantity": 6}, 400, "validation_error"),
        ({"quantity": 10**12}, 400, "validation_error"),
        ({"quantity": "1"}, 400, "validation_error"),
        ({"contact": "not-an-email"}, 400, "validation_error"),
        ({"payment_channel": "paypal"}, 400, "validation_error"),
        ({"payment_channel": "alipay"}, 400, "validation_error"),
        ({"extra": True}, 400, "validation_error"),
    ],
)
def test_bad_orders(api, admin, change, status, code):
    body = {
        "sku": card_product(admin, codes=1),
        "quantity": 1,
        "contact": "b@example.com",
        "payment_channel": "sandbox",
        **change,
    }
    assert_error(api.post("/api/v1/orders", json=body), status, code)


def test_sold_out_is_a_clean_409(api, admin):
    sku = card_product(admin, codes=1)
    assert buy(api, sku).status_code == 201
    assert_error(buy(api, sku), 409, "out_of_stock")
    inactive = card_product(admin, codes=1)
    admin.delete(f"/api/v1/admin/products/{inactive}")
    assert_error(buy(api, inactive), 404, "not_found")


def test_recharge_needs_an_account(api, admin):
    assert_error(buy(api, "DEMO-MOBILE-50"), 400, "validation_error")


def test_the_pay_url_is_a_page_that_pays_in_the_sandbox(api, admin):
    order = buy(api, card_product(admin)).json()
    path = "/" + order["payment"]["pay_url"].split("/", 3)[3]
    page = api.get(path)
    assert page.status_code == 200 and "¥9.90" in page.text and 'id="pay-sandbox"' in page.text
    assert api.post(path).status_code == 403  # a form without its CSRF token pays nothing
    assert order_of(api, order)["status"] == "awaiting_payment"
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    paid = api.post(path, data={"csrf": csrf}, allow_redirects=False)
    assert paid.status_code == 303 and paid.headers["Location"] == f"/orders/{order['order_no']}?returned=1"
    wait_status(api, order, "completed")
    after = api.get(path).text
    assert "已收到付款" in after and 'id="pay-sandbox"' not in after
    assert api.get("/pay/PNOSUCHPAYMENT").status_code == 404


def test_the_buyer_gets_an_email_with_the_link_and_without_the_codes(api, admin, mail_sink):
    from email import message_from_bytes, policy

    _, folder = mail_sink
    contact = f"{unique('mail')}@example.com"
    order = buy(api, card_product(admin), contact=contact).json()
    pay(api, order)
    wait_status(api, order, "completed")

    def mine():
        for path in folder.glob("*.eml"):
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            if message["To"] == contact:
                return message

    message = wait_until(mine, message="the completion e-mail")
    body = message.get_body().get_content()
    assert order["order_no"] in message["Subject"] and f"/orders/{order['order_no']}" in body
    assert "-C0000" not in body and "pw0" not in body  # no codes unless the merchant says so


def test_orders_beyond_the_rate_limit_get_429_with_retry_after(config, runner_factory, seeded):
    from tests.e2e.helpers import Api, start_system

    config["RATE_LIMITS"] = "orders=2/m,lookup=60/m"
    start_system(config, runner_factory)
    with Api(config["BASE_URL"]) as client:
        client.headers["Authorization"] = f"Bearer {config['ADMIN_TOKEN']}"
        sku = card_product(client, codes=5)
        while time.time() % 60 > 45:  # the limit counts per fixed minute: all three in one window
            time.sleep(1)
        assert [buy(client, sku).status_code for _ in range(2)] == [201, 201]
        limited = buy(client, sku)
        assert_error(limited, 429, "rate_limited")
        assert 1 <= int(limited.headers["Retry-After"]) <= 60


def _batches(call):
    """(round trips, calls) the order service has sent to `call` so far in this process."""
    from services.common import metrics

    samples = {s.name: s.value for m in metrics.RPC_BATCH_SIZE.collect() for s in m.samples if s.labels["call"] == call}
    return samples.get("kameng_rpc_batch_size_count", 0), samples.get("kameng_rpc_batch_size_sum", 0)


def test_orders_created_at_once_share_their_round_trips_to_the_catalog_and_risk(api, admin):
    """Twenty buyers at once: every order is reserved and assessed (each answered alone, one of
    them refused for its quantity), in fewer round trips to the catalog and to risk than orders."""
    sku, scarce = card_product(admin, codes=20, max_quantity=1), card_product(admin, codes=1)
    before = {call: _batches(call) for call in ("catalog/reserve_quoted_all", "risk/assess_all")}
    pool = eventlet.GreenPool(20)

    def attempt(n):
        wanted = {"sku": scarce, "quantity": 2} if n == 0 else {"sku": sku, "quantity": 1}  # the first: too many
        body = {**wanted, "contact": f"m{n}@example.com", "payment_channel": "sandbox"}
        return requests.post(f"{api.base_url}/api/v1/orders", json=body, timeout=30)

    answers = list(pool.imap(attempt, range(20)))
    assert answers[0].status_code == 409 and answers[0].json()["error"]["code"] == "out_of_stock"
    assert all(a.status_code == 201 and a.json()["status"] == "awaiting_payment" for a in answers[1:])
    for call, asked in (("catalog/reserve_quoted_all", 20), ("risk/assess_all", 19)):
        trips, calls = (now - then for now, then in zip(_batches(call), before[call], strict=True))
        assert calls == asked and trips < asked, (call, trips, calls)
    assert stock(api, sku) == 1
