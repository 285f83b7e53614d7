"""The review queue: a held order keeps its stock until an admin decides or the window ends."""

from datetime import UTC, datetime, timedelta

from services.common.testing import unique, wait_until
from tests.e2e.helpers import BOOTSTRAP_ACTOR, assert_error
from tests.e2e.purchase.helpers import buy, card_product, order_of, pay, wait_status
from tests.e2e.risk.helpers import REVIEW_BIG, audit_of, held, levels, risk_of


def test_review_approve_goes_on_to_payment_and_delivery(api, admin, rules, system):
    sku, order = held(api, admin, rules)
    queue = admin.get("/api/v1/admin/risk/reviews").json()["items"]
    mine = next(r for r in queue if r["order_no"] == order["order_no"])
    assert mine["outcome"] == "review" and mine["score"] == 60 and mine["rules"][0]["rule"] == "amount"
    assert mine["signals"]["ip"] == "127.0.0.1" and mine["hold_until"].endswith("Z")
    approved = admin.post(f"/api/v1/admin/risk/reviews/{order['order_no']}/approve", json={"note": "known buyer"})
    assert approved.status_code == 200 and approved.json()["resolution"] == "approved"
    ready = wait_until(
        lambda: wait_status(api, order, "awaiting_payment")["payment"] and order_of(api, order),
        message="the payment intent",
    )
    window = datetime.fromisoformat(ready["expires_at"].replace("Z", "+00:00")) - datetime.now(UTC)
    assert timedelta(seconds=880) < window <= timedelta(seconds=900)  # the payment window starts now
    assert order["order_no"] not in [r["order_no"] for r in admin.get("/api/v1/admin/risk/reviews").json()["items"]]
    pay(api, ready)
    wait_status(api, order, "completed")
    assert levels(admin, sku) == (1, 0, 2)
    assert_error(admin.post(f"/api/v1/admin/risk/reviews/{order['order_no']}/reject", json={}), 409, "conflict")
    rows = audit_of(system, order["order_no"])
    assert rows == [(BOOTSTRAP_ACTOR, "risk.review.approve", {"note": "known buyer"})]
    timeline = admin.get(f"/api/v1/admin/orders/{order['order_no']}").json()["timeline"]
    assert [t["to"] for t in timeline][:4] == ["pending", "review", "reserving", "awaiting_payment"]


def test_review_reject_releases_the_reservation(api, admin, rules, system):
    sku, order = held(api, admin, rules)
    rejected = admin.post(f"/api/v1/admin/risk/reviews/{order['order_no']}/reject")  # no body at all
    assert rejected.status_code == 200, rejected.text
    done = wait_status(api, order, "rejected")
    assert done["reason"] == "not_accepted" and "risk" not in str(done) and "rule" not in str(done)
    wait_until(lambda: levels(admin, sku) == (3, 0, 0), message="the stock back")
    assert audit_of(system, order["order_no"]) == [(BOOTSTRAP_ACTOR, "risk.review.reject", {"note": None})]
    assert risk_of(admin, order)["resolution"] == "rejected"


def test_review_actions_on_the_wrong_orders(api, admin, rules):
    assert_error(admin.post("/api/v1/admin/risk/reviews/K000NOSUCHORDER/approve", json={}), 404, "not_found")
    approved = buy(api, card_product(admin)).json()
    assert approved["status"] == "awaiting_payment"
    assert_error(admin.post(f"/api/v1/admin/risk/reviews/{approved['order_no']}/approve", json={}), 404, "not_found")
    _, order = held(api, admin, rules)
    assert_error(
        admin.post(f"/api/v1/admin/risk/reviews/{order['order_no']}/approve", json={"note": 5}), 400, "validation_error"
    )
    assert_error(
        admin.post(f"/api/v1/admin/risk/reviews/{order['order_no']}/approve", json={"x": 1}), 400, "validation_error"
    )
    assert_error(api.post(f"/api/v1/admin/risk/reviews/{order['order_no']}/approve", json={}), 401, "unauthorized")
    assert risk_of(admin, order)["resolution"] is None


def test_the_buyer_may_cancel_a_held_order(api, admin, rules):
    sku, order = held(api, admin, rules)
    cancelled = api.post(f"/api/v1/orders/{order['order_no']}/cancel", headers={"X-Order-Token": order["token"]})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    wait_until(lambda: levels(admin, sku) == (3, 0, 0), message="the stock back")


def test_a_review_left_past_its_window_is_released(quick_review):
    api, admin = quick_review
    admin.put("/api/v1/admin/risk/rules", json=REVIEW_BIG)
    sku = card_product(admin, codes=3)
    order = buy(api, sku, quantity=2, contact=f"{unique('late')}@example.com").json()
    assert order["status"] == "review"
    done = wait_status(api, order, "rejected", timeout=15)
    assert done["reason"] == "not_accepted"
    wait_until(lambda: levels(admin, sku) == (3, 0, 0), message="the stock back")
    assert_error(admin.post(f"/api/v1/admin/risk/reviews/{order['order_no']}/approve", json={}), 409, "conflict")


def test_metrics_count_decisions_by_outcome_and_rule(api, admin, rules):
    rules({"quantity": [{"category": "*", "above": 1, "action": "reject"}]})
    sku = card_product(admin)
    buy(api, sku, quantity=2)
    buy(api, sku, quantity=1)
    body = api.get("/metrics").text
    assert 'kameng_risk_decisions_total{outcome="reject"}' in body
    assert 'kameng_risk_rules_fired_total{outcome="reject",rule="quantity"}' in body
    assert "kameng_risk_assessment_seconds_bucket" in body


def test_a_held_orders_payment_number_opens_nothing_until_it_is_approved(api, admin, rules, db):
    """The pay link is fixed at acceptance but not offered while risk holds the order: its number,
    opened or paid in the sandbox anyway, makes no intent (the order service says it is not
    payable), so no money can arrive for an order that might be rejected."""
    _, order = held(api, admin, rules)
    assert order_of(api, order)["payment"] is None
    (row,) = db('SELECT payment_no FROM "order".orders WHERE order_no = :o', o=order["order_no"])
    assert_error(api.post(f"/api/v1/payments/sandbox/{row['payment_no']}/pay"), 409, "conflict")
    assert api.get(f"/pay/{row['payment_no']}").status_code == 409
    assert db("SELECT count(*) AS n FROM payment.payments WHERE order_no = :o", o=order["order_no"]) == [{"n": 0}]
    approved = admin.post(f"/api/v1/admin/risk/reviews/{order['order_no']}/approve", json={})
    assert approved.status_code == 200, approved.text
    ready = wait_until(lambda: order_of(api, order)["payment"], message="the pay link offered")
    assert ready["payment_no"] == row["payment_no"]
