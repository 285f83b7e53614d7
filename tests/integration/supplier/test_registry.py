"""The registry's rules on real PostgreSQL: a qualification that runs out disables its supplier
once (audited, announced, even with two replicas at it), the gauges follow, and a SKU's usable
suppliers come best first."""

from datetime import timedelta

import eventlet
from prometheus_client import REGISTRY
from sqlalchemy import select, text

from services.common.db import transaction
from services.common.testing import unique, wait_until
from services.supplier import qualification, registry
from services.supplier.models import Sourcing, Supplier, metadata

OUTBOX = metadata.tables["supplier.outbox"]
AUDIT = metadata.tables["supplier.audit"]
TODAY = registry.today()


def a_supplier(engine, status="approved", enabled=True, days=30, **fields):
    with transaction(engine, metadata) as s:
        supplier = Supplier(
            name=unique("sup"),
            contact="ops@up.example",
            status=status,
            enabled=enabled,
            valid_until=None if days is None else TODAY + timedelta(days=days),
            **fields,
        )
        s.add(supplier)
        s.flush()
        return supplier.id, supplier.name


def events(s, supplier_id):
    rows = s.execute(select(OUTBOX.c.envelope).where(OUTBOX.c.type == "supplier_availability_changed")).scalars()
    return [e["data"] for e in rows if e["data"]["supplier_id"] == supplier_id]


def audit(s, supplier_id):
    rows = s.execute(select(AUDIT.c.actor, AUDIT.c.action).where(AUDIT.c.subject == str(supplier_id)))
    return [tuple(r) for r in rows]


def test_a_supplier_past_its_qualification_is_disabled_once_audited_and_announced(engine, caplog):
    expired, name = a_supplier(engine, days=-1)
    valid, _ = a_supplier(engine, days=0)  # its last day: still valid
    with transaction(engine, metadata) as s:
        assert expired in qualification.expire(s, TODAY)
    with transaction(engine, metadata) as s:
        assert s.get(Supplier, expired).enabled is False and s.get(Supplier, valid).enabled is True
        assert events(s, expired) == [{"supplier_id": expired, "usable": False}] and events(s, valid) == []
        assert audit(s, expired) == [("qualification-expiry", "supplier.qualification_expired")]
        assert s.get(Supplier, expired).status == "approved"  # a renewal (approve) and enable bring it back
    assert any(name in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)
    with transaction(engine, metadata) as s:  # the next tick: nothing more
        assert expired not in qualification.expire(s, TODAY)
    with transaction(engine, metadata) as s:
        assert len(events(s, expired)) == 1 and len(audit(s, expired)) == 1


def lock_waits(engine):
    with engine.connect() as conn:
        query = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        return conn.execute(text(query)).scalar()


def test_two_replicas_expiring_at_once_disable_a_supplier_once(engine):
    expired, _ = a_supplier(engine, days=-2)
    first_holds, done = eventlet.event.Event(), eventlet.event.Event()
    found = {}

    def replica(label, hold):
        with transaction(engine, metadata) as s:
            found[label] = qualification.expire(s, TODAY)
            if hold:
                first_holds.send()
                done.wait()  # holds its row locks until the other has started waiting on them

    first = eventlet.spawn(replica, "first", True)
    first_holds.wait()
    second = eventlet.spawn(replica, "second", False)
    wait_until(lambda: lock_waits(engine), message="the second replica to wait for the first one's row lock")
    assert "second" not in found
    done.send()
    first.wait()
    second.wait()
    assert expired in found["first"] and expired not in found["second"]
    with transaction(engine, metadata) as s:
        assert len(events(s, expired)) == 1 and len(audit(s, expired)) == 1


def test_the_gauges_say_days_left_and_enabled(engine):
    soon_name, _ = a_supplier(engine, days=5)  # every supplier metric is labelled by the supplier's id
    past_name, _ = a_supplier(engine, enabled=False, days=-3)
    pending_name, _ = a_supplier(engine, status="pending", enabled=False, days=None)
    with transaction(engine, metadata) as s:
        qualification.report(s, TODAY)

    def sample(metric, name):
        return REGISTRY.get_sample_value(metric, {"supplier": str(name)})

    days = "kameng_supplier_qualification_expires_in_days"
    assert sample(days, soon_name) == 5 and sample(days, past_name) == -3 and sample(days, pending_name) is None
    assert sample("kameng_supplier_enabled", soon_name) == 1 and sample("kameng_supplier_enabled", past_name) == 0
    assert sample("kameng_supplier_enabled", pending_name) == 0


def test_candidates_are_the_usable_suppliers_by_priority_then_cost(engine):
    sku = unique("SKU")
    cheap, _ = a_supplier(engine)
    dear, _ = a_supplier(engine)
    first, _ = a_supplier(engine)
    unusable = [
        a_supplier(engine, enabled=False)[0],
        a_supplier(engine, status="suspended", enabled=False)[0],
        a_supplier(engine, days=-1)[0],  # past, not yet disabled by the timer
        a_supplier(engine)[0],  # its mapping is disabled
    ]
    with transaction(engine, metadata) as s:
        for supplier_id, priority, cost in [(dear, 10, 900), (cheap, 10, 800), (first, 1, 1000)]:
            s.add(
                Sourcing(supplier_id=supplier_id, sku=sku, supplier_product_id="p", cost_price=cost, priority=priority)
            )
        for supplier_id in unusable:
            s.add(Sourcing(supplier_id=supplier_id, sku=sku, supplier_product_id="p", cost_price=1, priority=0))
        s.flush()
        s.get(Sourcing, (unusable[-1], sku)).enabled = False
    with transaction(engine, metadata) as s:
        assert [supplier.id for supplier, _ in registry.candidates(s, sku, TODAY)] == [first, cheap, dear]
        refusals = [registry.refusal(s.get(Supplier, i), TODAY) for i in unusable]
        assert refusals == [registry.DISABLED, registry.NOT_APPROVED, registry.EXPIRED, None]
