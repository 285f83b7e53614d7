"""Agent orders through the ledger (issue 19): the wallet charge, the profit shares up the chain,
their settlement, refunds, withdrawals and finance's wallet adjustments.

Profit shares: for an order of `quantity` units at the buying agent's unit price, each agent
above it earns (its selling unit price to the level below − its own buying unit price) ×
quantity; the platform's revenue is the top agent's buying unit price × quantity. Unit prices are
services/account/agents.py's (markups half up to the fen, per unit, down the chain), so the
shares and the platform's revenue add up to the amount paid exactly, by construction.

Life of an order's money:
- charged:   wallet −amount, held +amount; the shares are recorded `held` (nothing credited yet)
- completed: held −amount, revenue +platform part, each sharer's pending +share; shares `pending`
             until `settle_after` (completion + KAMENG_COMMISSION_SETTLE_DAYS)
- settled:   a timer moves each due share pending → its wallet (withdrawable)
- refunded:  before completion held −amount, wallet +amount; after, wallet +amount, revenue −
             platform part, each pending share pending −share (cancelled), each settled one
             wallet −share with no floor (clawed back: the sharer's debt, a receivable).

Retail sales (`retail`): a buyer's order placed in an agent's sub-store or through its link is
priced at the agent's retail price (its buying unit price + its `retail_markup_bp`, half up to the
fen: console.store_prices) and paid through a payment channel; the order service's
`order_completed` names the agent (`via_agent_id`) and the top agent's buying unit price. Then the
order is recorded here (kind "retail") with its shares, fixed at completion from the chain's
markups then: each agent above the seller earns (its selling unit price − its buying unit price) ×
quantity, the seller what the buyer paid − its buying unit price × quantity (never below zero), and
the platform the rest, which is the top agent's buying price × quantity. It is credited as
`complete` credits, from `platform:payments` instead of a held wallet payment; a refund gives the
money back to `platform:payments` (the payment service refunds the buyer) and undoes the shares as
above."""

import hashlib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.account import agents, ledger
from services.account.models import Agent, AgentOrder, Commission, LedgerTransaction, Withdrawal
from services.common import audit
from services.common.errors import Conflict, Forbidden, IdempotencyMismatch, InvalidInput, NotFound

W, H, P = ledger.wallet, ledger.held, ledger.pending


def charge(
    session: Session, agent_id: int, order_no: str, sku: str, quantity: int, top_unit_price: int, currency: str
) -> dict[str, int]:
    """Debit the agent's wallet for its order, once per order_no (InsufficientBalance: nothing)."""
    if currency != agents.CURRENCY:
        raise InvalidInput("agent wallets are in CNY", {"currency": currency})
    if quantity < 1 or top_unit_price < 0:
        raise InvalidInput("quantity and price must be positive", {})
    line = agents.chain(session, agent_id)
    if any(a.status != "active" for a in line):
        raise Forbidden("this agent is disabled", {})
    units = agents.unit_prices(line, top_unit_price)
    amount = units[-1] * quantity
    made = session.execute(
        insert(AgentOrder)
        .values(
            order_no=order_no,
            agent_id=agent_id,
            sku=sku,
            quantity=quantity,
            top_unit_price=top_unit_price,
            unit_price=units[-1],
            amount=amount,
            currency=currency,
        )
        .on_conflict_do_nothing()
        .returning(AgentOrder.order_no)
    ).scalar()
    if made is None:
        return charged_before(session, agent_id, order_no)
    add_shares(session, order_no, [(a.id, (sell - buy) * quantity) for a, buy, sell in margins(line, units)])
    booked = ledger.book(
        session,
        f"charge:{order_no}",
        "order_charged",
        [(W(agent_id), -amount), (H(agent_id), amount)],
        guard={W(agent_id): ledger.USE_FLOOR},
        agent_id=agent_id,
        order_no=order_no,
        memo=sku,
    )
    balance = booked.balances.get(W(agent_id), ledger.balance(session, W(agent_id)))
    booked.transaction.answer = balance
    return {"amount": amount, "balance": balance}


def charged_before(session: Session, agent_id: int, order_no: str) -> dict[str, int]:
    order = session.get(AgentOrder, order_no)
    assert order is not None
    if order.agent_id != agent_id:
        raise Conflict("this order number belongs to another agent's order", {"order_no": order_no})
    first = session.scalars(select(LedgerTransaction).where(LedgerTransaction.idem_key == f"charge:{order_no}")).one()
    return {"amount": order.amount, "balance": int(first.answer or 0)}


def margins(line: list[Agent], units: list[int]) -> list[tuple[Agent, int, int]]:
    """(agent, its buying unit price, its selling unit price to the level below) of each agent of
    the chain `line` above its last one; `units`: agents.unit_prices of the line."""
    return list(zip(line[:-1], units[:-1], units[1:], strict=True))


def add_shares(session: Session, order_no: str, owed: list[tuple[int, int]]) -> None:
    """The order's profit shares, (agent id, amount) each, recorded held (none of zero or less)."""
    for agent_id, amount in owed:
        if amount > 0:
            session.add(Commission(order_no=order_no, agent_id=agent_id, amount=amount))


