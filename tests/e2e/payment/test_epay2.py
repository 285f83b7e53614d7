"""易支付 V2 end to end (KAMENG_EPAY_VERSION=2): the pay link -> api/pay/create, signed with the
merchant's RSA key -> the cashier -> the double's notify by GET, signed with the platform's key,
to our gateway -> the order delivered; api/pay/query reconciles, api/pay/refund refunds. Every
bad notify the V1 channel refuses is refused here too, with nothing changed. The double signs
and verifies with pycryptodomex, never with the channel's code."""

import re
from pathlib import Path
from urllib.parse import urlparse

import eventlet
import pytest
from Cryptodome.PublicKey import RSA
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from services.common.testing import wait_until
from tests.e2e.helpers import opened
from tests.e2e.payment import test_epay
from tests.e2e.payment.epay2_double import Epay2Double, signed_text
from tests.e2e.payment.helpers import buy_epay, notifications, payment_row, refused_and_nothing_changed
from tests.e2e.purchase.helpers import card_product, events_of, order_of, wait_status

ANOTHER_KEY = RSA.generate(2048)


@pytest.fixture(scope="module")
def epay_double():
    double = Epay2Double().start()
    yield double
    double.stop()


@pytest.fixture(scope="module")
def system_settings(epay_double, tmp_path_factory):
    private = tmp_path_factory.mktemp("epay2") / "epay-merchant-private.pem"
    private.write_text(epay_double.merchant_private_pem())
    return lambda config: {
        "PAYMENT_CHANNELS": ["epay"],
        "EPAY_VERSION": "2",
        "EPAY_PID": epay_double.pid,
        "EPAY_URL": epay_double.url,
        "EPAY_PRIVATE_KEY": str(private),  # a PEM file's path
        "EPAY_PLATFORM_PUBLIC_KEY": epay_double.platform_public_pem(),  # or the PEM text itself
        "PUBLIC_URL": config["BASE_URL"],
        "PAYMENT_RECONCILE_AFTER_S": 3600,
        "PAYMENT_RECONCILE_EVERY_S": 0.5,
        "PAYMENT_REFUND_RETRY_S": 0.2,
    }


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_create_then_cashier_then_notify_delivers(api, admin, epay, db, method):
    order = buy_epay(api, admin, epay)
    payment_no = order["payment"]["payment_no"]
    trade = epay.orders[payment_no]
    assert order["payment"]["pay_url"] == f"{epay.url}/cashier/{trade['trade_no']}"  # create's pay_info
    sent = trade["fields"]  # what api/pay/create received (its signature checked by the double)
    assert (sent["money"], sent["method"], sent["sign_type"]) == ("9.90", "jump", "RSA")
    assert sent["notify_url"] == f"{api.base_url}/api/v1/payments/epay/notify"
    assert re.fullmatch(r"[0-9]{10}", sent["timestamp"]) and "type" not in sent  # the cashier asks the buyer
    assert epay.refused == []

    answer = epay.pay(payment_no, method=method)
    assert (answer.status_code, answer.text) == (200, "success")
    done = wait_status(api, order, "completed")
    assert len(done["items"]) == 1
    payment = payment_row(db, order)
    assert payment["status"] == "paid" and payment["channel_trade_no"] == trade["trade_no"]
    stored = notifications(db, order)
    assert [(n["verified"], n["outcome"]) for n in stored] == [(True, "paid")]
    fields = stored[0]["raw"]["query" if method == "GET" else "form"]
    assert fields["sign"] and fields["timestamp"] and fields["money"] == "9.90"  # kept raw, for audit


def test_opening_the_pay_link_again_goes_to_the_same_trade(api, admin, epay):
    order = buy_epay(api, admin, epay)
    link = api.get(f"/pay/{order['payment']['payment_no']}", allow_redirects=False)
    assert link.status_code == 303 and link.headers["Location"] == order["payment"]["pay_url"]
    assert [path for path, _ in epay.calls].count("/api/pay/create") == 1


