"""What each consumed event does to the reporting tables (issue 22).

Every envelope is first kept in the raw log (`events`, its contact replaced by a hash), then
applied. Each apply is an upsert that sets only the columns its event knows (COALESCE keeps the
first payment; a risk rejection is an OR; costs and views add up), so the result does not depend
on the order events arrive in: a payment seen before its order's `orders_placed` digest lands in
the same row. The inbox (`Db.once_all`) makes each event count once; `replay` starts from empty
tables and applies the raw log again.

Events and what they carry (nothing else is read; see docs/analytics.md for the gaps):

- order.orders_placed: the orders accepted in an interval (services/order/digest.py);
- payment.payment_succeeded: paid, with the amount;
- order.order_completed: delivered (and the order's SKU, amount and agent);
- order.order_refunded: refunded, with the amount;
- risk.risk_rejected, risk.review_rejected: turned away by risk (by event; a decision answered
  by RPC at creation comes in the digest as `risk_rejected`);
- catalog.product_created, product_updated: SKU, name, category, price;
- supplier.stock_replenished: units bought from a supplier and what they cost;
- gateway.product_views_counted: views per SKU, counted by a gateway and sent in one batch."""

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from services.common.money import parse_minor

Envelope = dict[str, Any]

# (source service, event type) -> the apply function's name below
CONSUMED = (
    ("order", "orders_placed"),
    ("order", "order_completed"),
    ("order", "order_refunded"),
    ("payment", "payment_succeeded"),
    ("risk", "risk_rejected"),
    ("risk", "review_rejected"),
    ("catalog", "product_created"),
    ("catalog", "product_updated"),
    ("supplier", "stock_replenished"),
    ("gateway", "product_views_counted"),
)
PRIVATE = ("contact", "recharge_account", "signals")  # never kept in the log

