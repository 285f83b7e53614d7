"""Orders as plain functions on a Session: creation (price fixed from the catalog's quote),
buyer lookups by token, cancel, admin refund and search, idempotency keys."""

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Collection
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.common import audit
from services.common.crypto import DataKeys
from services.common.envelope import isoformat
from services.common.errors import Conflict, IdempotencyMismatch, InvalidInput, NotFound
from services.order import saga
from services.order.models import IdempotencyKey, Order, Transition
from services.order.saga import OrderRow
from services.order.views import view

ORDER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
IDEMPOTENCY_TTL = timedelta(hours=24)
ABANDONED_CLAIM = timedelta(minutes=2)  # longer than any creation takes (its calls have deadlines)
DUMMY_HASH = hashlib.sha256(b"no such order").digest()


def new_order_no() -> str:
    """Not sequential, not guessable: date prefix + 14 random base-32 characters (70 bits)."""
    return "K" + datetime.now(UTC).strftime("%y%m%d") + "".join(secrets.choice(ORDER_ALPHABET) for _ in range(14))


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def request_hash(cmd: dict[str, Any]) -> bytes:
    return hashlib.sha256(json.dumps(cmd, sort_keys=True, default=str).encode()).digest()


def payment_request(session: Session, payment_no: str) -> dict[str, Any]:
    """What the payment service needs to make the intent of a payment number it sees for the
    first time (its pay link opened, a sandbox payment): the `payment_requested` data. Only for
    an order whose payment is taken now (awaiting it, or late after expiry or cancel)."""
    found = saga.by_payment_no(session, payment_no)
    if found is None:
        raise NotFound("no such payment", {"payment_no": payment_no})
    if found.status not in saga.PAYABLE:
        raise Conflict(f"not payable while the order is {found.status}", {"status": found.status})
    return saga.request_data(found, "payment_requested")


def check_channel(cmd: dict[str, Any], channels: Collection[str]) -> None:
    """Before anything is asked: the buyer's payment channel is one switched on."""
    if cmd["payment_channel"] not in channels:
        raise InvalidInput(
            "this payment channel is not available",
            {"fields": {"payment_channel": [f"choose one of {sorted(channels)}"]}},
        )


def check_takes(cmd: dict[str, Any], currency: str, channels: Collection[str], takes: Collection[str]) -> None:
    """The buyer's channel takes `currency` (`takes`: the channels that do), or InvalidInput naming
    the enabled ones that do."""
    if cmd["payment_channel"] not in takes:
        choose = sorted(c for c in channels if c in takes)
        raise InvalidInput(
            f"this payment channel does not take {currency}",
            {"fields": {"payment_channel": [f"for this product choose one of {choose}"]}},
        )


def check_quote(cmd: dict[str, Any], quote: dict[str, Any], channels: Collection[str], takes: Collection[str]) -> None:
    """Once the catalog answered: the channel takes the product's currency, and a recharge
    product has the account to recharge. `takes`: the channels the payment service says take it."""
    check_takes(cmd, quote["currency"], channels, takes)
    if quote["delivery"] == "recharge" and not cmd.get("recharge_account"):
        raise InvalidInput(
            "a recharge product needs the account to recharge",
            {"fields": {"recharge_account": ["required for this product"]}},
        )


def with_items(order_view: dict[str, Any], get_codes: Callable[[str], list[dict[str, Any]]]) -> dict[str, Any]:
    """The buyer's view plus the delivered codes (decrypted by the catalog for this order only)."""
    shown = order_view["status"] in CODES_VISIBLE
    return {
        **order_view,
        "items": [{"code": c["code"], "secret": c["secret"]} for c in get_codes(order_view["order_no"])]
        if shown
        else [],
    }


CODES_VISIBLE = {"completed"}


def mark_codes_shown(session: Session, order_view: dict[str, Any]) -> None:
    """Remember the first time the buyer saw the codes: a refund then knows they were revealed."""
    if order_view["status"] in CODES_VISIBLE:
        session.execute(
            update(Order)
            .where(Order.order_no == order_view["order_no"], Order.codes_shown_at.is_(None))
            .values(codes_shown_at=func.now())
        )


