"""Agents' orders (the open API, DESIGN §6): paid from the agent's wallet at its price, idempotent
by the agent's own order id.

1. The (agent, agent_order_id) is claimed first, in its own transaction: the same id again is
   answered with its order (and charges nothing), with another body 422, and while the first is
   still being made 409. The claim is an idempotency-key row (the buyers' kind); once the order
   exists its own unique (agent_id, agent_order_id) index keeps the answer.
2. The catalog reserves and prices in one call at the top agent's level (`agent_level`).
3. The account service charges the wallet (`charge_agent_order`, keyed by the order number: a
   repeat debits nothing more) at this agent's price down its chain. A wallet that cannot pay is
   409 `insufficient_balance`: the reservation goes back and no order is kept.
4. One transaction records the order through the saga as paid from the wallet (`wallet_paid`),
   which asks for delivery at once. A delivery that fails for good refunds the wallet (the
   saga's `order_refunded`, which the account service consumes).

Messages: gateway -> order, order -> catalog, order -> account (beside the gateway's own
authentication call to the account service). No call is made inside a transaction.
"""

import hashlib
import json
import logging
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.common import outbox
from services.common.db import Database
from services.common.errors import Conflict, IdempotencyMismatch, InsufficientBalance, InvalidInput, NotFound
from services.order import domain, saga
from services.order.models import IdempotencyKey, Order
from services.order.views import view

log = logging.getLogger(__name__)

Call = Callable[..., Any]
RESERVATION_TTL_S = 600  # delivery follows at once; the catalog's sweeper is only the net


def claim_name(agent_id: int, agent_order_id: str) -> str:
    """The claim's key among the buyers' Idempotency-Keys, which it can never equal: an HTTP
    header value cannot hold a line feed."""
    return f"agent\n{agent_id}\n{agent_order_id}"


def body_hash(cmd: dict[str, Any]) -> bytes:
    return hashlib.sha256(json.dumps(cmd, sort_keys=True, separators=(",", ":")).encode()).digest()


def create(db: Database, agent: dict[str, Any], cmd: dict[str, Any], reserve: Call, charge: Call) -> dict[str, Any]:
    """{"order": the agent's view, "created": bool}. `reserve`: the catalog's reserve_quoted;
    `charge`: the account service's charge_agent_order."""
    agent_id, digest = int(agent["agent_id"]), body_hash(cmd)
    key = claim_name(agent_id, cmd["agent_order_id"])
    with db.transaction() as s:
        earlier = _claim(s, agent_id, cmd["agent_order_id"], key, digest)
    if earlier is not None:
        return {"order": earlier, "created": False}
    try:
        return {"order": _create(db, agent, cmd, digest, key, reserve, charge), "created": True}
    except BaseException:
        with db.transaction() as s:  # nothing was made: the same id may try again at once
            domain.drop_key(s, key)
        raise


def _claim(s: Session, agent_id: int, agent_order_id: str, key: str, digest: bytes) -> dict[str, Any] | None:
    """None when this id is new (claimed now), or the view of its order."""
    found = _find(s, agent_id, agent_order_id)
    if found is None:
        if domain.take_key(s, key, digest, expires=False):
            return None
        found = _find(s, agent_id, agent_order_id)  # made meanwhile?
        if found is None:
            claimed = s.get(IdempotencyKey, key)
            if claimed is not None and bytes(claimed.request_hash) != digest:
                raise IdempotencyMismatch("this agent_order_id was used with another body", {})
            raise Conflict("an order with this agent_order_id is still being made", {})
    if bytes(found.request_hash or b"") != digest:
        raise IdempotencyMismatch("this agent_order_id was used with another body", {})
    return agent_view(found)


def _find(s: Session, agent_id: int, agent_order_id: str) -> saga.OrderRow | None:
    row = (
        s.execute(
            select(*Order.__table__.columns).where(Order.agent_id == agent_id, Order.agent_order_id == agent_order_id)
        )
        .mappings()
        .first()
    )
    return saga.OrderRow(row) if row is not None else None