def test_a_qr_code_answer_is_shown_on_our_pay_page(api, admin, epay, db):
    epay.pay_type = "qrcode"
    sku = card_product(admin, codes=1)
    created = api.post(
        "/api/v1/orders", json={"sku": sku, "quantity": 1, "contact": "q@example.com", "payment_channel": "epay"}
    ).json()
    order = opened(api, created)
    payment_no = order["payment"]["payment_no"]
    assert urlparse(order["payment"]["pay_url"]).path == f"/pay/{payment_no}"  # our page, not a redirect
    row = payment_row(db, order)
    assert (
        row["status"] == "pending" and row["qr_code"] == f"https://qr.alipay.com/{epay.orders[payment_no]['trade_no']}"
    )
    assert epay.pay(payment_no).text == "success"
    wait_status(api, order, "completed")


@pytest.mark.parametrize("how", ["tampered answer", "html answer"])
def test_a_create_answer_we_cannot_believe_or_show_starts_nothing(api, admin, epay, db, how):
    if how == "tampered answer":
        epay.tamper_answers = True  # pay_info changed after the platform signed it
    else:
        epay.pay_type = "html"
    sku = card_product(admin, codes=1)
    created = api.post(
        "/api/v1/orders", json={"sku": sku, "quantity": 1, "contact": "t@example.com", "payment_channel": "epay"}
    ).json()
    page = api.get("/" + created["payment"]["pay_url"].split("/", 3)[3], allow_redirects=False)
    assert page.status_code == 503, page.text
    assert "phishing" not in page.headers.get("Location", "")
    row = db("SELECT * FROM payment.payments WHERE payment_no = :p", p=created["payment"]["payment_no"])[0]
    assert row["status"] == "creating" and row["pay_url"] is None
    epay.tamper_answers, epay.pay_type = False, "jump"  # the platform mended: the link works
    order = opened(api, created)
    assert order["payment"]["pay_url"].startswith(f"{epay.url}/cashier/")


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
    assert sorted(n["outcome"] for n in notifications(db, order)) == ["paid"] + ["repeat"] * 8
    assert len(db("SELECT * FROM payment.journal WHERE payment_no = :p", p=payment_no)) == 1


def test_fields_beyond_the_list_are_signed_and_accepted(api, admin, epay, db):
    order = buy_epay(api, admin, epay)
    payment_no = order["payment"]["payment_no"]
    epay.pay(payment_no, notify=False)
    fields = epay.notification(payment_no, signed={"param": "x=1&y=2", "channel_fee": "0.06", "newfield": "新"})
    assert epay.send(payment_no, fields).text == "success"
    wait_status(api, order, "completed")
    # and one added after signing is not
    second = buy_epay(api, admin, epay)
    epay.pay(second["payment"]["payment_no"], notify=False)
    added = epay.notification(second["payment"]["payment_no"], newfield="unsigned")
    assert epay.send(second["payment"]["payment_no"], added).text == "fail"


def forged(e, p):
    fields = e.notification(p)
    return {**fields, "sign": "A" * 344}