def shares(session: Session, order_no: str) -> list[Commission]:
    return list(session.scalars(select(Commission).where(Commission.order_no == order_no).order_by(Commission.id)))


def complete(session: Session, order_no: str, settle_days: float, now: datetime) -> bool:
    """The order completed: credit the shares as pending, the rest to the platform (once)."""
    order = session.get(AgentOrder, order_no, with_for_update=True)
    if order is None or order.status != "charged":
        return False
    owed = shares(session, order_no)
    platform = order.amount - sum(c.amount for c in owed)
    paid_from = ledger.PAYMENTS if order.kind == "retail" else H(order.agent_id)
    entries = [(paid_from, -order.amount), (ledger.REVENUE, platform)]
    entries += [(P(c.agent_id), c.amount) for c in owed]
    ledger.book(session, f"complete:{order_no}", "order_completed", entries, agent_id=order.agent_id, order_no=order_no)
    for c in owed:
        c.status, c.settle_after = "pending", now + timedelta(days=settle_days)
    order.status, order.completed_at = "completed", now
    return True


def refund(session: Session, order_no: str, now: datetime) -> dict[str, int] | None:
    """Give an agent order's money back and undo its shares, once; None for no such order."""
    order = session.get(AgentOrder, order_no, with_for_update=True)
    if order is None:
        return None
    if order.status != "refunded":
        entries = [(ledger.PAYMENTS if order.kind == "retail" else W(order.agent_id), order.amount)]
        owed = shares(session, order_no)
        if order.status == "charged":
            entries.append((H(order.agent_id), -order.amount))
        else:
            entries.append((ledger.REVENUE, -(order.amount - sum(c.amount for c in owed))))
            entries += [(P(c.agent_id) if c.status == "pending" else W(c.agent_id), -c.amount) for c in owed]
        for c in owed:
            c.status = "clawed_back" if c.status == "settled" else "cancelled"
        ledger.book(
            session, f"refund:{order_no}", "order_refunded", entries, agent_id=order.agent_id, order_no=order_no
        )
        order.status, order.refunded_at = "refunded", now
    return {"balance": ledger.balance(session, W(order.agent_id))}


def retail(session: Session, data: dict[str, Any], settle_days: float, now: datetime) -> bool:
    """A buyer's order sold by agent `via_agent_id` completed (`order_completed`'s data): recorded
    with its shares and credited (see the module's doc), once; nothing for one refunded first."""
    quantity, amount = int(data["quantity"]), int(data["amount"])
    line = agents.chain(session, int(data["via_agent_id"]))
    units = agents.unit_prices(line, int(data["top_unit_price"]))
    made = session.execute(
        insert(AgentOrder)
        .values(
            order_no=data["order_no"],
            agent_id=line[-1].id,
            kind="retail",
            sku=data["sku"],
            quantity=quantity,
            top_unit_price=units[0],
            unit_price=amount // quantity,
            amount=amount,
            currency=data["currency"],
        )
        .on_conflict_do_nothing()
        .returning(AgentOrder.order_no)
    ).scalar()
    if made is None:
        return False
    owed = [(a.id, (sell - buy) * quantity) for a, buy, sell in margins(line, units)]
    owed.append((line[-1].id, amount - units[-1] * quantity))  # the seller: what the buyer paid over its price
    add_shares(session, data["order_no"], owed)
    session.flush()
    return complete(session, data["order_no"], settle_days, now)


def refunded_first(session: Session, data: dict[str, Any], now: datetime) -> None:
    """A retail order refunded before its completion was seen here: marked refunded, so a late
    `order_completed` credits nothing."""
    session.execute(
        insert(AgentOrder)
        .values(
            order_no=data["order_no"],
            agent_id=int(data["via_agent_id"]),
            kind="retail",
            sku=data.get("sku") or "",
            quantity=int(data.get("quantity") or 1),
            top_unit_price=0,
            unit_price=0,
            amount=0,
            currency=data.get("currency") or agents.CURRENCY,
            status="refunded",
            refunded_at=now,
        )
        .on_conflict_do_nothing()
    )


