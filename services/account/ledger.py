"""The double-entry ledger (issue 19). Every movement of money is one `LedgerTransaction` whose
entries (signed integer minor units) sum to zero: checked here before anything is written, and by
the deferred constraint trigger `ledger_entries_balanced` at commit; entries are never changed.

Sign convention: an account's balance is the sum of its entries. The accounts that hold money
for someone are positive when they do (an agent's wallet, its pending commissions, orders paid
and not yet completed, withdrawals payable, the platform's revenue); `platform:cash` is the
other side of money crossing the platform's boundary (agents topping up, being paid out), so it
runs negative by what the platform received. The sum over all accounts is always zero.

Accounts (made on first use):
- `agent:<id>:wallet`   what the agent may spend or withdraw; its floor is 0 (or minus a credit
                        limit); a commission clawed back after settlement may leave it below: debt
- `agent:<id>:held`     its paid orders not yet completed
- `agent:<id>:pending`  its commissions of completed orders inside the settlement window
- `platform:revenue`    what the platform earned (top agent's buying price × quantity)
- `platform:withdrawals` withdrawals requested, not yet paid out or rejected
- `platform:cash`       money in from agents (top-ups) and out to them (withdrawals paid)
- `platform:payments`   buyers' payments (through a payment channel) for orders sold in an agent's
                        sub-store or through its link, once completed: runs negative by them, the
                        other side of the platform's revenue and the agents' shares of those sales
- `buyer:<id>:wallet`   a member's referral cashback (issue 22, services/account/referrals.py);
                        floor 0, though a cashback reversed after it was spent leaves a debt
- `platform:referrals`  the cashback the platform paid: runs negative by it

Each transaction has a unique `idem_key` ("charge:<order_no>", "admin:<agent>:<key>", ...):
booking it again returns the first one and writes nothing. A spend is a conditional UPDATE of
the wallet row (`balance + amount >= floor`) done in account-id order, so concurrent spends of
one wallet serialise on its row and never overspend, and two transactions never deadlock."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.account.models import LedgerAccount, LedgerEntry, LedgerTransaction
from services.common.envelope import isoformat
from services.common.errors import InsufficientBalance

CASH, REVENUE, WITHDRAWALS = "platform:cash", "platform:revenue", "platform:withdrawals"
PAYMENTS = "platform:payments"
USE_FLOOR = None  # a guard meaning "the account's own floor"


def wallet(agent_id: int) -> str:
    return f"agent:{agent_id}:wallet"


def held(agent_id: int) -> str:
    return f"agent:{agent_id}:held"


def pending(agent_id: int) -> str:
    return f"agent:{agent_id}:pending"


@dataclass
class Booked:
    transaction: LedgerTransaction
    fresh: bool  # False: booked before under this idem_key; nothing was written now
    balances: dict[str, int]  # each touched account's balance afterwards (fresh bookings only)


def account(session: Session, code: str, agent_id: int | None = None) -> int:
    """The id of the account `code`, made on first use (wallets with floor 0)."""
    floor = 0 if code.endswith(":wallet") else None
    session.execute(insert(LedgerAccount).values(code=code, agent_id=agent_id, floor=floor).on_conflict_do_nothing())
    found = session.scalar(select(LedgerAccount.id).where(LedgerAccount.code == code))
    assert found is not None
    return found


def balance(session: Session, code: str) -> int:
    return session.scalar(select(LedgerAccount.balance).where(LedgerAccount.code == code)) or 0


def book(
    session: Session,
    idem_key: str,
    kind: str,
    entries: list[tuple[str, int]],
    guard: dict[str, int | None] | None = None,
    **about: Any,
) -> Booked:
    """Book one balanced transaction. `entries`: (account code, signed amount); zero amounts are
    left out. `guard`: accounts a debit must not take below a floor (None: the account's own
    floor), else InsufficientBalance and nothing is written (the caller's transaction rolls
    back). `about`: agent_id, order_no, memo, request_hash, answer of the transaction row."""
    if sum(amount for _, amount in entries) != 0:
        raise ValueError(f"unbalanced ledger transaction {idem_key}: {entries}")
    made = session.execute(
        insert(LedgerTransaction)
        .values(idem_key=idem_key, kind=kind, **about)
        .on_conflict_do_nothing()
        .returning(LedgerTransaction.id)
    ).scalar()
    if made is None:
        first = session.scalars(select(LedgerTransaction).where(LedgerTransaction.idem_key == idem_key)).one()
        return Booked(first, False, {})
    agent_of = {code: int(code.split(":")[1]) for code, _ in entries if code.startswith("agent:")}
    ids = {code: account(session, code, agent_of.get(code)) for code, _ in entries}
    balances: dict[str, int] = {}
    for code, amount in sorted(entries, key=lambda e: ids[e[0]]):
        if amount == 0:
            continue
        balances[code] = move(session, ids[code], amount, code, (guard or {}), amount < 0)
        session.add(LedgerEntry(transaction_id=made, account_id=ids[code], amount=amount))
    session.flush()
    return Booked(session.get(LedgerTransaction, made), True, balances)  # type: ignore[arg-type]


def move(session: Session, account_id: int, amount: int, code: str, guard: dict[str, int | None], debit: bool) -> int:
    """Add `amount` to the account's cached balance; a guarded debit only down to its floor."""
    if debit and code in guard:
        floor = guard[code]
        condition = "balance + :a >= coalesce(floor, 0)" if floor is None else "balance + :a >= :floor"
        sql = "UPDATE account.ledger_accounts SET balance = balance + :a"
        sql += f" WHERE id = :id AND {condition} RETURNING balance"
        after = session.execute(text(sql), {"a": amount, "id": account_id, "floor": floor}).scalar()
        if after is None:
            raise InsufficientBalance("the wallet cannot pay this", {"needed": -amount})
        return int(after)
    sql = "UPDATE account.ledger_accounts SET balance = balance + :a WHERE id = :id RETURNING balance"
    return int(session.execute(text(sql), {"a": amount, "id": account_id}).scalar_one())