def new_payment_no() -> str:
    """Fixed at acceptance (DESIGN §3); random, as unpredictable as the order number."""
    return "P" + "".join(secrets.choice(ORDER_ALPHABET) for _ in range(20))


def new_order(
    cmd: dict[str, Any], quote: dict[str, Any], window_s: float, public_url: str, order_no: str | None = None
) -> tuple[OrderRow, str]:
    """A new order at the quoted price, not stored yet (`saga.start` then `saga.insert`), its
    payment number and pay link fixed (the link leads through the gateway, which has the payment
    service make the intent when the buyer opens it). Answers (order, token)."""
    token = secrets.token_urlsafe(24)  # 192 bits; only its hash is kept
    payment_no = new_payment_no()
    order = saga.OrderRow(
        {
            "order_no": order_no or new_order_no(),
            "token_hash": token_hash(token),
            "sku": cmd["sku"],
            "delivery": quote["delivery"],
            "quantity": cmd["quantity"],
            "unit_price": quote["unit_price"],
            "amount": quote["total"],
            "currency": quote["currency"],
            "price_rule": quote["rule"],
            "contact": cmd["contact"],
            "recharge_account": cmd.get("recharge_account"),
            "coupon": (quote["rule"].get("coupon") or {}).get("code"),  # as the catalog redeemed it
            "payment_channel": cmd["payment_channel"],
            "payment_no": payment_no,
            "pay_url": f"{public_url}/pay/{payment_no}",
            "late": False,
            "attempts": 0,
            "last_requests": [],
            "expires_at": datetime.now(UTC) + timedelta(seconds=window_s),
        }
    )
    return order, token


def claim_key(session: Session, keys: DataKeys, key: str, cmd: dict[str, Any]) -> dict[str, Any] | None:
    """Before creating: None for a fresh key (now claimed in this transaction), or the earlier
    answer to replay. Same key, other body: 422. Same key still in progress: 409."""
    digest = request_hash(cmd)
    if take_key(session, key, digest, expires=True):
        return None
    row = session.get(IdempotencyKey, key)
    assert row is not None  # the insert above met it
    if not hmac.compare_digest(row.request_hash, digest):
        raise IdempotencyMismatch("this Idempotency-Key was used with another request", {})
    if row.response is None:
        raise Conflict("a request with this Idempotency-Key is still in progress", {})
    return json.loads(keys.decrypt(row.response))


def take_key(session: Session, key: str, digest: bytes, expires: bool) -> bool:
    """Claim `key` in this transaction for a creation about to start (True); False when it is
    held. A claim whose creation died before making its order is taken over after ABANDONED_CLAIM;
    with `expires`, a remembered answer past IDEMPOTENCY_TTL too (an agent's order ids never expire)."""
    stale = IdempotencyKey.order_no.is_(None) & (IdempotencyKey.created_at < func.now() - ABANDONED_CLAIM)
    if expires:
        stale = stale | (IdempotencyKey.created_at < func.now() - IDEMPOTENCY_TTL)
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.key == key, stale))
    fresh = session.execute(
        insert(IdempotencyKey)
        .values(key=key, request_hash=digest)
        .on_conflict_do_nothing()
        .returning(IdempotencyKey.key)
    ).first()
    return fresh is not None


def drop_key(session: Session, key: str) -> None:
    """A claimed key whose order was never made (the creation failed): free for a retry."""
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.key == key, IdempotencyKey.order_no.is_(None)))


def bind_key(session: Session, keys: DataKeys, key: str, order: OrderRow, token: str) -> None:
    session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.key == key)
        .values(order_no=order.order_no, token=keys.encrypt(token))
    )


def remember_answer(session: Session, keys: DataKeys, key: str, answer: dict[str, Any]) -> None:
    """The first answer (status and body, token included), encrypted, for replays."""
    session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.key == key, IdempotencyKey.response.is_(None))
        .values(response=keys.encrypt(json.dumps(answer)))
    )


