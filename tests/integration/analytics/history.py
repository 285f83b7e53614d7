"""A generated event history (issue 22's test): orders placed over four weeks, paid, completed,
refunded, rejected by risk, with product, cost and view events, as the services publish them;
and the figures counted directly from it, to hold the analytics reports against."""

import random
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from services.analytics.ingest import buyer_key
from services.common.envelope import isoformat
from services.common.testing import make_envelope

SHOP = ZoneInfo("Asia/Shanghai")
SKUS = [f"AN-{i:02d}" for i in range(20)]
CATEGORY = {sku: f"cat-{i % 5}" for i, sku in enumerate(SKUS)}
KNOWN = SKUS[:18]  # two SKUs the catalog never announced: their category is unknown ('')
CHANNELS = ["sandbox", "epay", "alipay", "wechat", "usdt", "wallet"]
START = datetime(2026, 11, 2, tzinfo=SHOP)  # a Monday, the shop's midnight
DAYS = 28


def env(type_, data, at):
    e = make_envelope(type_, **data)
    e["occurred_at"] = isoformat(at)
    return e


def generate(n_orders=10_000, seed=22):
    rnd = random.Random(seed)
    orders, events = [], []
    for i in range(n_orders):
        created = START + timedelta(seconds=rnd.randrange(DAYS * 86400))
        sku = rnd.choice(SKUS)
        quantity = rnd.randint(1, 3)
        agent = rnd.choice([None, None, None, 7, 8])
        o = {
            "order_no": f"AN{i:06d}",
            "created_at": created.astimezone(UTC),
            "sku": sku,
            "quantity": quantity,
            "amount": quantity * (100 + SKUS.index(sku) * 37),
            "channel": "wallet" if agent else rnd.choice(CHANNELS[:5]),
            "agent_id": agent if agent == 7 else None,
            "via_agent_id": agent if agent == 8 else None,
            "contact": f"buyer{rnd.randrange(3000)}@Example.com",
        }
        rejected = rnd.random() < 0.04
        o["risk_rejected"] = rejected
        o["risk_by_event"] = rejected and rnd.random() < 0.5  # else answered at creation (in the digest)
        o["paid"] = not rejected and rnd.random() < 0.7
        o["completed"] = o["paid"] and rnd.random() < 0.95
        o["refunded"] = o["paid"] and rnd.random() < 0.06
        orders.append(o)
    for start in range(0, n_orders, 400):  # the order service's digests
        chunk = orders[start : start + 400]
        items = [
            {
                "order_no": o["order_no"],
                "created_at": isoformat(o["created_at"]),
                "sku": o["sku"],
                "quantity": o["quantity"],
                "amount": o["amount"],
                "currency": "CNY",
                "channel": o["channel"],
                "agent_id": o["agent_id"],
                "via_agent_id": o["via_agent_id"],
                "buyer_id": None,
                "buyer": buyer_key(o["contact"]),
                "status": "pending",
                "risk_rejected": o["risk_rejected"] and not o["risk_by_event"],
            }
            for o in chunk
        ]
        events.append(("order", env("orders_placed", {"orders": items}, chunk[-1]["created_at"])))
    for o in orders:
        at = o["created_at"]
        if o["risk_by_event"]:
            events.append(("risk", env("risk_rejected", {"order_no": o["order_no"], "reasons": []}, at)))
        if o["paid"]:
            pay = {
                "order_no": o["order_no"],
                "payment_no": "P" + o["order_no"],
                "amount": o["amount"],
                "channel": o["channel"],
            }
            events.append(("payment", env("payment_succeeded", pay, at + timedelta(minutes=2))))
        if o["completed"]:
            done = {
                "order_no": o["order_no"],
                "contact": o["contact"],
                "sku": o["sku"],
                "quantity": o["quantity"],
                "amount": o["amount"],
                "currency": "CNY",
                "buyer_id": None,
                "agent_id": o["agent_id"],
                "via_agent_id": o["via_agent_id"],
                "payment_channel": o["channel"],
            }
            events.append(("order", env("order_completed", done, at + timedelta(minutes=3))))
        if o["refunded"]:
            back = {"order_no": o["order_no"], "sku": o["sku"], "quantity": o["quantity"], "amount": o["amount"]}
            events.append(("order", env("order_refunded", back, at + timedelta(hours=1))))
    for sku in KNOWN:
        product = {"sku": sku, "name": "old name", "category": "old", "price": "1.00"}
        events.append(("catalog", env("product_created", product, START - timedelta(days=3))))
        product = {**product, "name": f"Card {sku}", "category": CATEGORY[sku], "price": 100 + SKUS.index(sku) * 37}
        events.append(("catalog", env("product_updated", product, START - timedelta(days=1))))
    costs = defaultdict(lambda: [0, 0])
    for sku in SKUS[:15]:
        for _ in range(2):
            bought = rnd.randint(50, 200)
            cost = bought * (60 + SKUS.index(sku) * 20)
            costs[sku][0] += bought
            costs[sku][1] += cost
            data = {"sku": sku, "supplier_id": 1, "purchase_id": 1, "bought": bought, "imported": bought, "cost": cost}
            events.append(("supplier", env("stock_replenished", data, START)))
    views = Counter()
    for day in range(DAYS):
        at = START + timedelta(days=day, hours=rnd.randrange(24))
        counted = {sku: rnd.randint(1, 40) for sku in rnd.sample(SKUS, 6)}
        views.update(counted)
        events.append(("gateway", env("product_views_counted", {"views": counted, "at": isoformat(at)}, at)))
    rnd.shuffle(events)  # the broker promises no order across queues
    return orders, events, {"costs": dict(costs), "views": sum(views.values()), "views_by_sku": dict(views)}


