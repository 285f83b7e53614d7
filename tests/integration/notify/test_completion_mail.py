"""The buyer's completion mail (moved from delivery to the notify service): recorded pending with
the event's inbox row and sent after the commit (`services/notify/sending.py`): no transaction is
open while the SMTP server takes it, a refused or never-tried mail is sent later by the sweeper,
once. Real broker and database; an SMTP double in the test's process."""

import json
import time
from email import message_from_bytes, policy

import pytest
from nameko.standalone.events import event_dispatcher

from services.common.testing import make_envelope, unique, wait_until
from services.notify import sending
from services.notify.service import NotifyService
from tests.doubles.smtp import SmtpDouble
from tests.integration.helpers import OPEN_TRANSACTIONS


@pytest.fixture
def smtp():
    double = SmtpDouble().start()
    yield double
    double.stop()


def completed(order_no, **more):
    return make_envelope(
        "order_completed",
        order_no=order_no,
        contact=f"{order_no.lower()}@example.com",
        sku="SKU",
        quantity=1,
        amount=990,
        currency="CNY",
        **more,
    )


def status(db, order_no):
    rows = db(
        "SELECT status, attempts FROM notify.messages WHERE template = 'order_completed' AND recipient = :c",
        c=f"{order_no.lower()}@example.com",
    )
    return rows[0] if rows else None


def mails(smtp):
    return [message_from_bytes(m, policy=policy.default) for m in smtp.messages]


def recipients(smtp):
    return [m["To"] for m in mails(smtp)]


def test_no_transaction_is_open_while_the_mail_is_handed_over(config, runner_factory, smtp, db):
    order_no, seen = unique("K"), {}

    def look():
        time.sleep(0.6)
        seen["mail"], seen["open"] = status(db, order_no), db(OPEN_TRANSACTIONS)[0]["n"]

    smtp.during = look
    runner_factory({**config, "SMTP_URL": smtp.url, "PUBLIC_URL": "https://shop.example"}, NotifyService).start()
    event_dispatcher(config)("order", "order_completed", completed(order_no))
    wait_until(lambda: status(db, order_no) == {"status": "sent", "attempts": 1}, timeout=20, message="the mail sent")
    assert seen == {"mail": {"status": "pending", "attempts": 1}, "open": 0}  # committed before, nothing held
    contact = completed(order_no)["data"]["contact"]
    assert [r for r in recipients(smtp) if r == contact] == [contact]  # once (others' leftovers aside)
    [mail] = [m for m in mails(smtp) if m["To"] == contact]
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert mail["Subject"] == f"订单 {order_no} 已完成"  # zh: the default language
    assert f"https://shop.example/orders/{order_no}" in text and "9.90 CNY" in text
    assert f'href="https://shop.example/orders/{order_no}"' in html
    assert mail["Message-ID"].startswith("<notify-")


def test_an_agents_wallet_order_gets_no_mail(config, runner_factory, smtp, db):
    order_no = unique("K")
    runner_factory({**config, "SMTP_URL": smtp.url}, NotifyService).start()
    dispatch = event_dispatcher(config)
    dispatch("order", "order_completed", completed(order_no, payment_channel="wallet"))
    marker = unique("K")
    dispatch("order", "order_completed", completed(marker))  # handled after the first (one queue)
    wait_until(lambda: (status(db, marker) or {}).get("status") == "sent", timeout=20, message="the marker mail")
    assert status(db, order_no) is None


def test_a_refused_mail_and_one_a_crash_left_are_sent_later_once(config, runner_factory, smtp, db, write, monkeypatch):
    monkeypatch.setattr(sending, "RETRY_S", 1)
    refused, left = unique("K"), unique("K")
    write(
        "INSERT INTO notify.messages (event_id, recipient, channel, template, language, data, status, attempts, "
        "next_try_at, lease) VALUES (:e, :r, 'email', 'order_completed', 'en', CAST(:d AS jsonb), 'pending', 1, "
        "now() - interval '1 second', 'crashed')",  # claimed, then a crash: its lease ran out
        e=unique("evt"),
        r=completed(left)["data"]["contact"],
        d=json.dumps(completed(left)["data"]),
    )
    smtp.refuse = 1
    runner_factory({**config, "SMTP_URL": smtp.url}, NotifyService).start()
    event_dispatcher(config)("order", "order_completed", completed(refused))
    for order_no in (refused, left):
        wait_until(lambda o=order_no: (status(db, o) or {}).get("status") == "sent", timeout=30, message="sent later")
    assert status(db, refused) == {"status": "sent", "attempts": 2}
    # once each (the sweeper also sends what other tests' stopped services left in this database)
    ours = sorted(completed(o)["data"]["contact"] for o in (refused, left))
    assert sorted(r for r in recipients(smtp) if r in ours) == ours
    [english] = [m for m in mails(smtp) if m["To"] == completed(left)["data"]["contact"]]
    assert english["Subject"] == f"Order {left} complete"
