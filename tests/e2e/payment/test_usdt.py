"""USDT (TRC20): a unique amount per payment, the watcher settles after N confirmations through
the one settle path; the chain itself is the only fake."""

import pytest

from services.common.testing import wait_until
from tests.e2e.helpers import opened
from tests.e2e.payment.fake_chain import CHAIN
from tests.e2e.payment.helpers import next_pass, notifications, payment_row
from tests.e2e.purchase.helpers import card_product, order_of, wait_status

ADDRESS, CONTRACT = "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"


@pytest.fixture(scope="module")
def system_settings(system_settings):
    return lambda config: {
        **system_settings(config),
        "PAYMENT_CHANNELS": ["epay", "usdt"],
        "USDT_ADDRESS": ADDRESS,
        "USDT_CONTRACT": CONTRACT,
        "USDT_CNY_RATE": "7.20",
        "USDT_CONFIRMATIONS": 3,
        "USDT_NODE_URL": "http://127.0.0.1:9",
        "USDT_WATCH_S": 0.2,
        "USDT_CHAIN_CLIENT": "tests.e2e.payment.fake_chain:CHAIN",
    }


@pytest.fixture(autouse=True)
def chain():
    CHAIN.reset()


def watched_again(db, order):
    """Returns once a whole pass of the watcher, begun after now, has checked the order's payment."""
    next_pass(db, order)  # a pass claims it after now (and checks it after that)
    next_pass(db, order)  # and is over


def buy_usdt(api, sku):
    created = api.post(
        "/api/v1/orders", json={"sku": sku, "quantity": 1, "contact": "c@example.com", "payment_channel": "usdt"}
    )
    assert created.status_code == 201, created.text
    return opened(api, created.json())  # the pay page: the intent made, its amount shown


def test_usdt_unique_amounts_confirmations_and_one_settlement(api, admin, db):
    sku = card_product(admin, codes=3, price="72.00")
    first, second = buy_usdt(api, sku), buy_usdt(api, sku)
    a, b = payment_row(db, first), payment_row(db, second)
    assert a["chain_amount"] != b["chain_amount"]  # the same price, told apart
    assert 10_000_000 < a["chain_amount"] < 10_010_000 and 10_000_000 < b["chain_amount"] < 10_010_000
    assert a["qr_code"] == f"tron:{ADDRESS}?token={CONTRACT}&amount=10.{a['chain_amount'] - 10_000_000:06d}"
    assert first["payment"]["pay_url"] == f"{api.base_url}/pay/{first['payment']['payment_no']}"
    page = api.get(f"/pay/{first['payment']['payment_no']}")
    assert page.status_code == 200 and f"10.{a['chain_amount'] - 10_000_000:06d}" in page.text

    CHAIN.send("TSomeoneElse111111111111111111111", a["chain_amount"], CONTRACT)  # not to us
    CHAIN.send(ADDRESS, a["chain_amount"] - 1, CONTRACT)  # a unit short
    CHAIN.send(ADDRESS, a["chain_amount"], "TFakeTokenContract11111111111111111")  # another token
    txid = CHAIN.send(ADDRESS, a["chain_amount"], CONTRACT)
    CHAIN.mine(2)  # 2 confirmations of 3
    asked = CHAIN.asked
    wait_until(lambda: CHAIN.asked > asked + 2, message="the watcher to look")
    assert order_of(api, first)["status"] == "awaiting_payment" and payment_row(db, first)["status"] == "pending"
    CHAIN.mine(1)
    wait_status(api, first, "completed")
    row = payment_row(db, first)
    assert row["status"] == "paid" and row["channel_trade_no"] == txid
    assert [n["outcome"] for n in notifications(db, first)] == ["paid"]
    watched_again(db, second)
    assert payment_row(db, second)["status"] == "pending"
    assert order_of(api, second)["status"] == "awaiting_payment"  # nothing of its own
    assert len(db("SELECT * FROM payment.journal WHERE payment_no = :p", p=first["payment"]["payment_no"])) == 1
    third = buy_usdt(api, sku)  # moments after the first was paid, for the same price
    assert payment_row(db, third)["chain_amount"] not in (a["chain_amount"], b["chain_amount"])
    watched_again(db, third)  # the first's transfer, just before it, is not the third's
    assert order_of(api, third)["status"] == "awaiting_payment" and payment_row(db, third)["status"] == "pending"


def test_usdt_has_no_notify_to_forge(api, admin, db):
    order = buy_usdt(api, card_product(admin, codes=1))
    answer = api.post("/api/v1/payments/usdt/notify", data={"payment_no": order["payment"]["payment_no"]})
    assert answer.text == "fail" and payment_row(db, order)["status"] == "pending"