KEEP = text(
    """INSERT INTO analytics.events (event_id, source, type, occurred_at, envelope)
       SELECT (e->>'event_id')::uuid, :source, e->>'type', (e->>'occurred_at')::timestamptz, e
       FROM jsonb_array_elements(CAST(:envs AS jsonb)) AS e
       ON CONFLICT (event_id) DO NOTHING"""
)
PLACED = text(
    """INSERT INTO analytics.orders AS o (order_no, created_at, sku, quantity, amount, channel, agent_id,
                                           via_agent_id, buyer, risk_rejected)
       SELECT order_no, created_at, sku, quantity, amount, channel, agent_id, via_agent_id, buyer,
              coalesce(risk_rejected, false)
       FROM jsonb_to_recordset(CAST(:orders AS jsonb)) AS x(order_no text, created_at timestamptz, sku text,
            quantity int, amount bigint, channel text, agent_id bigint, via_agent_id bigint, buyer text,
            risk_rejected boolean)
       ON CONFLICT (order_no) DO UPDATE SET created_at = EXCLUDED.created_at, sku = EXCLUDED.sku,
            quantity = EXCLUDED.quantity, amount = EXCLUDED.amount, channel = EXCLUDED.channel,
            agent_id = EXCLUDED.agent_id, via_agent_id = EXCLUDED.via_agent_id, buyer = EXCLUDED.buyer,
            risk_rejected = o.risk_rejected OR EXCLUDED.risk_rejected"""
)
# the per-order events of a batch in one statement each: the first of an order's events wins
# within a batch (as COALESCE does across batches); one statement cannot touch a row twice
ROWS = "jsonb_array_elements(CAST(:rows AS jsonb)) WITH ORDINALITY AS x(e, n)"
PAID = text(
    f"""INSERT INTO analytics.orders AS o (order_no, paid_at, paid_amount)
       SELECT DISTINCT ON (e->>'order_no') e->>'order_no', (e->>'at')::timestamptz, (e->>'amount')::bigint
       FROM {ROWS} ORDER BY e->>'order_no', n
       ON CONFLICT (order_no) DO UPDATE SET paid_at = coalesce(o.paid_at, EXCLUDED.paid_at),
            paid_amount = coalesce(o.paid_amount, EXCLUDED.paid_amount)"""
)
COMPLETED = text(
    f"""INSERT INTO analytics.orders AS o (order_no, completed_at, sku, quantity, amount, channel, agent_id,
                                           via_agent_id, buyer)
       SELECT DISTINCT ON (e->>'order_no') e->>'order_no', (e->>'at')::timestamptz, e->>'sku',
              (e->>'quantity')::int, (e->>'amount')::bigint, e->>'channel', (e->>'agent_id')::bigint,
              (e->>'via_agent_id')::bigint, e->>'buyer'
       FROM {ROWS} ORDER BY e->>'order_no', n
       ON CONFLICT (order_no) DO UPDATE SET completed_at = coalesce(o.completed_at, EXCLUDED.completed_at),
            sku = coalesce(o.sku, EXCLUDED.sku), quantity = coalesce(o.quantity, EXCLUDED.quantity),
            amount = coalesce(o.amount, EXCLUDED.amount), channel = coalesce(o.channel, EXCLUDED.channel),
            agent_id = coalesce(o.agent_id, EXCLUDED.agent_id),
            via_agent_id = coalesce(o.via_agent_id, EXCLUDED.via_agent_id), buyer = coalesce(o.buyer, EXCLUDED.buyer)"""
)
REFUNDED = text(
    f"""INSERT INTO analytics.orders AS o (order_no, refunded_at, refund_amount)
       SELECT DISTINCT ON (e->>'order_no') e->>'order_no', (e->>'at')::timestamptz, (e->>'amount')::bigint
       FROM {ROWS} ORDER BY e->>'order_no', n
       ON CONFLICT (order_no) DO UPDATE SET refunded_at = coalesce(o.refunded_at, EXCLUDED.refunded_at),
            refund_amount = coalesce(o.refund_amount, EXCLUDED.refund_amount)"""
)
REJECTED = text(
    f"""INSERT INTO analytics.orders AS o (order_no, risk_rejected)
       SELECT DISTINCT e->>'order_no', true FROM {ROWS}
       ON CONFLICT (order_no) DO UPDATE SET risk_rejected = true"""
)
PRODUCT = text(
    """INSERT INTO analytics.products AS p (sku, name, category, price, seen_at)
       VALUES (:sku, :name, :category, :price, :at)
       ON CONFLICT (sku) DO UPDATE SET name = EXCLUDED.name, category = EXCLUDED.category,
            price = EXCLUDED.price, seen_at = EXCLUDED.seen_at
       WHERE p.seen_at <= EXCLUDED.seen_at"""
)
COST = text(
    """INSERT INTO analytics.costs AS c (sku, bought, cost) VALUES (:sku, :bought, :cost)
       ON CONFLICT (sku) DO UPDATE SET bought = c.bought + EXCLUDED.bought, cost = c.cost + EXCLUDED.cost"""
)
VIEWS = text(
    """INSERT INTO analytics.views AS v (sku, hour, views)
       SELECT key, date_trunc('hour', CAST(:at AS timestamptz)), value::bigint
       FROM jsonb_each_text(CAST(:views AS jsonb))
       ON CONFLICT (sku, hour) DO UPDATE SET views = v.views + EXCLUDED.views"""
)


def buyer_key(contact: str | None) -> str | None:
    """The same hash as services/order/digest.py: one buyer, one key, no address kept."""
    if not contact:
        return None
    return hashlib.sha256(contact.strip().lower().encode()).hexdigest()[:32]


def scrubbed(env: Envelope) -> Envelope:
    """The envelope as the log keeps it: a contact becomes `buyer`, private fields go."""
    data = dict(env["data"])
    if "contact" in data and "buyer" not in data:
        data["buyer"] = buyer_key(data.get("contact"))
    for key in PRIVATE:
        data.pop(key, None)
    return {**env, "data": data}


def minor(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, int):
        return value
    return parse_minor(str(value))


