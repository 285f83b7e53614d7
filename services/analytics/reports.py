"""The reports (issue 22), read from the analytics tables only. Periods are the shop's days
(Asia/Shanghai): `since` and `until` are dates, both included. An order counts in the period
(and in the hour of the week) it was placed in; its payment, completion and refund are counted
with it. Money is integer fen.

- heatmap: orders, paid orders and sales per (ISO weekday 1-7, hour 0-23), and the peak cell;
- breakdown by sku, category, channel or agent: orders, paid, sales, refunds;
- funnel: product views, orders, paid, completed;
- repeat buyers: buyers with a paid order, and those with two or more;
- margin: per SKU (and category) units sold and kept, revenue, supplier cost, margin;
- refunds and risk rejections;
- slow sellers: the catalog's SKUs that sold least (淘汰低效商品).
"""

from datetime import date, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from services.common.errors import InvalidInput

TZ = "Asia/Shanghai"
DIMENSIONS = ("sku", "category", "channel", "agent")
MAX_DAYS = 366
PERIOD = f"""o.created_at >= (CAST(:since AS date)::timestamp AT TIME ZONE '{TZ}')
         AND o.created_at < ((CAST(:until AS date) + 1)::timestamp AT TIME ZONE '{TZ}')"""
KEPT = "o.paid_at IS NOT NULL AND o.refunded_at IS NULL"  # paid and not given back


def period(since: str | None, until: str | None, today: date) -> dict[str, str]:
    """The bounds as ISO dates; the last 30 days by default; refused when upside down or too long."""
    try:
        end = date.fromisoformat(until) if until else today
        start = date.fromisoformat(since) if since else end - timedelta(days=29)
    except (ValueError, OverflowError) as exc:  # not a date, or 29 days before 0001-01-01
        raise InvalidInput("dates are YYYY-MM-DD", {"since": since, "until": until}) from exc
    if start > end or (end - start).days >= MAX_DAYS:
        raise InvalidInput(f"since must be on or before until, at most {MAX_DAYS} days", {})
    return {"since": start.isoformat(), "until": end.isoformat()}


def _rows(session: Session, sql: str, bounds: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(r) for r in session.execute(text(sql), bounds).mappings()]


def heatmap(session: Session, bounds: dict[str, str]) -> dict[str, Any]:
    found = {
        (r["dow"], r["hour"]): r
        for r in _rows(
            session,
            f"""SELECT extract(isodow FROM o.created_at AT TIME ZONE '{TZ}')::int AS dow,
                       extract(hour FROM o.created_at AT TIME ZONE '{TZ}')::int AS hour,
                       count(*) AS orders, count(o.paid_at) AS paid, coalesce(sum(o.paid_amount), 0)::bigint AS sales
                FROM analytics.orders o WHERE {PERIOD} GROUP BY 1, 2""",
            bounds,
        )
    }
    cells = []
    for dow in range(1, 8):
        for hour in range(24):
            r = found.get((dow, hour), {})
            cells.append(
                {
                    "dow": dow,
                    "hour": hour,
                    "orders": r.get("orders", 0),
                    "paid": r.get("paid", 0),
                    "sales": r.get("sales", 0),
                }
            )
    peak = max(cells, key=lambda c: (c["orders"], c["sales"], -c["dow"], -c["hour"]))  # the busiest hour
    return {**bounds, "cells": cells, "peak": peak if peak["orders"] else None}


KEYS = {
    "sku": "coalesce(o.sku, '')",
    "category": "coalesce(p.category, '')",
    "channel": "coalesce(o.channel, '')",
    "agent": "coalesce(CAST(coalesce(o.agent_id, o.via_agent_id) AS text), '')",
}


def breakdown(session: Session, by: str, bounds: dict[str, str]) -> dict[str, Any]:
    if by not in KEYS:
        raise InvalidInput("no such breakdown", {"by": by, "choices": list(DIMENSIONS)})
    rows = _rows(
        session,
        f"""SELECT {KEYS[by]} AS key, count(*) AS orders, count(o.paid_at) AS paid,
                   coalesce(sum(o.paid_amount), 0)::bigint AS sales,
                   count(o.refunded_at) AS refunds, coalesce(sum(o.refund_amount), 0)::bigint AS refund_amount
            FROM analytics.orders o LEFT JOIN analytics.products p ON p.sku = o.sku
            WHERE {PERIOD} GROUP BY 1 ORDER BY sales DESC, orders DESC, key""",
        bounds,
    )
    return {**bounds, "by": by, "items": rows}


def funnel(session: Session, bounds: dict[str, str]) -> dict[str, Any]:
    views = session.execute(
        text(
            f"""SELECT coalesce(sum(views), 0)::bigint FROM analytics.views
                WHERE hour >= (CAST(:since AS date)::timestamp AT TIME ZONE '{TZ}')
                  AND hour < ((CAST(:until AS date) + 1)::timestamp AT TIME ZONE '{TZ}')"""
        ),
        bounds,
    ).scalar_one()
    row = _rows(
        session,
        f"""SELECT count(*) AS orders, count(o.paid_at) AS paid, count(o.completed_at) AS completed
            FROM analytics.orders o WHERE {PERIOD}""",
        bounds,
    )[0]
    return {**bounds, "views": views, **row}


def repeat_buyers(session: Session, bounds: dict[str, str]) -> dict[str, Any]:
    row = _rows(
        session,
        f"""SELECT count(*) AS buyers, count(*) FILTER (WHERE n >= 2) AS repeat_buyers FROM (
                SELECT o.buyer, count(*) AS n FROM analytics.orders o
                WHERE {PERIOD} AND o.paid_at IS NOT NULL AND o.buyer IS NOT NULL GROUP BY o.buyer) b""",
        bounds,
    )[0]
    return {**bounds, **row}