def set_floor(session: Session, agent_id: int, credit_limit: int) -> None:
    """An agent's credit limit: its wallet may be spent down to minus this."""
    account(session, wallet(agent_id), agent_id)
    session.execute(
        text("UPDATE account.ledger_accounts SET floor = :f WHERE code = :c"),
        {"f": -credit_limit, "c": wallet(agent_id)},
    )


def statement(session: Session, agent_id: int, limit: int = 50, before: int | None = None) -> dict[str, Any]:
    """The agent's wallet entries, newest first, each with the balance after it; `before`: an
    entry id to page back from."""
    code = wallet(agent_id)
    running = (
        select(
            LedgerEntry.id,
            LedgerEntry.amount,
            func.sum(LedgerEntry.amount).over(order_by=LedgerEntry.id).label("balance"),
            LedgerTransaction.kind,
            LedgerTransaction.order_no,
            LedgerTransaction.memo,
            LedgerTransaction.created_at,
        )
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .where(LedgerAccount.code == code)
        .subquery()
    )
    query = select(running).order_by(running.c.id.desc()).limit(limit + 1)
    if before is not None:
        query = query.where(running.c.id < before)
    rows = [dict(r._mapping) for r in session.execute(query)]
    more = len(rows) > limit
    items = [{**r, "balance": int(r["balance"]), "created_at": isoformat(r["created_at"])} for r in rows[:limit]]
    return {"items": items, "next_before": items[-1]["id"] if more else None}


def integrity_facts(session: Session) -> dict[str, Any]:
    """The ledger's own balance: transactions whose entries do not sum to zero, accounts whose
    cached balance is not the sum of their entries, and the sum over all accounts."""
    unbalanced = session.execute(
        text(
            "SELECT transaction_id, sum(amount) FROM account.ledger_entries GROUP BY transaction_id "
            "HAVING sum(amount) <> 0 ORDER BY transaction_id LIMIT 100"
        )
    ).all()
    drifted = session.execute(
        text(
            "SELECT a.code, a.balance, coalesce(sum(e.amount), 0) FROM account.ledger_accounts a "
            "LEFT JOIN account.ledger_entries e ON e.account_id = a.id GROUP BY a.id "
            "HAVING a.balance <> coalesce(sum(e.amount), 0) ORDER BY a.id LIMIT 100"
        )
    ).all()
    total = session.scalar(text("SELECT coalesce(sum(balance), 0) FROM account.ledger_accounts"))
    counted = session.execute(
        text(
            "SELECT (SELECT count(*) FROM account.ledger_transactions), (SELECT count(*) FROM account.ledger_accounts)"
        )
    ).one()
    return {
        "unbalanced": [[int(t), int(s)] for t, s in unbalanced],
        "drifted": [[c, int(b), int(s)] for c, b, s in drifted],
        "total": int(total or 0),
        "transactions": int(counted[0]),
        "accounts": int(counted[1]),
    }
