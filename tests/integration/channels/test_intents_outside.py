"""A payment intent is made in two transactions with the channel asked between them, outside any
(`services/payment/intents.py`): no connection sits in a transaction, holding its locks, while
WeChat Pay answers; an intent a crash left 'creating' is finished by the event's redelivery or by
the sweeper, with the same payment_no (one trade) and one `payment_intent_created`. Through the
real broker and database, against the WeChat double."""

import time

from nameko.standalone.events import event_dispatcher

from services.common.testing import unique, wait_until
from services.payment.intents import payment_no_for
from services.payment.service import PaymentService
from tests.integration.helpers import OPEN_TRANSACTIONS, payment_request


def made(db, order_no):
    """The order's payment once pending, with the payment_intent_created rows it wrote."""
    rows = db("SELECT payment_no, status, pay_url, qr_code FROM payment.payments WHERE order_no = :o", o=order_no)
    if not rows or rows[0]["status"] != "pending":
        return None
    announced = db(
        "SELECT envelope FROM payment.outbox WHERE type = 'payment_intent_created' "
        "AND envelope -> 'data' ->> 'order_no' = :o",
        o=order_no,
    )
    return {**rows[0], "announced": [r["envelope"]["data"]["payment_no"] for r in announced]}


def test_no_transaction_is_open_while_the_channel_opens_the_trade(channels_config, runner_factory, wechat_double, db):
    order_no, seen = unique("K"), {}

    def look():  # WeChat is answering: what does the database see meanwhile?
        time.sleep(0.6)
        seen["intent"] = db("SELECT status FROM payment.payments WHERE order_no = :o", o=order_no)
        seen["open"] = db(OPEN_TRANSACTIONS)[0]["n"]

    wechat_double.during[order_no] = look
    runner_factory(channels_config, PaymentService).start()
    envelope = payment_request(order_no)
    event_dispatcher(channels_config)("order", "payment_requested", envelope)
    payment = wait_until(lambda: made(db, order_no), timeout=20, message="the payment made")
    assert seen == {"intent": [{"status": "creating"}], "open": 0}  # committed before, nothing held
    assert payment["payment_no"] == payment_no_for(envelope) and payment["qr_code"].startswith("weixin://")
    assert payment["announced"] == [payment["payment_no"]]
    assert list(wechat_double.trades) == [payment["payment_no"]]


def half_made(write, envelope, created_ago_s=0):
    """What a crash right after the first transaction leaves: the inbox row and the intent, 'creating'."""
    d = envelope["data"]
    write(
        "INSERT INTO payment.inbox (consumer, event_id, event_type) "
        "VALUES ('payment.handle_payment_requested', :e, 'payment_requested')",
        e=envelope["event_id"],
    )
    write(
        "INSERT INTO payment.payments (payment_no, order_no, channel, amount, currency, status, refunded_amount, "
        "created_at) VALUES (:p, :o, :c, :a, :cur, 'creating', 0, now() - make_interval(secs => :ago))",
        p=payment_no_for(envelope),
        o=d["order_no"],
        c=d["channel"],
        a=d["amount"],
        cur=d["currency"],
        ago=created_ago_s,
    )


def test_a_redelivered_event_finishes_the_intent_a_crash_left(
    channels_config, runner_factory, wechat_double, db, write
):
    envelope = payment_request(unique("K"))
    half_made(write, envelope)
    runner_factory(channels_config, PaymentService).start()
    event_dispatcher(channels_config)("order", "payment_requested", envelope)  # the inbox has it already
    payment = wait_until(lambda: made(db, envelope["data"]["order_no"]), timeout=20, message="the payment made")
    assert payment["payment_no"] == payment_no_for(envelope) and payment["announced"] == [payment["payment_no"]]
    assert list(wechat_double.trades) == [payment["payment_no"]]


def test_the_sweeper_finishes_an_intent_whose_event_is_gone(channels_config, runner_factory, wechat_double, db, write):
    envelope = payment_request(unique("K"))
    half_made(write, envelope, created_ago_s=120)  # its event dead-lettered, or redelivered in vain
    runner_factory(channels_config, PaymentService).start()
    payment = wait_until(lambda: made(db, envelope["data"]["order_no"]), timeout=20, message="the sweeper")
    assert payment["announced"] == [payment["payment_no"]] and list(wechat_double.trades) == [payment["payment_no"]]