def bounds():
    return {"since": START.date().isoformat(), "until": (START.date() + timedelta(days=DAYS - 1)).isoformat()}


def local(o):
    return o["created_at"].astimezone(SHOP)


def heatmap(orders):
    cells = defaultdict(lambda: {"orders": 0, "paid": 0, "sales": 0})
    for o in orders:
        t = local(o)
        c = cells[(t.isoweekday(), t.hour)]
        c["orders"] += 1
        c["paid"] += o["paid"]
        c["sales"] += o["amount"] if o["paid"] else 0
    return cells


def breakdown(orders, by):
    rows = defaultdict(lambda: {"orders": 0, "paid": 0, "sales": 0, "refunds": 0, "refund_amount": 0})
    for o in orders:
        key = {
            "sku": o["sku"],
            "category": CATEGORY[o["sku"]] if o["sku"] in KNOWN else "",
            "channel": o["channel"],
            "agent": str(o["agent_id"] or o["via_agent_id"] or ""),
        }[by]
        r = rows[key]
        r["orders"] += 1
        r["paid"] += o["paid"]
        r["sales"] += o["amount"] if o["paid"] else 0
        r["refunds"] += o["refunded"]
        r["refund_amount"] += o["amount"] if o["refunded"] else 0
    return dict(rows)


def kept(o):
    return o["paid"] and not o["refunded"]


def margin(orders, costs):
    units, revenue = Counter(), Counter()
    for o in orders:
        if kept(o):
            units[o["sku"]] += o["quantity"]
            revenue[o["sku"]] += o["amount"]
    lines = {}
    for sku in SKUS:
        bought, cost = costs.get(sku, (0, 0))
        line_cost = units[sku] * cost // bought if bought else None
        lines[sku] = {"units": units[sku], "revenue": revenue[sku], "cost": line_cost}
    return lines


def repeat(orders):
    paid = Counter(o["contact"].lower() for o in orders if o["paid"])
    return {"buyers": len(paid), "repeat_buyers": sum(1 for n in paid.values() if n >= 2)}


def in_days(orders, first: date, last: date):
    return [o for o in orders if first <= local(o).date() <= last]
