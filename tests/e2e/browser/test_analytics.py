"""The analytics console page in a real browser (Chromium through Playwright): orders placed at
known hours reach the analytics service as the order service's digest event (through the broker),
and the hour-of-week heatmap, drawn as server-rendered SVG, marks the busiest hour as the peak,
in Chinese and in English."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from nameko.standalone.events import event_dispatcher
from playwright.sync_api import expect

from services.common.envelope import isoformat
from services.common.testing import make_envelope, unique, wait_until
from tests.e2e.browser.helpers import shoot
from tests.e2e.browser.test_scenarios import signed_in_console

SHOP = ZoneInfo("Asia/Shanghai")
WEEK = "since=2025-01-06&until=2025-01-12"  # Monday to Sunday, long before any other test's orders


def placed(order_no, at, amount=990):
    return {
        "order_no": order_no,
        "created_at": isoformat(at),
        "sku": "HEAT-1",
        "quantity": 1,
        "amount": amount,
        "currency": "CNY",
        "channel": "sandbox",
        "agent_id": None,
        "via_agent_id": None,
        "buyer_id": None,
        "buyer": order_no,
        "status": "pending",
        "risk_rejected": False,
    }


def test_the_heatmap_marks_the_busiest_hour_of_the_week(config, new_context, api, db):
    tag = unique("H")
    busy = [placed(f"{tag}-W{i}", datetime(2025, 1, 8, 21, 5 + i, tzinfo=SHOP)) for i in range(4)]  # Wed 21:00
    quiet = [placed(f"{tag}-M", datetime(2025, 1, 6, 9, 30, tzinfo=SHOP))]  # Mon 09:00
    dispatch = event_dispatcher(config)
    dispatch("order", "orders_placed", make_envelope("orders_placed", orders=busy + quiet))
    for o in busy[:2]:  # two of them paid
        paid = {"order_no": o["order_no"], "payment_no": "P" + o["order_no"], "amount": 990, "channel": "sandbox"}
        dispatch("payment", "payment_succeeded", make_envelope("payment_succeeded", **paid))
    wait_until(
        lambda: (
            db(
                "SELECT count(*) AS n, count(paid_at) AS paid FROM analytics.orders WHERE order_no LIKE :t",
                t=f"{tag}-%",
            )[0]
            == {"n": 5, "paid": 2}
        ),
        timeout=15,
        message="the digest in the analytics service",
    )

    page = signed_in_console(new_context, api)
    page.goto(f"/admin/analytics?{WEEK}")
    cells = page.locator("#heatmap svg rect.cell")
    expect(cells).to_have_count(168)
    peak = page.locator("#peak-cell")
    expect(peak).to_have_attribute("data-dow", "3")
    expect(peak).to_have_attribute("data-hour", "21")
    expect(peak).to_have_attribute("data-orders", "4")
    expect(page.locator('rect.cell[data-dow="1"][data-hour="9"]')).to_have_attribute("data-orders", "1")
    expect(page.locator("#peak")).to_contain_text("周三 21:00")
    expect(page.locator("#peak")).to_contain_text("¥19.80")
    shoot(page, "admin-analytics-heatmap")

    page.goto("/admin/analytics?lang=en")  # the language is kept; the period is asked again
    page.goto(f"/admin/analytics?{WEEK}")
    expect(page.locator("#peak")).to_contain_text(re.compile(r"Peak: Wed 21:00, 4 orders"))
    csv = page.locator('#heatmap a[href^="/api/v1/admin/analytics/heatmap.csv"]')
    expect(csv).to_have_attribute("href", re.compile(r"since=2025-01-06&until=2025-01-12"))
