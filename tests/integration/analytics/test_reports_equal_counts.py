"""Issue 22: the analytics figures equal a direct count over a generated history of 10,000 orders
(with their payments, completions, refunds, risk rejections, product, cost and view events),
applied through the consumer's own functions (`ingest.consume`, the batched handlers' body) in a
shuffled order, with every event's inbox row, on the real PostgreSQL. Replaying the raw log
rebuilds the same figures."""

import os
import subprocess
import sys
from collections import defaultdict
from datetime import date

import pytest
from sqlalchemy import text

from services.analytics import ingest, models, replay, reports
from services.common import inbox
from services.common.db import transaction
from tests.integration.analytics import history

TABLES = ("events", "orders", "products", "views", "costs", "inbox")


@pytest.fixture
def fed(engine):
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE " + ", ".join(f"analytics.{t}" for t in TABLES)))
    orders, events, extra = history.generate()
    inbox_table = models.metadata.tables["analytics.inbox"]
    for start in range(0, len(events), 50):  # batches as the batched handlers take them
        batch = defaultdict(list)
        for source, env in events[start : start + 50]:
            batch[source].append(env)
        with transaction(engine, models.metadata) as s:
            for source, envs in batch.items():
                fresh = inbox.claim_all(s, inbox_table, f"analytics.{source}", envs)
                ingest.consume(s, source, fresh)
    return orders, events, extra


def report(engine, name, *args, bounds=None):
    with transaction(engine, models.metadata) as s:
        return getattr(reports, name)(s, *args, bounds or history.bounds())


def check_all(engine, orders, extra):
    assert len(orders) >= 10_000
    heat = report(engine, "heatmap")
    expected = history.heatmap(orders)
    assert len(heat["cells"]) == 7 * 24
    for c in heat["cells"]:
        want = expected.get((c["dow"], c["hour"]), {"orders": 0, "paid": 0, "sales": 0})
        assert (c["orders"], c["paid"], c["sales"]) == (want["orders"], want["paid"], want["sales"]), c
    top = max(expected.items(), key=lambda kv: (kv[1]["orders"], kv[1]["sales"], -kv[0][0], -kv[0][1]))
    assert (heat["peak"]["dow"], heat["peak"]["hour"]) == top[0]
    assert sum(c["orders"] for c in heat["cells"]) == len(orders)

    for by in reports.DIMENSIONS:
        got = {
            r["key"]: {k: r[k] for k in ("orders", "paid", "sales", "refunds", "refund_amount")}
            for r in report(engine, "breakdown", by)["items"]
        }
        assert got == history.breakdown(orders, by), by

    funnel = report(engine, "funnel")
    assert funnel["views"] == extra["views"]
    assert funnel["orders"] == len(orders)
    assert funnel["paid"] == sum(o["paid"] for o in orders)
    assert funnel["completed"] == sum(o["completed"] for o in orders)

    assert {
        k: v for k, v in report(engine, "repeat_buyers").items() if k in ("buyers", "repeat_buyers")
    } == history.repeat(orders)

    expected_margin = history.margin(orders, extra["costs"])
    margin = report(engine, "margin")
    for line in margin["items"]:
        want = expected_margin[line["sku"]]
        assert (line["units"], line["revenue"], line["cost"]) == (want["units"], want["revenue"], want["cost"]), line
        if line["cost"] is not None:
            assert line["margin"] == line["revenue"] - line["cost"]
    assert {line["sku"] for line in margin["items"]} == set(history.SKUS)
    rates = [line["margin_bp"] for line in margin["items"] if line["margin_bp"] is not None]
    assert rates == sorted(rates, reverse=True)  # best margin first: what to stock more of

    rr = report(engine, "refunds_risk")
    assert rr["refunds"] == sum(o["refunded"] for o in orders)
    assert rr["refund_amount"] == sum(o["amount"] for o in orders if o["refunded"])
    assert rr["risk_rejected"] == sum(o["risk_rejected"] for o in orders)

    slow = report(engine, "slow_sellers")["items"]
    units = {sku: line["units"] for sku, line in expected_margin.items()}
    assert [row["units"] for row in slow] == sorted(units.values())
    assert {row["sku"]: row["units"] for row in slow} == units
    assert {row["sku"]: row["views"] for row in slow} == {s: extra["views_by_sku"].get(s, 0) for s in history.SKUS}

    # one week only: the period bounds are the shop's days
    week = {"since": "2026-11-09", "until": "2026-11-15"}
    few = history.in_days(orders, date(2026, 11, 9), date(2026, 11, 15))
    assert report(engine, "funnel", bounds=week)["orders"] == len(few) > 0


def test_reports_equal_a_direct_count_over_ten_thousand_orders(engine, fed):
    orders, _, extra = fed
    check_all(engine, orders, extra)


def test_the_raw_log_keeps_each_event_once_without_contacts_and_a_replay_rebuilds_the_reports(engine, fed):
    orders, events, extra = fed
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM analytics.events")).scalar_one() == len(events)
        assert (
            conn.execute(
                text("SELECT count(*) FROM analytics.events WHERE envelope::text ILIKE '%example.com%'")
            ).scalar_one()
            == 0
        )
    # a second delivery of every event changes nothing (the inbox)
    inbox_table = models.metadata.tables["analytics.inbox"]
    with transaction(engine, models.metadata) as s:
        source, env = events[0]
        assert inbox.claim_all(s, inbox_table, f"analytics.{source}", [env]) == []
    # the reporting tables wrecked, then rebuilt from the log alone
    with engine.begin() as conn:
        conn.execute(text("UPDATE analytics.orders SET paid_amount = 1, sku = 'X'"))
        conn.execute(text("DELETE FROM analytics.products"))
    with transaction(engine, models.metadata) as s:
        assert replay.replay(s) == {"events": len(events)}
    check_all(engine, orders, extra)


def test_the_replay_command_rebuilds_the_reports(engine, fed, database_url):
    orders, events, extra = fed
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE analytics.orders, analytics.views"))
    done = subprocess.run(
        [sys.executable, "-m", "services.analytics.replay"],
        env={**os.environ, "KAMENG_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stdout.strip() == f"replayed {len(events)} events"
    check_all(engine, orders, extra)