def settle_due(session: Session, now: datetime, limit: int = 200) -> int:
    """Move pending shares past their window into their agents' wallets (safe with replicas)."""
    due = session.scalars(
        select(Commission)
        .where(Commission.status == "pending", Commission.settle_after <= now)
        .order_by(Commission.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for c in due:
        ledger.book(
            session,
            f"settle:{c.id}",
            "commission_settled",
            [(P(c.agent_id), -c.amount), (W(c.agent_id), c.amount)],
            agent_id=c.agent_id,
            order_no=c.order_no,
        )
        c.status = "settled"
    return len(due)


def commissions(session: Session, agent_id: int, limit: int = 100) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(Commission).where(Commission.agent_id == agent_id).order_by(Commission.id.desc()).limit(limit)
    )
    return [
        {
            "order_no": c.order_no,
            "amount": c.amount,
            "status": c.status,
            "settle_after": agents.stamp(c.settle_after),
            "created_at": agents.stamp(c.created_at),
        }
        for c in rows
    ]


# -- finance: wallet adjustments and withdrawals -------------------------------------------


def request_hash(*parts: Any) -> str:
    return hashlib.sha256("\n".join(str(p) for p in parts).encode()).hexdigest()


def adjust(session: Session, actor: str, agent_id: int, amount: int, reason: str, key: str) -> dict[str, Any]:
    """Credit (amount > 0) or debit an agent's wallet by hand, once per Idempotency-Key: the same
    key with the same body answers as the first time; with another body, 422."""
    if session.get(Agent, agent_id) is None:
        raise NotFound("no such agent", {"id": agent_id})
    if amount == 0:
        raise InvalidInput("the amount must not be zero", {"fields": {"amount": ["must not be zero"]}})
    digest = request_hash(agent_id, amount, reason)
    booked = ledger.book(
        session,
        f"admin:{agent_id}:{key}",
        "wallet_adjusted",
        [(W(agent_id), amount), (ledger.CASH, -amount)],
        guard={W(agent_id): ledger.USE_FLOOR},
        agent_id=agent_id,
        memo=reason,
        request_hash=digest,
    )
    if not booked.fresh:
        if booked.transaction.request_hash != digest:
            raise IdempotencyMismatch("this Idempotency-Key was used with another body", {})
        return {"balance": int(booked.transaction.answer or 0), "currency": agents.CURRENCY}
    booked.transaction.answer = booked.balances[W(agent_id)]
    audit.record(session, actor, "agent.wallet_adjusted", str(agent_id), {"amount": amount, "reason": reason})
    return {"balance": booked.balances[W(agent_id)], "currency": agents.CURRENCY}


def withdrawal_view(w: Withdrawal) -> dict[str, Any]:
    return {
        "id": w.id,
        "agent_id": w.agent_id,
        "amount": w.amount,
        "status": w.status,
        "note": w.note,
        "created_at": agents.stamp(w.created_at),
        "reviewed_at": agents.stamp(w.reviewed_at),
    }


def request_withdrawal(session: Session, agent_id: int, amount: int) -> dict[str, Any]:
    """The agent asks to be paid `amount` out of its wallet (never into its credit: floor 0)."""
    if amount <= 0:
        raise InvalidInput("the amount must be positive", {})
    agents.chain(session, agent_id)  # 404 for no such agent
    w = Withdrawal(agent_id=agent_id, amount=amount)
    session.add(w)
    session.flush()
    ledger.book(
        session,
        f"withdraw:{w.id}",
        "withdrawal_requested",
        [(W(agent_id), -amount), (ledger.WITHDRAWALS, amount)],
        guard={W(agent_id): 0},
        agent_id=agent_id,
    )
    return withdrawal_view(w)


def review_withdrawal(
    session: Session, actor: str, withdrawal_id: int, approve: bool, note: str | None
) -> dict[str, Any]:
    """Finance pays it out (approve) or gives it back to the wallet (reject); once."""
    w = session.get(Withdrawal, withdrawal_id, with_for_update=True)
    if w is None:
        raise NotFound("no such withdrawal", {"id": withdrawal_id})
    if w.status != "requested":
        raise Conflict("this withdrawal was reviewed already", {"status": w.status})
    back = ledger.CASH if approve else W(w.agent_id)
    ledger.book(
        session,
        f"withdraw-{'paid' if approve else 'rejected'}:{w.id}",
        f"withdrawal_{'paid' if approve else 'rejected'}",
        [(ledger.WITHDRAWALS, -w.amount), (back, w.amount)],
        agent_id=w.agent_id,
        memo=note,
    )
    w.status, w.note, w.reviewed_at, w.reviewed_by = ("approved" if approve else "rejected"), note, func.now(), actor
    audit.record(session, actor, f"agent.withdrawal_{w.status}", str(w.agent_id), {"id": w.id, "amount": w.amount})
    session.flush()
    session.refresh(w)
    return withdrawal_view(w)


def withdrawals(session: Session, status: str | None = None, agent_id: int | None = None) -> list[dict[str, Any]]:
    query = select(Withdrawal).order_by(Withdrawal.id.desc()).limit(200)
    if status:
        query = query.where(Withdrawal.status == status)
    if agent_id is not None:
        query = query.where(Withdrawal.agent_id == agent_id)
    return [withdrawal_view(w) for w in session.scalars(query)]


def on_order_completed(session: Session, envelope: Any, settle_days: float) -> None:
    data = envelope["data"]
    if data.get("agent_id") is not None:
        complete(session, data["order_no"], settle_days, datetime.now().astimezone())
    elif data.get("via_agent_id") is not None:
        retail(session, data, settle_days, datetime.now().astimezone())


def on_order_refunded(session: Session, envelope: Any) -> None:
    data, now = envelope["data"], datetime.now().astimezone()
    if refund(session, data["order_no"], now) is None and data.get("via_agent_id") is not None:
        refunded_first(session, data, now)
