"""Retries and the never-twice guarantee (services/notify/sending.py), through the real broker and
database and a real SMTP server in the test's process: each message is handed to its channel at
most once per lease, and a second replica cannot take a leased one."""

import time
from email import message_from_bytes

import pytest
from nameko.standalone.events import event_dispatcher

from services.common.crypto import DataKeys
from services.common.db import make_engine, transaction
from services.common.testing import free_port, make_envelope, unique, wait_until
from services.notify import models, sending
from services.notify.service import NotifyService
from tests.doubles.smtp import SmtpDouble


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


def test_smtp_down_then_up_each_mail_arrives_once_with_two_replicas(config, runner_factory, db, monkeypatch):
    monkeypatch.setattr(sending, "RETRY_S", 1)
    port = free_port()
    smtp_config = {**config, "SMTP_URL": f"smtp://127.0.0.1:{port}"}  # nothing listens there yet
    runner_factory(smtp_config, NotifyService).start()
    runner_factory(smtp_config, NotifyService).start()  # a second replica, same queue, same table
    orders = [unique("K") for _ in range(6)]
    contacts = sorted(f"{o.lower()}@example.com" for o in orders)
    dispatch = event_dispatcher(config)
    for order_no in orders:
        dispatch("order", "order_completed", completed(order_no))

    def ours():
        return db(
            "SELECT recipient, status, attempts, error FROM notify.messages WHERE recipient = ANY(:c)", c=contacts
        )

    wait_until(lambda: len(ours()) == 6 and all(r["error"] for r in ours()), timeout=30, message="tried, refused")
    assert {r["status"] for r in ours()} == {"pending"}  # retried, not given up
    smtp = SmtpDouble(port).start()
    try:
        wait_until(lambda: all(r["status"] == "sent" for r in ours()), timeout=60, message="delivered once up")
        time.sleep(6)  # both replicas' timers run again: nothing is sent a second time
        got = sorted(message_from_bytes(m)["To"] for m in smtp.messages)
        assert [c for c in got if c in contacts] == contacts
        assert all(r["attempts"] >= 2 and r["error"] is None for r in ours())
    finally:
        smtp.stop()


@pytest.fixture
def smtp():
    double = SmtpDouble().start()
    yield double
    double.stop()


def test_the_exact_guarantee_once_per_lease_and_a_crash_after_the_send(database_url, config, smtp):
    """A crash between the server's acceptance and the record: the message goes once more, after
    the lease runs out, with the same Message-ID; the crashed try's late answer is not recorded."""
    engine, keys = make_engine(database_url), DataKeys(config["DATA_KEYS"])
    mail_config = {**config, "SMTP_URL": smtp.url}
    contact = f"{unique('crash')}@example.com"
    try:
        with transaction(engine, models.metadata) as s:
            [message_id] = [
                sending.queue(s, unique("evt"), contact, "email", "order_completed", "zh", completed("K1")["data"])
            ]
            s.execute(models.Message.__table__.update().values(next_try_at=None).where(models.Message.id == message_id))
        with transaction(engine, models.metadata) as s:
            [first] = sending.claim(s, keys, [message_id])
        assert sending.send(first, mail_config, lambda o: [])  # accepted ... and the process dies here
        with transaction(engine, models.metadata) as s:  # another replica, while the lease holds
            assert sending.claim(s, keys, [message_id]) == []
            s.execute(
                models.Message.__table__.update()
                .values(next_try_at=models.func.now())
                .where(models.Message.id == message_id)
            )  # the lease runs out
        with transaction(engine, models.metadata) as s:
            [second] = sending.claim(s, keys, [message_id])
        assert second.lease != first.lease
        assert sending.send(second, mail_config, lambda o: [])
        with transaction(engine, models.metadata) as s:
            assert sending.record(s, first, True) is None  # a lost lease: its answer is not recorded
            assert sending.record(s, second, True) == "sent"
        with transaction(engine, models.metadata) as s:
            assert sending.claim(s, keys, [message_id]) == []  # sent: never claimed again
        ids = [m.split(b"Message-ID: ", 1)[1].split(b"\r\n", 1)[0] for m in smtp.messages if contact.encode() in m]
        assert ids == [f"<notify-{message_id}@kameng.notify>".encode()] * 2  # twice, recognisably one message
    finally:
        engine.dispose()


def test_a_message_is_queued_once_per_event_recipient_and_channel(database_url):
    engine, event_id = make_engine(database_url), unique("evt")
    try:
        with transaction(engine, models.metadata) as s:
            first = sending.queue(s, event_id, "a@example.com", "email", "stock_low", "zh", {})
            assert sending.queue(s, event_id, "a@example.com", "email", "stock_low", "en", {}) is None
            assert sending.queue(s, event_id, "target:1", "webhook", "stock_low", "zh", {}) not in (None, first)
    finally:
        engine.dispose()
