"""Direct recharge with failover (services/supplier/recharge.py, circuit.py), through the real
broker, database and gateway, against supplier simulators (real HTTP servers): failover on a
failure and on a timeout, an unknown outcome queried before anyone else is asked, a double callback
counted once, the circuit opening and closing, unusable suppliers never asked."""

import json
from datetime import timedelta

import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy
from prometheus_client import REGISTRY
from sqlalchemy.exc import IntegrityError

from services.common.db import transaction
from services.common.testing import unique, wait_until
from services.supplier import models, registry
from tests.integration.supplier.recharging import (  # noqa: F401 -- fixtures
    add_supplier,
    attempts,
    circuit,
    ended,
    events,
    recharge,
    sims,
    start,
    system,
)


def test_a_failure_fails_over_to_the_next_supplier(system, sims, engine, db):
    first, second = sims(), sims()
    first.script(recharge=["fail"])
    sku = unique("RC")
    a = add_supplier(engine, first, sku, priority=1)
    b = add_supplier(engine, second, sku, priority=2)
    order_no = start(system, sku)
    ended(db, order_no, "succeeded")
    tried = attempts(db, order_no)
    assert [(t["supplier_id"], t["status"]) for t in tried] == [(a, "failed"), (b, "succeeded")]
    assert [o["recharged"] for o in first.orders().values()] == [0]
    assert [o["recharged"] for o in second.orders().values()] == [1]
    assert list(second.orders()) == [tried[1]["attempt_id"]]  # the attempt id is the order id it sees
    assert events(db, "supplier", order_no).count("recharge_succeeded") == 1
    wait_until(lambda: events(db, "delivery", order_no) == ["delivery_completed"], message="delivery recorded")
    assert metric("kameng_supplier_attempts_total", supplier=str(a), kind="recharge", outcome="failed") == 1
    assert metric("kameng_supplier_attempts_total", supplier=str(b), kind="recharge", outcome="succeeded") == 1
    assert metric("kameng_supplier_spend_minor_total", supplier=str(b), kind="recharge") == 4000  # cost x 1
    assert metric("kameng_supplier_call_seconds_count", supplier=str(a), kind="recharge") == 1