MARGIN = f"""SELECT o.sku, max(p.name) AS name, max(p.category) AS category,
                    coalesce(sum(o.quantity) FILTER (WHERE {KEPT}), 0)::bigint AS units,
                    coalesce(sum(o.paid_amount) FILTER (WHERE {KEPT}), 0)::bigint AS revenue,
                    max(c.bought) AS bought, max(c.cost) AS bought_cost
             FROM analytics.orders o LEFT JOIN analytics.products p ON p.sku = o.sku
                  LEFT JOIN analytics.costs c ON c.sku = o.sku
             WHERE {PERIOD} AND o.sku IS NOT NULL GROUP BY o.sku"""


def _margin_line(r: dict[str, Any]) -> dict[str, Any]:
    """Cost = units kept x the SKU's average replenishment unit cost (unknown without purchases)."""
    known = bool(r["bought"])
    cost = (r["units"] * r["bought_cost"]) // r["bought"] if known else None
    margin = r["revenue"] - cost if cost is not None else None
    return {
        "sku": r["sku"],
        "name": r["name"],
        "category": r["category"],
        "units": r["units"],
        "revenue": r["revenue"],
        "unit_cost": r["bought_cost"] // r["bought"] if known else None,
        "cost": cost,
        "margin": margin,
        "margin_bp": (margin * 10000) // r["revenue"] if margin is not None and r["revenue"] else None,
    }


def margin(session: Session, bounds: dict[str, str]) -> dict[str, Any]:
    """SKUs by margin rate, best first (引入高利润新品: which kinds earn most), and per category."""
    items = [_margin_line(r) for r in _rows(session, MARGIN, bounds)]
    items.sort(key=lambda i: (i["margin_bp"] is None, -(i["margin_bp"] or 0), -i["revenue"], i["sku"]))
    categories: dict[str, dict[str, Any]] = {}
    for i in items:
        if i["cost"] is None:
            continue
        c = categories.setdefault(i["category"] or "", {"category": i["category"] or "", "revenue": 0, "cost": 0})
        c["revenue"] += i["revenue"]
        c["cost"] += i["cost"]
    by_category = []
    for c in categories.values():
        m = c["revenue"] - c["cost"]
        by_category.append({**c, "margin": m, "margin_bp": (m * 10000) // c["revenue"] if c["revenue"] else None})
    by_category.sort(key=lambda c: (-(c["margin_bp"] or 0), c["category"]))
    return {**bounds, "items": items, "categories": by_category}


def refunds_risk(session: Session, bounds: dict[str, str]) -> dict[str, Any]:
    rows = _rows(
        session,
        f"""SELECT coalesce(o.sku, '') AS sku, count(*) AS orders, count(o.refunded_at) AS refunds,
                   coalesce(sum(o.refund_amount), 0)::bigint AS refund_amount,
                   count(*) FILTER (WHERE o.risk_rejected) AS risk_rejected
            FROM analytics.orders o WHERE {PERIOD} GROUP BY 1
            HAVING count(o.refunded_at) > 0 OR count(*) FILTER (WHERE o.risk_rejected) > 0
            ORDER BY refunds DESC, risk_rejected DESC, sku""",
        bounds,
    )
    totals = {
        "refunds": sum(r["refunds"] for r in rows),
        "refund_amount": sum(r["refund_amount"] for r in rows),
        "risk_rejected": sum(r["risk_rejected"] for r in rows),
    }
    return {**bounds, **totals, "items": rows}


def slow_sellers(session: Session, bounds: dict[str, str], limit: int = 50) -> dict[str, Any]:
    """The SKUs the catalog announced (and any seen in orders) by units kept, fewest first, with
    their views: candidates to retire (淘汰低效商品)."""
    rows = _rows(
        session,
        f"""WITH sold AS (
                SELECT o.sku, coalesce(sum(o.quantity) FILTER (WHERE {KEPT}), 0)::bigint AS units,
                       coalesce(sum(o.paid_amount) FILTER (WHERE {KEPT}), 0)::bigint AS revenue, count(*) AS orders
                FROM analytics.orders o WHERE {PERIOD} AND o.sku IS NOT NULL GROUP BY o.sku),
            seen AS (
                SELECT sku, sum(views)::bigint AS views FROM analytics.views
                WHERE hour >= (CAST(:since AS date)::timestamp AT TIME ZONE '{TZ}')
                  AND hour < ((CAST(:until AS date) + 1)::timestamp AT TIME ZONE '{TZ}') GROUP BY sku),
            skus AS (SELECT sku FROM analytics.products UNION SELECT sku FROM sold)
            SELECT k.sku, p.name, p.category, coalesce(s.orders, 0) AS orders, coalesce(s.units, 0) AS units,
                   coalesce(s.revenue, 0) AS revenue, coalesce(v.views, 0) AS views
            FROM skus k LEFT JOIN analytics.products p ON p.sku = k.sku LEFT JOIN sold s ON s.sku = k.sku
                 LEFT JOIN seen v ON v.sku = k.sku
            ORDER BY units, revenue, views, k.sku LIMIT :limit""",
        {**bounds, "limit": limit},
    )
    return {**bounds, "items": rows}


REPORTS = ("heatmap", "breakdown", "funnel", "repeat_buyers", "margin", "refunds_risk", "slow_sellers")
