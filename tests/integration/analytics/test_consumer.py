"""The analytics service through RabbitMQ (issue 22, a small sample; the 10,000-order comparison
is test_reports_equal_counts.py): events in any order fill one order's row, a redelivered event
counts once (the inbox), the raw log keeps each envelope once, and the `report` RPC answers what
was counted."""

from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ClusterRpcProxy

from services.analytics.service import AnalyticsService
from services.common.envelope import isoformat
from services.common.testing import make_envelope, unique, wait_until
from tests.integration.analytics.history import START


def test_events_in_any_order_and_twice_count_once(config, runner_factory, db):
    runner_factory(config, AnalyticsService).start()
    dispatch = event_dispatcher(config)
    order_no = unique("AN")
    paid = make_envelope("payment_succeeded", order_no=order_no, payment_no="P1", amount=1980, channel="epay")
    dispatch("payment", "payment_succeeded", paid)  # before the digest that places the order
    dispatch("payment", "payment_succeeded", paid)  # redelivered: the same event_id
    placed = {
        "order_no": order_no,
        "created_at": isoformat(START),
        "sku": "AN-BROKER",
        "quantity": 2,
        "amount": 1980,
        "channel": "epay",
        "buyer": "b1",
        "risk_rejected": False,
    }
    dispatch("order", "orders_placed", make_envelope("orders_placed", orders=[placed]))
    refunded = make_envelope("order_refunded", order_no=order_no, sku="AN-BROKER", quantity=2, amount=1980)
    dispatch("order", "order_refunded", refunded)

    def row():
        rows = db("SELECT * FROM analytics.orders WHERE order_no = :o", o=order_no)
        return rows[0] if rows and rows[0]["created_at"] and rows[0]["refunded_at"] else None

    found = wait_until(row, timeout=20, message="the order's row filled by three events")
    assert (found["sku"], found["quantity"], found["paid_amount"], found["refund_amount"]) == (
        "AN-BROKER",
        2,
        1980,
        1980,
    )
    logged = db("SELECT count(*) AS n FROM analytics.events WHERE envelope->'data'->>'order_no' = :o", o=order_no)
    assert logged == [{"n": 2}]  # the payment once, the refund; the digest names no single order
    assert db("SELECT count(*) AS n FROM analytics.events WHERE event_id = :e", e=paid["event_id"]) == [{"n": 1}]

    day = START.date().isoformat()
    with ClusterRpcProxy(config) as cluster:
        line = cluster.analytics.report("breakdown", day, day, "sku")
        mine = [i for i in line["items"] if i["key"] == "AN-BROKER"]
        assert mine and (mine[0]["paid"], mine[0]["sales"], mine[0]["refund_amount"]) == (1, 1980, 1980)
