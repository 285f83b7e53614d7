from gateway import orderview
from gateway.pages import console_time as local_time


def test_the_timeline_names_events_and_leaves_out_steps_that_changed_nothing():
    steps = [
        {"from": None, "to": "pending", "event": "order_created", "data": {"signals": {"ip": "1.2.3.4"}}, "at": "t1"},
        {"from": "reserving", "to": "awaiting_payment", "event": "stock_reserved", "data": {}, "at": "t2"},
        {"from": "awaiting_payment", "to": "awaiting_payment", "event": "payment_intent_created", "at": "t3"},
        {"from": "paid", "to": "refunding", "event": "step_timed_out", "data": {"state": "paid"}, "at": "t4"},
        {"from": "refunding", "to": "refunded", "event": "something_new", "data": {}, "at": "t5"},
    ]
    shown = orderview.timeline(steps)
    assert [s["at"] for s in shown] == ["t1", "t2", "t4", "t5"]
    assert shown[0]["label"] == "admin.event.order_created" and shown[0]["facts"] == []  # no JSON blob
    assert shown[2]["facts"] == [("state", "paid")]
    assert shown[3]["label"] is None and shown[3]["event"] == "something_new"  # unknown: its own name


def test_times_are_shown_in_the_merchants_zone():
    assert local_time("2026-12-07T16:30:05Z") == "2026-12-08 00:30:05"
    assert local_time("2026-12-07T16:30:05.123456+00:00") == "2026-12-08 00:30:05"
    assert local_time(None) == "—" and local_time("not a time") == "not a time"