BAD = {
    # every case of V1's (tests/e2e/payment/test_epay.py), in V2's terms
    "forged signature": forged,
    "wrong key": lambda e, p: e.notification(p, key=ANOTHER_KEY),
    "missing sign": lambda e, p: e.notification(p, sign=None),
    "missing money": lambda e, p: e.notification(p, money=None),
    "missing trade_no": lambda e, p: e.notification(p, trade_no=None),
    "missing pid": lambda e, p: e.notification(p, pid=None),
    "money more (tampered)": lambda e, p: e.notification(p, money="99.90"),
    "money more (signed)": lambda e, p: e.notification(p, signed={"money": "9.91"}),
    "money less (signed)": lambda e, p: e.notification(p, signed={"money": "9.89"}),
    "malformed money (signed)": lambda e, p: e.notification(p, signed={"money": "9.9e0"}),
    "sign_type changed": lambda e, p: e.notification(p, sign_type="MD5"),
    "another merchant (signed)": lambda e, p: e.notification(p, signed={"pid": "2002"}),
    "trade not successful (signed)": lambda e, p: e.notification(p, signed={"trade_status": "WAIT_BUYER_PAY"}),
    "unknown out_trade_no (signed)": lambda e, p: e.notification(p, signed={"out_trade_no": "P" + "0" * 20}),
    "sign not ASCII": lambda e, p: e.notification(p, sign="签名" * 16),
    # and V2's own
    "signed with the merchant's key": lambda e, p: e.notification(p, key=e.merchant_key),
    "missing timestamp (signed)": lambda e, p: e.notification(p, signed={"timestamp": None}),
    "timestamp not 10 digits (signed)": lambda e, p: e.notification(p, signed={"timestamp": "17000000000"}),
    "timestamp changed (tampered)": lambda e, p: e.notification(p, timestamp="1700000000"),
    "signature not base64": lambda e, p: e.notification(p, sign="%%%not-base64%%%"),
    "field dropped after signing": lambda e, p: e.notification(p, buyer=None),
}


def test_every_bad_notify_of_v1_is_a_bad_notify_of_v2():
    assert set(test_epay.BAD) <= set(BAD)


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_notifies_are_refused_and_change_nothing(api, admin, epay, db, case):
    refused_and_nothing_changed(api, admin, epay, db, BAD[case], "GET")


def test_a_valid_notify_replayed_onto_another_order_is_refused(api, admin, epay, db):
    first, second = buy_epay(api, admin, epay), buy_epay(api, admin, epay)
    epay.pay(first["payment"]["payment_no"])
    wait_status(api, first, "completed")
    replayed = epay.notification(first["payment"]["payment_no"], out_trade_no=second["payment"]["payment_no"])
    assert epay.send(second["payment"]["payment_no"], replayed).text == "fail"
    assert "payment_succeeded" not in events_of(db, "payment", second)
    assert order_of(api, second)["status"] == "awaiting_payment" and payment_row(db, second)["status"] == "pending"


def test_one_channel_trade_pays_one_payment(api, admin, epay, db):
    first, second = buy_epay(api, admin, epay), buy_epay(api, admin, epay)
    epay.pay(first["payment"]["payment_no"])
    wait_status(api, first, "completed")
    taken = epay.orders[first["payment"]["payment_no"]]["trade_no"]
    epay.orders[second["payment"]["payment_no"]]["paid"] = True
    fields = epay.notification(second["payment"]["payment_no"], signed={"trade_no": taken})
    assert epay.send(second["payment"]["payment_no"], fields).text == "fail"
    assert order_of(api, second)["status"] == "awaiting_payment" and payment_row(db, second)["status"] == "pending"
    assert [n["outcome"] for n in notifications(db, second)] == ["rejected: that trade paid another payment"]


@pytest.mark.parametrize("tampered", [False, True])
def test_reconciliation_asks_api_pay_query(api, admin, epay, db, write, tampered):
    """A paid payment whose notify never came is settled from api/pay/query's signed answer; an
    answer changed after the platform signed it (the amount) is not believed: no settle, and not
    even a rejected notification."""
    order = buy_epay(api, admin, epay)
    payment_no = order["payment"]["payment_no"]
    epay.tamper_answers = tampered
    epay.pay(payment_no, notify=False)  # paid; the notify is lost
    assert payment_row(db, order)["status"] == "pending"
    # old enough for reconciliation (this module's settings wait an hour)
    write("UPDATE payment.payments SET created_at = now() - interval '2 hours' WHERE payment_no = :p", p=payment_no)
    if tampered:
        wait_until(lambda: epay.asked[payment_no] >= 2, message="reconciliation to ask api/pay/query twice")
        assert payment_row(db, order)["status"] == "pending" and order_of(api, order)["status"] == "awaiting_payment"
        assert notifications(db, order) == []
        return
    wait_status(api, order, "completed")
    assert [(n["outcome"], n["raw"]["source"]) for n in notifications(db, order)] == [("paid", "reconciliation")]
    assert ("/api/pay/query", payment_no) in epay.calls
    assert epay.send(payment_no, epay.notification(payment_no)).text == "success"  # the late notify: a repeat


