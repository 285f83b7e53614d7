"""Referrals and referral cashback (推荐返现, issue 22).

Every buyer has a referral code; its link `/r/<code>` leaves a cookie that sign-up reads. The
referral is recorded at sign-up (or bound once later, by a member who signed up without one),
after the risk service's rule (services/risk/rules.py `referral_refusal`) allowed it: not
oneself, not the referrer's own contact e-mail, IP or device at sign-up, and no ring (A refers B
refers A, or longer). Risk is asked by RPC between two transactions, never inside one; no answer
in time records no referral.

Cashback: when a referred buyer's order completes (`order_completed`), the referrer gets
`REFERRAL_CASHBACK_PERCENT` percent of what was paid, booked through the ledger (`ledger.book`,
idem key `cashback:<order_no>`: `platform:referrals` −, `buyer:<id>:wallet` +), on the referred
buyer's first completed order only, or on every order with `REFERRAL_EVERY_ORDER`; a first order
whose cashback was reversed makes the next one the first. A refund (`order_refunded`) books the
reversing transaction (`cashback_reversed:<order_no>`), with no floor: cashback already spent
leaves the referrer's wallet below zero, a receivable, as a clawed-back commission does. Each
cashback is a `referral_cashbacks` row (order, referrer, referred buyer, amount, reversed at)."""

import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.account import ledger
from services.account.models import Buyer, ReferralCashback
from services.common.envelope import isoformat
from services.common.errors import Conflict, Forbidden, NotFound

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
REFERRALS = "platform:referrals"  # what the platform paid in cashback: runs negative by it
CASHBACK, REVERSED = "referral_cashback", "referral_cashback_reversed"
COUNTED_CURRENCY = "CNY"


def buyer_wallet(buyer_id: int) -> str:
    return f"buyer:{buyer_id}:wallet"


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def code_of(session: Session, buyer: Buyer) -> str:
    """The buyer's referral code, made on first need (buyers from before referrals have none)."""
    while buyer.referral_code is None:
        candidate = new_code()
        if session.scalar(select(Buyer.id).where(Buyer.referral_code == candidate)) is None:
            buyer.referral_code = candidate
            session.flush()
    return buyer.referral_code


def settings(config: Mapping[str, Any]) -> dict[str, Any]:
    percent = Decimal(str(config.get("REFERRAL_CASHBACK_PERCENT", "5")))
    return {
        "basis_points": max(0, min(10_000, int(percent * 100))),
        "every_order": str(config.get("REFERRAL_EVERY_ORDER", "0")) in ("1", "true", "True"),
    }


def cashback(paid: int, basis_points: int) -> int:
    """The cashback on an order that paid `paid` fen (rounded down to the fen)."""
    return max(0, paid) * basis_points // 10_000


# -- recording a referral --------------------------------------------------------------------------


def chain(session: Session, buyer_id: int, limit: int = 1000) -> list[int]:
    """Who referred `buyer_id`, who referred them, and so on up (nearest first)."""
    rows = session.execute(
        text(
            "WITH RECURSIVE up(id, depth) AS ("
            " SELECT referred_by, 1 FROM account.buyers WHERE id = :id AND referred_by IS NOT NULL"
            " UNION SELECT b.referred_by, up.depth + 1 FROM account.buyers b JOIN up ON b.id = up.id"
            " WHERE b.referred_by IS NOT NULL AND up.depth < :limit"
            ") SELECT id FROM up ORDER BY depth"
        ),
        {"id": buyer_id, "limit": limit},
    ).scalars()
    return [int(i) for i in rows]


def referrer_facts(session: Session, code: str | None) -> dict[str, Any] | None:
    """What risk's rule needs of the buyer whose code this is (None: no such code)."""
    if not code:
        return None
    found = session.scalars(select(Buyer).where(Buyer.referral_code == code.strip().upper()[:16])).first()
    if found is None:
        return None
    return {
        "id": found.id,
        "email": found.email,
        "signup_ip": found.signup_ip,
        "signup_device": found.signup_device,
        "chain": chain(session, found.id),
    }


def referred_facts(buyer: Buyer | None, email: str | None, ip: str | None, device: str | None) -> dict[str, Any]:
    ips = {v for v in (ip, buyer and buyer.signup_ip) if v}
    devices = {v for v in (device, buyer and buyer.signup_device) if v}
    return {
        "id": buyer.id if buyer is not None else None,
        "email": buyer.email if buyer is not None else email,
        "ips": sorted(ips),
        "devices": sorted(devices),
    }


def ask_risk(assess: Any, referrer: dict[str, Any] | None, referred: dict[str, Any]) -> dict[str, Any]:
    """Risk's answer ({"allowed", "reason"}); without a referrer or an answer: not allowed."""
    if referrer is None:
        return {"allowed": False, "reason": "unknown_code"}
    try:
        answer: dict[str, Any] = assess(referrer, referred)
        return answer
    except Exception as exc:  # no answer in time, or a fault: no referral rather than an unchecked one
        return {"allowed": False, "reason": f"unchecked ({type(exc).__name__})"}


