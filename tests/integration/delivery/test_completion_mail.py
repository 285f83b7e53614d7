"""The buyer's completion mail is recorded pending with the event's inbox row and sent after the
commit (`services/delivery/mailer.py`): no transaction is open while the SMTP server takes it, a
refused or never-tried mail is sent later by the sweeper, once. Real broker and database; an
SMTP double in the test's process."""

import json
import time
from email import message_from_bytes

import pytest
from nameko.standalone.events import event_dispatcher

from services.common.testing import make_envelope, unique, wait_until
from services.delivery import mailer
from services.delivery.service import DeliveryService
from tests.doubles.smtp import SmtpDouble
from tests.integration.helpers import OPEN_TRANSACTIONS


@pytest.fixture
def smtp():
    double = SmtpDouble().start()
    yield double
    double.stop()


def completed(order_no):
    return make_envelope(
        "order_completed",
        order_no=order_no,
        contact=f"{order_no.lower()}@example.com",
        sku="SKU",
        quantity=1,
        amount=990,
        currency="CNY",
    )


def status(db, order_no):
    rows = db("SELECT status, attempts FROM delivery.mails WHERE order_no = :o", o=order_no)
    return rows[0] if rows else None


def recipients(smtp):
    return [message_from_bytes(m)["To"] for m in smtp.messages]


def test_no_transaction_is_open_while_the_mail_is_handed_over(config, runner_factory, smtp, db):
    order_no, seen = unique("K"), {}

    def look():
        time.sleep(0.6)
        seen["mail"], seen["open"] = status(db, order_no), db(OPEN_TRANSACTIONS)[0]["n"]

    smtp.during = look
    runner_factory({**config, "SMTP_URL": smtp.url}, DeliveryService).start()
    event_dispatcher(config)("order", "order_completed", completed(order_no))
    wait_until(lambda: status(db, order_no) == {"status": "sent", "attempts": 1}, timeout=20, message="the mail sent")
    assert seen == {"mail": {"status": "pending", "attempts": 1}, "open": 0}  # committed before, nothing held
    contact = completed(order_no)["data"]["contact"]
    assert [r for r in recipients(smtp) if r == contact] == [contact]  # once (others' leftovers aside)


def test_a_refused_mail_and_one_a_crash_left_are_sent_later_once(config, runner_factory, smtp, db, write, monkeypatch):
    monkeypatch.setattr(mailer, "RETRY_S", 1)
    refused, left = unique("K"), unique("K")
    write(
        "INSERT INTO delivery.mails (order_no, data, status, attempts, next_try_at) "
        "VALUES (:o, CAST(:d AS jsonb), 'pending', 1, now() - interval '1 second')",  # claimed, then a crash
        o=left,
        d=json.dumps(completed(left)["data"]),
    )
    smtp.refuse = 1
    runner_factory({**config, "SMTP_URL": smtp.url}, DeliveryService).start()
    event_dispatcher(config)("order", "order_completed", completed(refused))
    for order_no in (refused, left):
        wait_until(lambda o=order_no: (status(db, o) or {}).get("status") == "sent", timeout=30, message="sent later")
    assert status(db, refused) == {"status": "sent", "attempts": 2}
    # once each (the sweeper also sends what other tests' stopped services left in this database)
    ours = sorted(completed(o)["data"]["contact"] for o in (refused, left))
    assert sorted(r for r in recipients(smtp) if r in ours) == ours
