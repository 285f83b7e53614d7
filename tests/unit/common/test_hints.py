"""Hints (services/common/hints.py) sent after a commit carry the correlation id of what caused
them: in a batch, each envelope's own, not the last one's."""

from sqlalchemy.orm import Session

from services.common import hints


class Recorder:
    def __init__(self):
        self.sent = []

    def publish(self, payload, routing_key):
        self.sent.append((routing_key, payload))


def test_each_hint_of_a_batch_carries_its_own_envelopes_correlation_id():
    session = Session()
    for correlation_id in ("req-a", "req-b"):  # as db.each sets it, envelope by envelope
        session.info["correlation_id"] = correlation_id
        hints.add(session, "order_changed", {"order_no": correlation_id})
    sender = hints.Hints()
    sender.publisher = Recorder()
    sender.send(session)
    assert [(key, env["correlation_id"], env["data"]["order_no"]) for key, env in sender.publisher.sent] == [
        ("order_changed", "req-a", "req-a"),
        ("order_changed", "req-b", "req-b"),
    ]
    assert "hints" not in session.info  # sent once
