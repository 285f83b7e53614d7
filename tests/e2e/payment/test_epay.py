"""易支付 (epay) V1 end to end: our redirect -> the epay double -> its signed notify to our
gateway -> the order delivered; every forged, tampered or foreign notify refused with nothing
changed (DESIGN §6, §7)."""

import re
from urllib.parse import parse_qs, urlparse

import eventlet
import pytest

from services.common.testing import unique
from tests.e2e.helpers import opened
from tests.e2e.payment.helpers import buy_epay, notifications, payment_row, refused_and_nothing_changed
from tests.e2e.purchase.helpers import card_product, events_of, order_of, wait_status


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_redirect_notify_delivers(api, admin, epay, db, method):
    order = buy_epay(api, admin, epay)
    pay_url = urlparse(order["payment"]["pay_url"])
    sent = {k: v[0] for k, v in parse_qs(pay_url.query).items()}
    assert f"{pay_url.scheme}://{pay_url.netloc}{pay_url.path}" == f"{epay.url}/submit.php"
    assert sent["out_trade_no"] == order["payment"]["payment_no"] and sent["money"] == "9.90"
    assert sent["notify_url"] == f"{api.base_url}/api/v1/payments/epay/notify" and sent["sign_type"] == "MD5"

    answer = epay.pay(order["payment"]["payment_no"], method=method)
    assert (answer.status_code, answer.text) == (200, "success")
    done = wait_status(api, order, "completed")
    assert len(done["items"]) == 1
    payment = payment_row(db, order)
    assert payment["status"] == "paid" and payment["channel_trade_no"] == epay.orders[sent["out_trade_no"]]["trade_no"]
    stored = notifications(db, order)
    assert [(n["verified"], n["outcome"]) for n in stored] == [(True, "paid")]
    fields = stored[0]["raw"]["query" if method == "GET" else "form"]
    assert fields["sign"] and fields["money"] == "9.90"  # kept raw, for audit


def test_the_same_notify_many_times_and_at_once_moves_the_state_once(api, admin, epay, db):
    order = buy_epay(api, admin, epay)
    payment_no = order["payment"]["payment_no"]
    epay.pay(payment_no, notify=False)
    fields = epay.notification(payment_no)
    pool = eventlet.GreenPool(8)
    answers = list(pool.imap(lambda m: epay.send(payment_no, fields, m), ["GET", "POST"] * 4))
    assert {(a.status_code, a.text) for a in answers} == {(200, "success")}
    wait_status(api, order, "completed")
    assert epay.send(payment_no, fields).text == "success"  # and once more, later
    outcomes = sorted(n["outcome"] for n in notifications(db, order))
    assert outcomes == ["paid"] + ["repeat"] * 8
    assert len(db("SELECT * FROM payment.journal WHERE payment_no = :p", p=payment_no)) == 1
    timeline = admin.get(f"/api/v1/admin/orders/{order['order_no']}").json()["timeline"]
    assert [t["to"] for t in timeline].count("paid") == 1


