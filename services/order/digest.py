"""`orders_placed`: the orders accepted lately, in one event per interval (issue 22, analytics).

An order's acceptance publishes nothing when risk and the catalog answer by RPC (DESIGN §3: the
budget is one gateway -> order RPC and at most four more messages), so the analytics service
cannot see an order before it is paid. Rather than an event per order, a timer (`publish`) sends
one `orders_placed` through the outbox every ORDER_DIGEST_S seconds with every order created
since the last one: messages grow with intervals, not orders, and nothing rides the order path.

Replica-safe and exact: the mark row (`digest_marks`) is locked SKIP LOCKED, so one replica at a
time digests; each digest takes the orders after the mark by (created_at, order_no) and moves the
mark in the same transaction as its outbox row. `created_at` is the inserting transaction's start
(now()); an acceptance transaction makes no call, so only orders older than LAG_S are taken, by
then committed. The buyer is named by a keyed-free hash of the lower-cased contact (`buyer`),
never by the address."""

import hashlib
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from services.common import outbox
from services.common.envelope import isoformat

EVENT = "orders_placed"
LAG_S = 10
LIMIT = 2000
RISK_REJECTS = ("risk_rejected", "review_rejected")

CLAIM = text('SELECT last_at, last_order_no FROM "order".digest_marks WHERE name = :name FOR UPDATE SKIP LOCKED')
SINCE = text(
    """SELECT o.order_no, o.created_at, o.sku, o.quantity, o.amount, o.currency, o.payment_channel,
              o.agent_id, o.via_agent_id, o.buyer_id, o.contact, o.status,
              EXISTS (SELECT 1 FROM "order".transitions t WHERE t.order_no = o.order_no
                      AND t.event IN ('risk_rejected', 'review_rejected')) AS risk_rejected
       FROM "order".orders o
       WHERE (o.created_at, o.order_no) > (:last_at, :last_order_no)
         AND o.created_at < now() - make_interval(secs => :lag_s)
       ORDER BY o.created_at, o.order_no
       LIMIT :limit"""
)
MOVE = text('UPDATE "order".digest_marks SET last_at = :last_at, last_order_no = :last_order_no WHERE name = :name')


def buyer_key(contact: str | None) -> str | None:
    """Who bought, for the repeat-buyer rate: not the address itself."""
    if not contact:
        return None
    return hashlib.sha256(contact.strip().lower().encode()).hexdigest()[:32]


def item(row: Any) -> dict[str, Any]:
    return {
        "order_no": row.order_no,
        "created_at": isoformat(row.created_at),
        "sku": row.sku,
        "quantity": row.quantity,
        "amount": row.amount,
        "currency": row.currency,
        "channel": row.payment_channel,
        "agent_id": row.agent_id,
        "via_agent_id": row.via_agent_id,
        "buyer_id": row.buyer_id,
        "buyer": buyer_key(row.contact),
        "status": row.status,
        "risk_rejected": bool(row.risk_rejected),
    }


def publish(session: Session, lag_s: float = LAG_S, limit: int = LIMIT) -> int:
    """One `orders_placed` with the orders created since the mark (at most `limit`); how many."""
    mark = session.execute(CLAIM, {"name": EVENT}).first()
    if mark is None:  # another replica is digesting
        return 0
    rows = session.execute(
        SINCE, {"last_at": mark.last_at, "last_order_no": mark.last_order_no, "lag_s": lag_s, "limit": limit}
    ).all()
    if not rows:
        return 0
    outbox.add(session, EVENT, {"orders": [item(r) for r in rows]})
    session.execute(MOVE, {"name": EVENT, "last_at": rows[-1].created_at, "last_order_no": rows[-1].order_no})
    return len(rows)