def bind(session: Session, buyer_id: int, referrer_id: int) -> None:
    """Record the referral, once: a buyer who has a referrer keeps it; a ring formed meanwhile
    (the referrer now below the buyer) is refused under the row lock."""
    buyer = session.get(Buyer, buyer_id, with_for_update=True)
    if buyer is None:
        raise NotFound("no such buyer", {})
    if buyer.referred_by is not None:
        raise Conflict("a referrer is already recorded", {})
    if referrer_id == buyer_id or buyer_id in chain(session, referrer_id):
        raise Forbidden("this referral is not allowed", {"reason": "referral_ring"})
    buyer.referred_by, buyer.referred_at = referrer_id, datetime.now(UTC)


def refuse(answer: dict[str, Any]) -> None:
    if not answer.get("allowed"):
        reason = answer.get("reason") or "refused"
        if reason == "unknown_code":
            raise NotFound("no such referral code", {})
        raise Forbidden("this referral is not allowed", {"reason": reason})


# -- what a member and the console see ---------------------------------------------------------------


def view(session: Session, buyer: Buyer, public_url: str) -> dict[str, Any]:
    """A buyer's referral code and link, who referred them, whom they referred, their cashback."""
    code = code_of(session, buyer)
    referred = session.execute(
        select(Buyer.id, Buyer.created_at, Buyer.referred_at).where(Buyer.referred_by == buyer.id).order_by(Buyer.id)
    ).all()
    booked = session.scalars(
        select(ReferralCashback)
        .where(ReferralCashback.referrer_id == buyer.id)
        .order_by(ReferralCashback.booked_at.desc())
        .limit(100)
    ).all()
    cashback_rows = []
    for b in booked:  # newest first: a reversal is newer than its cashback
        if b.reversed_at is not None:
            cashback_rows.append(
                {"kind": REVERSED, "order_no": b.order_no, "amount": -b.amount, "at": isoformat(b.reversed_at)}
            )
        cashback_rows.append(
            {"kind": CASHBACK, "order_no": b.order_no, "amount": b.amount, "at": isoformat(b.booked_at)}
        )
    return {
        "code": code,
        "link": f"{public_url}/r/{code}",
        "referred_by": buyer.referred_by,
        "referrals": [{"buyer_id": r.id, "at": isoformat(r.referred_at or r.created_at)} for r in referred],
        "wallet": ledger.balance(session, buyer_wallet(buyer.id)),
        "cashback": sorted(cashback_rows, key=lambda c: c["at"], reverse=True),
    }


def admin_view(session: Session, buyer_id: int, public_url: str) -> dict[str, Any]:
    buyer = session.get(Buyer, buyer_id)
    if buyer is None:
        raise NotFound("no such buyer", {"buyer_id": buyer_id})
    return view(session, buyer, public_url)


# -- cashback ---------------------------------------------------------------------------------------


def on_order_completed(session: Session, envelope: dict[str, Any], terms: dict[str, Any]) -> None:
    """A referred buyer's order completed: their referrer's cashback, once per order (the
    `referral_cashbacks` row and the ledger's idem key), on the first order only unless every
    order pays (a reversed cashback does not count as the first)."""
    data = envelope["data"]
    buyer_id = data.get("buyer_id")
    if not buyer_id or data.get("agent_id") or data.get("currency", COUNTED_CURRENCY) != COUNTED_CURRENCY:
        return
    referrer = session.scalar(select(Buyer.referred_by).where(Buyer.id == buyer_id))
    amount = cashback(int(data["amount"]), terms["basis_points"])
    if referrer is None or amount <= 0:
        return
    if not terms["every_order"]:
        session.execute(select(Buyer.id).where(Buyer.id == buyer_id).with_for_update())  # one first order
        kept = select(ReferralCashback.order_no).where(
            ReferralCashback.referred_id == buyer_id, ReferralCashback.reversed_at.is_(None)
        )
        if session.scalar(kept.limit(1)) is not None:
            return
    made = session.execute(
        insert(ReferralCashback)
        .values(order_no=data["order_no"], referrer_id=referrer, referred_id=buyer_id, amount=amount)
        .on_conflict_do_nothing()
        .returning(ReferralCashback.order_no)
    ).scalar()
    if made is None:
        return
    ledger.book(
        session,
        f"cashback:{data['order_no']}",
        CASHBACK,
        [(REFERRALS, -amount), (buyer_wallet(referrer), amount)],
        order_no=data["order_no"],
        memo=f"buyer:{buyer_id}",
    )


def on_order_refunded(session: Session, envelope: dict[str, Any]) -> None:
    """The order's cashback (if any) reversed: the ledger's reversing transaction, unguarded."""
    order_no = envelope["data"]["order_no"]
    row = session.scalars(
        select(ReferralCashback)
        .where(ReferralCashback.order_no == order_no, ReferralCashback.reversed_at.is_(None))
        .with_for_update()
    ).first()
    if row is None:
        return
    row.reversed_at = datetime.now(UTC)
    ledger.book(
        session,
        f"cashback_reversed:{order_no}",
        REVERSED,
        [(REFERRALS, row.amount), (buyer_wallet(row.referrer_id), -row.amount)],  # may leave a debt
        order_no=order_no,
        memo=f"buyer:{row.referred_id}",
    )