BAD = {
    "forged signature": lambda e, p: e.notification(p, sign="0" * 32),
    "wrong key": lambda e, p: e.notification(p, key="not-the-merchant-key"),
    "missing sign": lambda e, p: e.notification(p, sign=None),
    "missing money": lambda e, p: e.notification(p, money=None),
    "missing trade_no": lambda e, p: e.notification(p, trade_no=None),
    "missing pid": lambda e, p: e.notification(p, pid=None),
    "money more (tampered)": lambda e, p: e.notification(p, money="99.90"),
    "money more (signed)": lambda e, p: e.notification(p, signed={"money": "9.91"}),
    "money less (signed)": lambda e, p: e.notification(p, signed={"money": "9.89"}),
    "malformed money (signed)": lambda e, p: e.notification(p, signed={"money": "9.9e0"}),
    "sign_type changed": lambda e, p: e.notification(p, sign_type="RSA"),
    "another merchant (signed)": lambda e, p: e.notification(p, signed={"pid": "2002"}),
    "trade not successful (signed)": lambda e, p: e.notification(p, signed={"trade_status": "WAIT_BUYER_PAY"}),
    "unknown out_trade_no (signed)": lambda e, p: e.notification(p, signed={"out_trade_no": "P" + "0" * 20}),
    "sign not ASCII": lambda e, p: e.notification(p, sign="签名" * 16),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_notifies_are_refused_and_change_nothing(api, admin, epay, db, case):
    refused_and_nothing_changed(api, admin, epay, db, BAD[case], "POST")


def test_a_valid_notify_replayed_onto_another_order_is_refused(api, admin, epay, db):
    first, second = buy_epay(api, admin, epay), buy_epay(api, admin, epay)
    epay.pay(first["payment"]["payment_no"])
    wait_status(api, first, "completed")
    replayed = epay.notification(first["payment"]["payment_no"], out_trade_no=second["payment"]["payment_no"])
    answer = epay.send(second["payment"]["payment_no"], replayed)
    assert answer.text == "fail"
    assert "payment_succeeded" not in events_of(db, "payment", second)  # answered after its commit: nothing sent
    assert order_of(api, second)["status"] == "awaiting_payment" and payment_row(db, second)["status"] == "pending"


def test_one_channel_trade_pays_one_payment(api, admin, epay, db):
    """A genuinely signed notify for the second payment carrying the trade number that already paid
    the first (a provider's slip, a replayed transfer): refused, the second stays unpaid."""
    first, second = buy_epay(api, admin, epay), buy_epay(api, admin, epay)
    epay.pay(first["payment"]["payment_no"])
    wait_status(api, first, "completed")
    taken = epay.orders[first["payment"]["payment_no"]]["trade_no"]
    epay.orders[second["payment"]["payment_no"]]["paid"] = True
    fields = epay.notification(second["payment"]["payment_no"], signed={"trade_no": taken})
    assert epay.send(second["payment"]["payment_no"], fields).text == "fail"
    assert "payment_succeeded" not in events_of(db, "payment", second)  # answered after its commit: nothing sent
    assert order_of(api, second)["status"] == "awaiting_payment" and payment_row(db, second)["status"] == "pending"
    assert [n["outcome"] for n in notifications(db, second)] == ["rejected: that trade paid another payment"]


def test_a_product_priced_in_dollars_is_not_offered_to_a_yuan_channel(api, admin, db):
    """epay (like Alipay, WeChat Pay and USDT here) charges yuan: "10.00" USD must not become
    ¥10.00. The order is refused before anything is written (the catalog checks the currencies
    the channel takes before it reserves); the sandbox takes any currency."""
    sku = unique("USD")
    assert (
        admin.post(
            "/api/v1/admin/products",
            json={
                "sku": sku,
                "name": "Dollar card",
                "category": "测试",
                "price": "10.00",
                "currency": "USD",
                "delivery": "card",
            },
        ).status_code
        == 201
    )
    imported = admin.post(
        f"/api/v1/admin/products/{sku}/codes", data=b"USD-CODE-1\n", headers={"Content-Type": "text/plain"}
    )
    assert imported.status_code in (200, 201), imported.text
    body = {"sku": sku, "quantity": 1, "contact": "usd@example.com", "payment_channel": "epay"}
    refused = api.post("/api/v1/orders", json=body)
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"]["details"]["fields"]["payment_channel"] == [
        "for this product choose one of ['sandbox']"
    ]
    assert api.get("/api/v1/admin/orders", params={"sku": sku}, headers=admin.headers).json()["items"] == []
    assert db("SELECT order_no FROM catalog.reservations WHERE sku = :s", s=sku) == []  # nothing was ever held
    assert admin.get(f"/api/v1/products/{sku}").json()["stock"] == 1
    page = api.get(f"/products/{sku}")
    offered = re.findall(r'name="payment_channel" value="([a-z0-9_]+)"', page.text)
    assert page.status_code == 200 and offered == ["sandbox"], offered
    created = api.post("/api/v1/orders", json={**body, "payment_channel": "sandbox"})
    assert created.status_code == 201 and created.json()["currency"] == "USD"


def test_a_notify_for_another_channels_payment_changes_nothing(api, admin, epay, db):
    """A sandbox payment's number in a (genuinely signed) epay notify: not this channel's payment."""
    sku = card_product(admin, codes=1)
    order = opened(  # its intent made: a sandbox payment, pending
        api,
        api.post(
            "/api/v1/orders", json={"sku": sku, "quantity": 1, "contact": "b@example.com", "payment_channel": "sandbox"}
        ).json(),
    )
    own = buy_epay(api, admin, epay)
    fields = epay.notification(
        own["payment"]["payment_no"], signed={"out_trade_no": order["payment"]["payment_no"], "money": order["amount"]}
    )
    assert epay.send(own["payment"]["payment_no"], fields).text == "fail"
    assert payment_row(db, order)["status"] == "pending"
    assert [n["outcome"] for n in notifications(db, order)] == ["rejected: another channel's payment"]


def test_an_unknown_channel_is_404_and_a_disabled_one_too_but_kept(api, db):
    assert api.post("/api/v1/payments/paypal/notify", data="x").status_code == 404
    marker = "kept-" + "9" * 12
    assert api.post("/api/v1/payments/alipay/notify", data={"x": marker}).status_code == 404  # not enabled here
    kept = db("SELECT * FROM payment.notifications WHERE raw::text LIKE :m", m=f"%{marker}%")
    assert [(k["channel"], k["verified"], k["outcome"]) for k in kept] == [
        ("alipay", False, "refused: channel not enabled")
    ]


def test_the_payment_service_does_not_start_with_an_empty_epay_key(epay_config, runner_factory):
    from services.payment.channels import Misconfigured
    from services.payment.service import PaymentService

    runner = runner_factory({**epay_config, "EPAY_KEY": ""}, PaymentService)
    with pytest.raises(Misconfigured):
        runner.start()