def _create(db, agent, cmd, digest, key, reserve, charge):
    order_no = domain.new_order_no()
    try:  # agents are vetted when admitted: the real-name rule of buyers' categories is not theirs
        quote = reserve(
            order_no, cmd["sku"], cmd["quantity"], RESERVATION_TTL_S, real_name=True, agent_level=agent["top_level"]
        )
        if quote["delivery"] == "recharge" and not cmd.get("recharge_account"):
            raise InvalidInput(
                "a recharge product needs the account to recharge",
                {"fields": {"recharge_account": ["required for this product"]}},
            )
    except BaseException:  # a reservation perhaps made (no answer in time) goes back
        _give_back(db, order_no, None)
        raise
    try:
        paid = charge(agent["agent_id"], order_no, cmd["sku"], cmd["quantity"], quote["unit_price"], quote["currency"])
    except InsufficientBalance:
        _give_back(db, order_no, None)  # nothing was charged
        raise
    except BaseException:  # a charge perhaps made (no answer in time): given back by the account service
        _give_back(db, order_no, agent["agent_id"])
        raise
    order = new_order(agent, cmd, quote, paid, order_no, digest)
    try:
        with db.transaction() as s:
            saga.start(s, order, {}, [("wallet_paid", {"order_no": order_no, "amount": paid["amount"]})])
            saga.insert(s, order)
            s.execute(update(IdempotencyKey).where(IdempotencyKey.key == key).values(order_no=order_no))
    except BaseException:
        log.error("agent order %s charged but not recorded: given back", order_no)
        _give_back(db, order_no, agent["agent_id"])
        raise
    return agent_view(order)


def _give_back(db: Database, order_no: str, charged_agent: int | None) -> None:
    """The reservation (made or perhaps made) goes back; a charge perhaps made is refunded by the
    account service on `order_refunded` (idempotent, and nothing for an order it never charged)."""
    with db.transaction() as s:
        saga.release_unplaced(s, order_no)
        if charged_agent is not None:
            outbox.add(
                s, saga.REFUNDED, {"order_no": order_no, "agent_id": charged_agent, "payment_channel": saga.WALLET}
            )


def new_order(
    agent: dict[str, Any],
    cmd: dict[str, Any],
    quote: dict[str, Any],
    paid: dict[str, Any],
    order_no: str,
    digest: bytes,
) -> saga.OrderRow:
    """The order at the agent's price (what its wallet paid), not stored yet."""
    quantity = cmd["quantity"]
    return saga.OrderRow(
        {
            "order_no": order_no,
            "token_hash": hashlib.sha256(secrets.token_bytes(32)).digest(),  # no buyer token: never matches
            "sku": cmd["sku"],
            "delivery": quote["delivery"],
            "quantity": quantity,
            "unit_price": paid.get("unit_price", paid["amount"] // quantity),
            "amount": paid["amount"],
            "currency": quote["currency"],
            "price_rule": {**quote["rule"], "agent_id": agent["agent_id"], "top_unit_price": quote["unit_price"]},
            "contact": f"agent:{agent['agent_id']}",
            "recharge_account": cmd.get("recharge_account"),
            "coupon": None,
            "payment_channel": saga.WALLET,
            "payment_no": None,
            "pay_url": None,
            "late": False,
            "attempts": 0,
            "last_requests": [],
            "expires_at": datetime.now(UTC) + timedelta(seconds=RESERVATION_TTL_S),
            "agent_id": int(agent["agent_id"]),
            "agent_order_id": cmd["agent_order_id"],
            "request_hash": digest,
        }
    )


def agent_view(order: Any) -> dict[str, Any]:
    """The order as the open API shows it (money in minor units; the gateway formats)."""
    return {**view(order), "agent_order_id": order.agent_order_id, "items": []}  # codes: `for_agent` + with_items


def for_agent(s: Session, agent_id: int, agent_order_id: str) -> dict[str, Any]:
    """The agent's own order: 404 for an unknown id and for another agent's alike."""
    found = _find(s, int(agent_id), agent_order_id)
    if found is None:
        raise NotFound("no such order", {})
    return agent_view(found)