def metric(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0


def test_a_timeout_is_queried_first_and_found_failed_then_fails_over(system, sims, engine, db):
    first, second = sims(), sims()
    first.script(recharge=["timeout_failed"])  # the answer held past our timeout; the order failed there
    sku = unique("RC")
    add_supplier(engine, first, sku, priority=1)
    add_supplier(engine, second, sku, priority=2)
    order_no = start(system, sku)
    ended(db, order_no, "succeeded")
    unknown, done = attempts(db, order_no)
    assert unknown["status"] == "failed" and unknown["queries"] >= 1
    assert unknown["last_queried_at"] < done["started_at"]  # settled by a query before the next supplier
    assert [o["recharged"] for o in second.orders().values()] == [1]


def test_an_error_is_queried_and_a_recharge_never_received_fails_over(system, sims, engine, db):
    first, second = sims(), sims()
    first.script(recharge=["error"])  # HTTP 500: unknown to us; the query finds it never taken
    sku = unique("RC")
    add_supplier(engine, first, sku, priority=1)
    add_supplier(engine, second, sku, priority=2)
    order_no = start(system, sku)
    ended(db, order_no, "succeeded")
    unknown, done = attempts(db, order_no)
    assert unknown["status"] == "failed" and unknown["queries"] >= 1 and done["status"] == "succeeded"


def test_an_unknown_outcome_that_succeeded_charges_no_second_supplier(system, sims, engine, db):
    first, second = sims(), sims()
    first.script(recharge=["timeout"])  # recharged there, but the answer is held past our timeout
    sku = unique("RC")
    add_supplier(engine, first, sku, priority=1)
    add_supplier(engine, second, sku, priority=2)
    order_no = start(system, sku)
    ended(db, order_no, "succeeded")
    [only] = attempts(db, order_no)
    assert only["status"] == "succeeded" and only["queries"] >= 1
    assert second.orders() == {} and [o["recharged"] for o in first.orders().values()] == [1]


def test_a_second_callback_counts_once(system, sims, engine, db):
    sim = sims()
    sim.script(recharge=["callback_twice"])
    sku = unique("RC")
    add_supplier(engine, sim, sku)
    order_no = start(system, sku)
    ended(db, order_no, "succeeded")
    wait_until(lambda: attempts(db, order_no)[0]["callbacks"] == 2, message="both callbacks received")
    [only] = attempts(db, order_no)
    assert only["supplier_order_id"] == sim.orders()[only["attempt_id"]]["supplier_order_id"]
    assert events(db, "supplier", order_no).count("recharge_succeeded") == 1
    wait_until(lambda: events(db, "delivery", order_no) == ["delivery_completed"], message="delivered once")


def test_a_recharge_failing_everywhere_is_announced_failed(system, sims, engine, db):
    first, second = sims(), sims()
    first.script(recharge=["fail"])
    second.script(recharge=["fail_later"])  # taken, then a failed callback
    sku = unique("RC")
    add_supplier(engine, first, sku, priority=1)
    add_supplier(engine, second, sku, priority=2)
    order_no = start(system, sku)
    assert ended(db, order_no, "failed")["reason"] == "all_suppliers_failed"
    assert [t["status"] for t in attempts(db, order_no)] == ["failed", "failed"]
    assert events(db, "supplier", order_no).count("recharge_failed") == 1
    wait_until(lambda: events(db, "delivery", order_no) == ["delivery_failed"], message="the failure recorded")


def test_the_circuit_opens_after_failures_and_closes_after_a_good_probe(system, sims, engine, db):
    flaky, steady = sims(), sims()
    flaky.default(recharge="fail", ping="fail")
    sku = unique("RC")
    a = add_supplier(engine, flaky, sku, priority=1)
    add_supplier(engine, steady, sku, priority=2)
    for _ in range(2):  # SUPPLIER_CIRCUIT_FAILURES
        ended(db, start(system, sku), "succeeded")
    assert circuit(db, a)["circuit"] == "open"
    wait_until(lambda: metric("kameng_supplier_circuit_state", supplier=str(a)) == 2, message="the gauge: open")
    third = start(system, sku)
    ended(db, third, "succeeded")
    assert len(attempts(db, third)) == 1 and len(flaky.orders()) == 2  # out of rotation: not asked
    opened = opened_at(db, a)
    # a probe takes the circuit half open (its lease moves opened_at), fails, and opens it again
    wait_until(
        lambda: (circuit(db, a)["circuit"] == "open" and opened_at(db, a) > opened) or None,
        timeout=10,
        message="a failed probe",
    )
    flaky.default(recharge="succeed", ping="ok")
    wait_until(lambda: circuit(db, a) == {"circuit": "closed", "failures": 0}, timeout=10, message="closed")
    assert metric("kameng_supplier_circuit_state", supplier=str(a)) == 0
    again = start(system, sku)
    ended(db, again, "succeeded")
    assert [t["supplier_id"] for t in attempts(db, again)] == [a]


def first(db, order_no):
    """The order's first attempt ({} until it is made)."""
    return next(iter(attempts(db, order_no)), {})


def opened_at(db, supplier_id):
    return db("SELECT opened_at FROM supplier.suppliers WHERE id = :i", i=supplier_id)[0]["opened_at"]


def test_unqualified_expired_or_disabled_suppliers_are_never_asked(system, sims, engine, db):
    sku = unique("RC")
    unusable = [sims() for _ in range(4)]
    add_supplier(engine, unusable[0], sku, priority=1, status="pending", enabled=False)
    add_supplier(engine, unusable[1], sku, priority=1, status="suspended", enabled=False)
    add_supplier(engine, unusable[2], sku, priority=1, valid_until=registry.today() - timedelta(days=1))
    add_supplier(engine, unusable[3], sku, priority=1, enabled=False)
    order_no = start(system, sku)
    assert ended(db, order_no, "failed")["reason"] == "no_supplier"
    good = sims()
    add_supplier(engine, good, sku, priority=2)
    ended(db, start(system, sku), "succeeded")
    assert all(sim.orders() == {} for sim in unusable) and len(good.orders()) == 1


def test_the_sweepers_question_fences_a_recharge_never_handed_over(system):
    order_no = unique("KRC").replace("-", "").upper()
    data = {"order_no": order_no, "sku": "RC", "quantity": 1, "recharge_account": "13800000000"}
    with ClusterRpcProxy(system) as cluster:
        assert cluster.supplier.recharge_status(order_no) == "failed"
        assert cluster.supplier.start_recharge(data) == {"status": "failed", "reason": "never_started"}


def test_a_recharge_held_by_a_silent_supplier_is_unknown_to_the_sweeper(system, sims, engine, db):
    sim = sims(hold_s=30.0)
    sim.script(recharge=["timeout"])
    sku = unique("RC")
    add_supplier(engine, sim, sku)
    order_no = start(system, sku)
    with ClusterRpcProxy(system) as cluster:
        assert cluster.supplier.recharge_status(order_no) == "trying"  # the call under way
        wait_until(lambda: first(db, order_no).get("status") == "unknown", message="the call timed out")
        sim.server.stop()  # and no query can reach it
        wait_until(lambda: first(db, order_no)["queries"] >= 2, message="queried in vain")
        assert cluster.supplier.recharge_status(order_no) == "unknown"
    assert recharge(db, order_no)["status"] == "trying"


def test_a_callback_that_does_not_verify_is_refused_and_changes_nothing(system, sims, engine, db):
    sim = sims()
    sim.script(recharge=["no_callback"])
    sku = unique("RC")
    supplier_id = add_supplier(engine, sim, sku)
    order_no = start(system, sku)
    wait_until(lambda: attempts(db, order_no) and sim.orders(), message="the order at the supplier")
    attempt_id = attempts(db, order_no)[0]["attempt_id"]
    body = json.dumps({"order_id": attempt_id, "supplier_order_id": "X", "status": "failed"}).encode()
    url = f"{system['BASE_URL']}/api/v1/supplier/callback/{supplier_id}"
    forged = requests.post(url, data=body, headers={"X-App-Id": "sim-app", "X-Sign": "0" * 64}, timeout=5)
    assert forged.status_code == 400 and forged.json()["error"]["code"] == "validation_error"
    ended(db, order_no, "succeeded")  # found by a query; the forged failure changed nothing
    assert attempts(db, order_no)[0]["callbacks"] == 0


def test_the_database_refuses_a_second_open_attempt_of_an_order(sims, engine):
    supplier_id, order_no = add_supplier(engine, sims(), unique("RC")), unique("KRC")
    with transaction(engine, models.metadata) as s:
        s.add(models.Recharge(order_no=order_no, sku="RC", account="138", quantity=1))
        s.flush()
        s.add(
            models.Attempt(attempt_id=unique("a"), order_no=order_no, supplier_id=supplier_id, seq=1, status="failed")
        )
        s.add(
            models.Attempt(attempt_id=unique("a"), order_no=order_no, supplier_id=supplier_id, seq=2, status="unknown")
        )
    with pytest.raises(IntegrityError), transaction(engine, models.metadata) as s:
        s.add(
            models.Attempt(attempt_id=unique("a"), order_no=order_no, supplier_id=supplier_id, seq=3, status="pending")
        )
