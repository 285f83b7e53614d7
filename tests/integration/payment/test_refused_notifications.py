"""A refused notification (anybody can send one) is kept cut to a few KiB with the SHA-256 of the
whole; the same one again is counted on the row kept, not stored again."""

import hashlib
import json

from sqlalchemy import Text, func, select

from services.common.db import make_engine, transaction
from services.common.testing import unique
from services.payment import domain, reconcile
from services.payment.models import Notification, metadata
from services.payment.service import wire_request


def refuse(engine, channel, body):
    request, stored = wire_request({"method": "POST", "headers": {"content-type": "text/plain"}, "body": body})
    with transaction(engine, metadata) as s:
        outcome, reply = domain.notify(s, {}, channel, request, stored)  # no channel enabled: refused
    assert outcome == "refused: channel not enabled" and reply is None
    return stored


def test_a_big_refused_notification_is_cut_and_repeats_are_counted(database_url):
    engine = make_engine(database_url)
    channel = unique("ch")
    body = "x" * (1024 * 1024)
    stored = None
    for _ in range(3):
        stored = refuse(engine, channel, body)
    refuse(engine, channel, "another one")
    with transaction(engine, metadata) as s:
        rows = s.scalars(select(Notification).where(Notification.channel == channel).order_by(Notification.id)).all()
        size = s.scalar(
            select(func.sum(func.length(func.cast(Notification.raw, Text)))).where(Notification.channel == channel)
        )
        refused = reconcile.report(s)["refused_notifications"]
    engine.dispose()
    assert [r.repeats for r in rows] == [3, 1]
    big, small = rows
    whole = json.dumps(stored, sort_keys=True, ensure_ascii=False).encode()
    assert bytes(big.sha256) == hashlib.sha256(whole).digest()
    assert big.raw["cut"] is True and big.raw["size"] == len(whole) and len(big.raw["head"]) == domain.REFUSED_KEEP
    assert size < 2 * domain.REFUSED_KEEP  # both rows together: a few KiB, not 3 MiB
    assert small.raw["body"] == "another one" and small.last_at >= small.received_at
    assert refused[channel] == 4


def test_notifications_stay_append_only_but_for_the_count(database_url):
    engine = make_engine(database_url)
    channel = unique("ch")
    refuse(engine, channel, "once")
    with engine.begin() as conn:
        table = metadata.tables["payment.notifications"]
        conn.execute(table.update().where(table.c.channel == channel).values(outcome="paid", repeats=7))
        conn.execute(table.delete().where(table.c.channel == channel))
        rows = conn.execute(select(table.c.outcome, table.c.repeats).where(table.c.channel == channel)).all()
    engine.dispose()
    assert rows == [("refused: channel not enabled", 1)]