def orders_placed(session: Session, env: Envelope) -> None:
    orders = env["data"].get("orders") or []
    if orders:
        session.execute(PLACED, {"orders": json.dumps(orders)})


def _many(statement: Any, row: Callable[[Envelope], dict[str, Any]]) -> Callable[[Session, list[Envelope]], None]:
    def run(session: Session, envs: list[Envelope]) -> None:
        session.execute(statement, {"rows": json.dumps([row(env) for env in envs])})

    return run


def _paid(env: Envelope) -> dict[str, Any]:
    d = env["data"]
    return {"order_no": d["order_no"], "at": env["occurred_at"], "amount": minor(d.get("amount"))}


def _completed(env: Envelope) -> dict[str, Any]:
    d = env["data"]
    return {
        "order_no": d["order_no"],
        "at": env["occurred_at"],
        "sku": d.get("sku"),
        "quantity": d.get("quantity"),
        "amount": minor(d.get("amount")),
        "channel": d.get("payment_channel"),
        "agent_id": d.get("agent_id"),
        "via_agent_id": d.get("via_agent_id"),
        "buyer": d.get("buyer") or buyer_key(d.get("contact")),
    }


def _rejected(env: Envelope) -> dict[str, Any]:
    return {"order_no": env["data"]["order_no"]}


payment_succeeded = _many(PAID, _paid)
order_completed = _many(COMPLETED, _completed)
order_refunded = _many(REFUNDED, _paid)
risk_rejected = _many(REJECTED, _rejected)


def product_changed(session: Session, env: Envelope) -> None:
    d = env["data"]
    session.execute(
        PRODUCT,
        {
            "sku": d["sku"],
            "name": d.get("name"),
            "category": d.get("category"),
            "price": minor(d.get("price")),
            "at": env["occurred_at"],
        },
    )


def stock_replenished(session: Session, env: Envelope) -> None:
    d = env["data"]
    bought, cost = int(d.get("bought") or 0), minor(d.get("cost")) or 0
    if bought > 0:
        session.execute(COST, {"sku": d["sku"], "bought": bought, "cost": cost})


def product_views_counted(session: Session, env: Envelope) -> None:
    d = env["data"]
    if d.get("views"):
        session.execute(VIEWS, {"at": d.get("at") or env["occurred_at"], "views": json.dumps(d["views"])})


# per order, a batch in one statement (their effects commute: the order of types does not matter)
APPLY_MANY: dict[str, Callable[[Session, list[Envelope]], None]] = {
    "payment_succeeded": payment_succeeded,
    "order_completed": order_completed,
    "order_refunded": order_refunded,
    "risk_rejected": risk_rejected,
    "review_rejected": risk_rejected,
}
APPLY: dict[str, Callable[[Session, Envelope], None]] = {
    "orders_placed": orders_placed,
    "product_created": product_changed,
    "product_updated": product_changed,
    "stock_replenished": stock_replenished,
    "product_views_counted": product_views_counted,
}


def apply(session: Session, envs: Iterable[Envelope]) -> int:
    """Apply envelopes of any types: every apply commutes with the others (upserts that keep the
    first payment, OR a rejection, add costs and views, keep the newest product), so they are
    grouped by type, the per-order ones in one statement per type."""
    n, grouped = 0, defaultdict(list)
    for env in envs:
        if env["type"] in APPLY_MANY:
            grouped[env["type"]].append(env)
        elif env["type"] in APPLY:
            APPLY[env["type"]](session, env)
        else:
            continue
        n += 1
    for type_, group in grouped.items():
        APPLY_MANY[type_](session, group)
    return n


def consume(session: Session, source: str, envs: Sequence[Envelope]) -> None:
    """A batch of one event type from one source (the inbox already claimed): logged, applied."""
    kept = [scrubbed(env) for env in envs]
    session.execute(KEEP, {"source": source, "envs": json.dumps(kept)})
    apply(session, kept)


def consumer(source: str) -> Callable[[Session, Sequence[Envelope]], None]:
    def run(session: Session, envs: Sequence[Envelope]) -> None:
        consume(session, source, envs)

    return run