def order(session: Session, order_no: str) -> OrderRow:
    """A plain read (no lock: polling must not queue behind the saga)."""
    found = saga.read(session, order_no)
    if found is None:
        raise NotFound("no such order", {"order_no": order_no})
    return found


def for_buyer(session: Session, order_no: str, token: str | None) -> OrderRow:
    """The order if `token` is its token; NotFound otherwise, the same for an unknown order,
    after the same work (a hash and a constant-time compare)."""
    order = saga.read(session, order_no) if order_no else None
    expected = bytes(order.token_hash) if order is not None else DUMMY_HASH
    if not hmac.compare_digest(expected, token_hash(token or "")) or order is None:
        raise NotFound("no such order", {})
    return order


def cancel(session: Session, order_no: str, token: str | None) -> OrderRow:
    for_buyer(session, order_no, token)
    order = saga.lock(session, order_no)  # read afresh under the lock
    saga.require(order, "cancel_requested")
    return saga.apply(session, order, "cancel_requested", {"by": "buyer"})


def refund(session: Session, actor: str, order_no: str, reason: str) -> OrderRow:
    order = saga.lock(session, order_no)
    saga.require(order, "refund_ordered")
    shown = order.codes_shown_at is not None
    audit.record(session, actor, "order.refund", order_no, {"reason": reason, "codes_shown": shown})
    return saga.apply(session, order, "refund_ordered", {"reason": reason, "by": actor, "codes_shown": shown})


def admin_view(session: Session, order_no: str) -> dict[str, Any]:
    order = session.get(Order, order_no)
    if order is None:
        raise NotFound("no such order", {"order_no": order_no})
    timeline = session.scalars(select(Transition).where(Transition.order_no == order_no).order_by(Transition.id)).all()
    return {
        **view(order),
        "contact": order.contact,
        "unit_price": order.unit_price,
        "price_rule": order.price_rule,
        "reason": order.reason,
        "late": order.late,
        "recharge_account": order.recharge_account,
        "created_at": isoformat(order.created_at),
        "paid_at": order.paid_at and isoformat(order.paid_at),
        "completed_at": order.completed_at and isoformat(order.completed_at),
        "codes_shown_at": order.codes_shown_at and isoformat(order.codes_shown_at),
        "timeline": [
            {"from": t.from_status, "to": t.to_status, "event": t.event, "data": t.data, "at": isoformat(t.at)}
            for t in timeline
        ],
    }


def search(
    session: Session,
    status: str | None = None,
    contact: str | None = None,
    sku: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    before: str | None = None,
) -> list[dict[str, Any]]:
    query = select(Order).order_by(Order.created_at.desc(), Order.order_no.desc()).limit(limit)
    for column, value in ((Order.status, status), (Order.contact, contact), (Order.sku, sku)):
        if value:
            query = query.where(column == value)
    if since:
        query = query.where(Order.created_at >= since)
    if until:
        query = query.where(Order.created_at < until)
    if before:
        query = query.where(
            Order.order_no != before,
            Order.created_at <= select(Order.created_at).where(Order.order_no == before).scalar_subquery(),
        )
    return [{**view(o), "contact": o.contact, "created_at": isoformat(o.created_at)} for o in session.scalars(query)]


def sweep_keys(session: Session) -> None:
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < func.now() - IDEMPOTENCY_TTL))


def integrity_facts(session: Session, days: int) -> list[list[Any]]:
    """For the integrity check (services/audit/integrity.py): the orders of the last `days` days as
    [order_no, status, quantity, delivery, paid, seconds since paid (or created), payment channel]."""
    age = func.extract("epoch", func.now() - func.coalesce(Order.paid_at, Order.created_at))
    rows = session.execute(
        select(
            Order.order_no,
            Order.status,
            Order.quantity,
            Order.delivery,
            Order.paid_at.is_not(None),
            age,
            Order.payment_channel,
        ).where(Order.created_at > func.now() - timedelta(days=days))
    ).all()
    return [
        [no, status, quantity, delivery, paid, float(seconds), channel]
        for no, status, quantity, delivery, paid, seconds, channel in rows
    ]