def test_refunds_go_through_api_pay_refund(api, admin, epay, db):
    order = buy_epay(api, admin, epay)
    assert epay.pay(order["payment"]["payment_no"]).text == "success"
    wait_status(api, order, "completed")
    part = admin.post(
        f"/api/v1/admin/orders/{order['order_no']}/refund",
        json={"amount": "3.00", "reason": "one code was bad"},
        headers={"Idempotency-Key": "k-1"},
    )
    assert part.status_code == 200 and part.json()["refund"]["status"] == "refunded", part.text
    whole = admin.post(f"/api/v1/admin/orders/{order['order_no']}/refund", json={"reason": "buyer asked"})
    assert whole.status_code == 200, whole.text
    wait_status(api, order, "refunded")
    assert sorted(epay.refunds.values()) == [300, 690]
    assert payment_row(db, order)["refunded_amount"] == 990


def test_a_refused_refund_is_failed_not_lost(api, admin, epay, db):
    order = buy_epay(api, admin, epay)
    epay.pay(order["payment"]["payment_no"])
    wait_status(api, order, "completed")
    epay.refuse_refunds = True
    answer = admin.post(
        f"/api/v1/admin/orders/{order['order_no']}/refund",
        json={"amount": "1.00", "reason": "test"},
        headers={"Idempotency-Key": "k-2"},
    )
    assert answer.status_code == 200 and answer.json()["refund"]["status"] == "refund_failed", answer.text
    assert epay.refunds == {} and payment_row(db, order)["refunded_amount"] == 0


def key_file(tmp_path, text):
    path = Path(tmp_path) / "key.pem"
    path.write_text(text)
    return str(path)


EC_PEM = (
    ec.generate_private_key(ec.SECP256R1())
    .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    .decode()
)

MISCONFIGURED = {
    "no private key": lambda c, t: {**c, "EPAY_PRIVATE_KEY": ""},
    "no platform key": lambda c, t: {**c, "EPAY_PLATFORM_PUBLIC_KEY": " "},
    "private key file missing": lambda c, t: {**c, "EPAY_PRIVATE_KEY": str(Path(t) / "nowhere.pem")},
    "private key not PEM": lambda c, t: {**c, "EPAY_PRIVATE_KEY": key_file(t, "not a key")},
    "platform key text not a key": lambda c, t: {
        **c,
        "EPAY_PLATFORM_PUBLIC_KEY": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
    },
    "private key not RSA": lambda c, t: {**c, "EPAY_PRIVATE_KEY": key_file(t, EC_PEM)},
    "the platform's key is a private key": lambda c, t: {**c, "EPAY_PLATFORM_PUBLIC_KEY": EC_PEM},
    "an unknown version": lambda c, t: {**c, "EPAY_VERSION": "3"},
    "our own public key as the platform's": lambda c, t: {
        **c,
        "EPAY_PLATFORM_PUBLIC_KEY": RSA.import_key(Path(c["EPAY_PRIVATE_KEY"]).read_text())
        .public_key()
        .export_key()
        .decode(),
    },
}


@pytest.mark.parametrize("case", sorted(MISCONFIGURED))
def test_the_payment_service_does_not_start_with_a_bad_v2_key(epay_config, runner_factory, tmp_path, case):
    from services.payment.channels import Misconfigured
    from services.payment.service import PaymentService

    runner = runner_factory(MISCONFIGURED[case](epay_config, tmp_path), PaymentService)
    with pytest.raises(Misconfigured):
        runner.start()


def test_the_double_signs_by_its_own_rule():
    """The double's signed string is epay's rule written again, not the channel's code."""
    fields = {"b": "2", "a": "1", "sign": "x", "sign_type": "RSA", "e": "", "c": 0}
    assert signed_text(fields) == "a=1&b=2&c=0"
