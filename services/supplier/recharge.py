"""Direct recharge (直充) with failover across suppliers (DESIGN §3, issue 17).

The delivery service hands a recharge over (`start`, idempotent per order). Each attempt is one
supplier asked once: its row is committed first (status pending, a random `attempt_id` that the
supplier sees as our order id: its idempotency key), the supplier is called after, outside any
transaction, and what it answered is recorded in a new one (`settle`). The answer may be:

- succeeded: the recharge is done, `recharge_succeeded` announced;
- failed (for certain, or never received): the next usable supplier is tried, by the service's own
  `recharge_requested` event; when none is left the recharge fails: `recharge_failed`;
- pending: the supplier took it; its callback or the poller's query settles it;
- unknown (a timeout, a 5xx): it may still succeed. No other supplier is asked until a query has
  settled it (at most one open attempt per order: a partial unique index), so an order is never
  charged at two suppliers.

Callbacks are verified by the supplier's adapter and counted; one that finds its attempt settled
changes nothing, so a second callback counts once. The order's sweeper asks `status` and refunds
only on a definite failure."""

import logging
import secrets
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import eventlet
from marshmallow import EXCLUDE, Schema, fields, validate
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.common import outbox
from services.common.crypto import DataKeys
from services.common.db import Db, after_commit
from services.common.envelope import isoformat
from services.common.errors import InvalidInput, NotFound
from services.supplier import adapters, circuit, connect, metrics, registry
from services.supplier.adapters.base import InvalidCallback, Outcome, RechargeResult
from services.supplier.models import OPEN, Attempt, Recharge, Sourcing, Supplier

log = logging.getLogger(__name__)

TRYING, SUCCEEDED, FAILED, PENDING, UNKNOWN = "trying", "succeeded", "failed", "pending", "unknown"
REQUESTED = "recharge_requested"  # the service's own: try the next supplier of this order
ANNOUNCED = {SUCCEEDED: "recharge_succeeded", FAILED: "recharge_failed"}
NEVER_STARTED = "never_started"


class StartRecharge(Schema):
    """What the delivery service hands over (its delivery_requested data; the rest is ignored)."""

    class Meta:
        unknown = EXCLUDE

    order_no = fields.String(required=True, validate=validate.Length(1, 64))
    sku = fields.String(required=True, validate=validate.Length(1, 64))
    quantity = fields.Integer(required=True, validate=validate.Range(1, 10_000))
    recharge_account = fields.String(required=True, validate=validate.Length(1, 64))


@dataclass(frozen=True)
class Settings:
    callback_base: str  # {PUBLIC_URL}/api/v1/supplier/callback: the supplier's id is appended
    timeout_s: float = 10.0  # one call to a supplier
    query_after_s: float = 5.0  # the first query, after the call's own timeout; doubles per query
    query_max_s: float = 300.0  # the longest wait between two queries
    breaker: circuit.Policy = field(default_factory=circuit.Policy)

    @classmethod
    def of(cls, config: dict[str, Any]) -> "Settings":
        return cls(
            callback_base=f"{str(config.get('PUBLIC_URL', 'http://127.0.0.1:8000')).rstrip('/')}/api/v1/supplier/callback",
            timeout_s=float(config.get("SUPPLIER_TIMEOUT_S", 10)),
            query_after_s=float(config.get("SUPPLIER_QUERY_AFTER_S", 5)),
            query_max_s=float(config.get("SUPPLIER_QUERY_MAX_S", 300)),
            breaker=circuit.Policy(
                int(config.get("SUPPLIER_CIRCUIT_FAILURES", 5)), float(config.get("SUPPLIER_CIRCUIT_COOLDOWN_S", 30))
            ),
        )


@dataclass(frozen=True)
class Call:
    """An attempt to send or to query, carried out of its transaction."""

    attempt_id: str
    endpoint: connect.Endpoint
    product_id: str
    account: str
    quantity: int
    supplier_order_id: str | None = None


# -- handing over -------------------------------------------------------------------------------
def start(session: Session, data: dict[str, Any]) -> dict[str, Any]:
    """Record the recharge once (the first hand-over asks for its first attempt); answers where it
    stands: {"status": trying | succeeded | failed, "reason"}."""
    created = session.execute(
        insert(Recharge)
        .values(order_no=data["order_no"], sku=data["sku"], account=data["recharge_account"], quantity=data["quantity"])
        .on_conflict_do_nothing()
        .returning(Recharge.order_no)
    ).first()
    if created is not None:
        outbox.add(session, REQUESTED, {"order_no": data["order_no"]})
        return {"status": TRYING, "reason": None}
    recharge = session.get(Recharge, data["order_no"])
    assert recharge is not None
    return {"status": recharge.status, "reason": recharge.reason}


def status(session: Session, order_no: str) -> str:
    """For the order's sweeper: succeeded | failed | trying | unknown (an attempt whose outcome is
    not known yet). A recharge never handed over is fenced as failed, so that a hand-over arriving
    after the order gave up cannot start it any more."""
    recharge = session.get(Recharge, order_no, with_for_update=True)
    if recharge is None:
        session.add(Recharge(order_no=order_no, sku="", account="", quantity=0, status=FAILED, reason=NEVER_STARTED))
        return FAILED
    if recharge.status != TRYING:
        return recharge.status
    unknown = session.scalar(select(func.count()).where(Attempt.order_no == order_no, Attempt.status == UNKNOWN))
    return UNKNOWN if unknown else TRYING


def attempts_of(session: Session, order_no: str) -> list[dict[str, Any]]:
    """A recharge's attempts, in order, for support (issue 21): which supplier, the outcome, the
    supplier's own order id, and when."""
    rows = session.execute(
        select(Attempt, Supplier.name)
        .join(Supplier, Supplier.id == Attempt.supplier_id)
        .where(Attempt.order_no == order_no)
        .order_by(Attempt.seq)
    ).all()
    return [
        {
            "seq": a.seq,
            "supplier_id": a.supplier_id,
            "supplier": name,
            "outcome": a.status,
            "reason": a.reason,
            "supplier_order_id": a.supplier_order_id,
            "started_at": isoformat(a.started_at),
            "finished_at": isoformat(a.finished_at) if a.finished_at else None,
        }
        for a, name in rows
    ]


# -- attempts -----------------------------------------------------------------------------------
def attempt(db: Db, keys: DataKeys, settings: Settings, order_no: str) -> None:
    """The next attempt of a recharge, if it needs one: recorded, sent, its answer recorded."""
    with db.transaction() as s:
        call = next_call(s, order_no, registry.today())
    if call is None:
        return
    result = send(call, keys, settings)
    with db.transaction() as s:
        settle(s, call.attempt_id, result, settings.breaker)


def next_call(session: Session, order_no: str, today: date) -> Call | None:
    """A new attempt at the best usable supplier not tried yet (None: nothing to do now). With an
    attempt still open, nothing: its outcome is settled first. With nobody left, the recharge fails."""
    recharge = session.get(Recharge, order_no, with_for_update=True)
    if recharge is None or recharge.status != TRYING:
        return None
    attempts = list(session.scalars(select(Attempt).where(Attempt.order_no == order_no).order_by(Attempt.seq)))
    if any(a.status in OPEN for a in attempts):
        return None
    tried = {a.supplier_id for a in attempts}
    for supplier, source in registry.candidates(session, recharge.sku, today):
        if supplier.id in tried or not circuit.usable(supplier):
            continue
        row = Attempt(
            attempt_id=secrets.token_hex(12),
            order_no=order_no,
            supplier_id=supplier.id,
            seq=len(attempts) + 1,
            status=PENDING,
        )
        session.add(row)
        endpoint = connect.Endpoint.of(supplier)
        return Call(row.attempt_id, endpoint, source.supplier_product_id, recharge.account, recharge.quantity)
    _finish(session, recharge, FAILED, "all_suppliers_failed" if attempts else "no_supplier")
    return None


def send(call: Call, keys: DataKeys, settings: Settings) -> RechargeResult:
    """Ask the supplier (no transaction open). An adapter that cannot be built sent nothing:
    failed; one that breaks mid-call may have sent it: unknown."""
    try:
        adapter = connect.adapter(call.endpoint, keys, settings.timeout_s)
    except (ValueError, KeyError, TypeError) as exc:
        return RechargeResult(Outcome.FAILED, reason=f"adapter not usable: {type(exc).__name__}")
    callback_url = f"{settings.callback_base}/{call.endpoint.supplier_id}"
    with _timed(call, "recharge"):
        try:
            return adapter.recharge(call.product_id, call.account, call.quantity, call.attempt_id, callback_url)
        except Exception as exc:
            log.exception("supplier %s: the recharge call broke", call.endpoint.supplier_id)
            return RechargeResult(Outcome.UNKNOWN, reason=f"adapter error: {type(exc).__name__}")


def settle(
    session: Session,
    attempt_id: str,
    result: RechargeResult,
    policy: circuit.Policy | None,
    supplier_id: int | None = None,
) -> None:
    """Record what a call, a query or a callback said of an attempt. `policy`: the breaker counts
    it (calls and queries; a callback says nothing of the supplier's health). `supplier_id`: a
    callback's sender, which must be the attempt's supplier."""
    found = session.get(Attempt, attempt_id)
    if found is None or (supplier_id is not None and found.supplier_id != supplier_id):
        raise InvalidInput("no such attempt at this supplier", {})
    recharge = session.get(Recharge, found.order_no, with_for_update=True)
    row = session.get(Attempt, attempt_id, with_for_update=True, populate_existing=True)
    assert recharge is not None and row is not None
    outcome = result.outcome
    if policy is not None:
        circuit.record(session, row.supplier_id, outcome in (Outcome.SUCCEEDED, Outcome.PENDING), policy)
    if supplier_id is not None:
        row.callbacks += 1
    if row.status not in OPEN:
        if outcome is Outcome.SUCCEEDED and row.status == FAILED:  # after we moved on: a person must look
            log.error("supplier %s recharged attempt %s after it was settled as failed", row.supplier_id, attempt_id)
        return
    row.supplier_order_id = row.supplier_order_id or result.supplier_order_id
    if outcome in (Outcome.PENDING, Outcome.UNKNOWN):
        row.status = outcome.value
        row.reason = result.reason
        return
    row.status, row.reason, row.finished_at = outcome.value, result.reason, func.now()
    _count(session, row, recharge, outcome)
    if outcome is Outcome.SUCCEEDED:
        _finish(session, recharge, SUCCEEDED, None)
    elif recharge.status == TRYING:
        outbox.add(session, REQUESTED, {"order_no": recharge.order_no})  # the next supplier


def _finish(session: Session, recharge: Recharge, to: str, reason: str | None) -> None:
    if recharge.status != TRYING:
        return
    recharge.status, recharge.reason, recharge.finished_at = to, reason, func.now()
    data = {"order_no": recharge.order_no, "sku": recharge.sku, "quantity": recharge.quantity, "reason": reason}
    outbox.add(session, ANNOUNCED[to], data)


def _count(session: Session, row: Attempt, recharge: Recharge, outcome: Outcome) -> None:
    supplier, spent = str(row.supplier_id), 0
    if outcome is Outcome.SUCCEEDED:
        source = session.get(Sourcing, (row.supplier_id, recharge.sku))
        spent = (source.cost_price if source else 0) * recharge.quantity

    def count() -> None:
        metrics.ATTEMPTS.labels(supplier, "recharge", outcome.value).inc()
        if spent:
            metrics.SPEND.labels(supplier, "recharge").inc(spent)

    after_commit(session, count)


# -- callbacks ----------------------------------------------------------------------------------
def callback(
    db: Db, keys: DataKeys, settings: Settings, supplier_id: int, headers: dict[str, str], body: bytes
) -> dict[str, Any]:
    """A supplier's result callback: verified by its adapter, applied once (a repeat is answered
    the same and changes nothing). Answers what that kind of supplier expects to read back:
    {"status", "content_type", "body"}."""
    with db.transaction() as s:
        supplier = s.get(Supplier, supplier_id)
        if supplier is None or not supplier.adapter:
            raise NotFound("no such supplier", {})
        endpoint = connect.Endpoint.of(supplier)
    try:
        verified = connect.adapter(endpoint, keys, settings.timeout_s).parse_callback(headers, body)
    except (InvalidCallback, ValueError) as exc:
        log.warning("supplier %s: a callback that does not verify (%s)", supplier_id, exc)
        raise InvalidInput("the callback does not verify", {}) from None
    with db.transaction() as s:
        settle(s, verified.attempt_id, verified.result, None, supplier_id=supplier_id)
    status_code, content_type, answer = adapters.callback_ack(endpoint.kind)
    return {"status": status_code, "content_type": content_type, "body": answer}


# -- the poller ---------------------------------------------------------------------------------
def poll(db: Db, keys: DataKeys, settings: Settings, batch: int = 20) -> int:
    """Query the open attempts that are due (their backoff elapsed), several at once."""
    with db.transaction() as s:
        calls = due(s, settings, batch)
    pool = eventlet.GreenPool(10)
    for call, result in zip(calls, pool.imap(lambda c: ask(c, keys, settings), calls), strict=True):
        with db.transaction() as s:
            settle(s, call.attempt_id, result, settings.breaker)
    return len(calls)


def due(session: Session, settings: Settings, batch: int) -> list[Call]:
    """Open attempts whose next query is due, claimed (SKIP LOCKED, their query counted): the
    first after the call's own timeout plus `query_after_s`, then doubling up to `query_max_s`. A
    call still in flight is never queried: a 'not found' then could fail an order it is placing."""
    wait = func.least(settings.query_after_s * func.power(2, Attempt.queries), settings.query_max_s)
    since = func.coalesce(Attempt.last_queried_at, Attempt.started_at + timedelta(seconds=settings.timeout_s))
    rows = session.execute(
        select(Attempt, Recharge, Supplier)
        .join(Recharge, Recharge.order_no == Attempt.order_no)
        .join(Supplier, Supplier.id == Attempt.supplier_id)
        .where(Attempt.status.in_(OPEN), since < func.now() - func.make_interval(0, 0, 0, 0, 0, 0, wait))
        .order_by(Attempt.started_at)
        .limit(batch)
        .with_for_update(of=Attempt, skip_locked=True)
    ).all()
    calls = []
    for row, recharge, supplier in rows:
        row.queries += 1
        row.last_queried_at = func.now()
        endpoint = connect.Endpoint.of(supplier)
        calls.append(Call(row.attempt_id, endpoint, "", recharge.account, recharge.quantity, row.supplier_order_id))
    return calls


def ask(call: Call, keys: DataKeys, settings: Settings) -> RechargeResult:
    try:
        adapter = connect.adapter(call.endpoint, keys, settings.timeout_s)
        with _timed(call, "query"):
            return adapter.query(call.attempt_id, call.supplier_order_id)
    except Exception as exc:  # an answer we cannot read settles nothing
        log.warning("supplier %s: query failed (%s)", call.endpoint.supplier_id, type(exc).__name__)
        return RechargeResult(Outcome.UNKNOWN, reason=f"query error: {type(exc).__name__}")


# -- the breaker's probes -----------------------------------------------------------------------
def probe(db: Db, keys: DataKeys, settings: Settings) -> int:
    """Probe every supplier whose circuit cooled down: closed again if it answers, open if not."""
    with db.transaction() as s:
        endpoints = [connect.Endpoint.of(sup) for sup in circuit.take_probes(s, settings.breaker)]
        circuit.show_all(s)
    for endpoint in endpoints:
        ok = True
        started = time.monotonic()
        try:
            connect.adapter(endpoint, keys, settings.timeout_s).probe()
        except Exception as exc:
            ok = False
            log.warning("supplier %s: probe failed (%s)", endpoint.supplier_id, type(exc).__name__)
        metrics.CALL_SECONDS.labels(str(endpoint.supplier_id), "probe").observe(time.monotonic() - started)
        with db.transaction() as s:
            circuit.probed(s, endpoint.supplier_id, ok)
    return len(endpoints)


class _timed:
    def __init__(self, call: Call, kind: str) -> None:
        self.supplier, self.kind = str(call.endpoint.supplier_id), kind

    def __enter__(self) -> None:
        self.started = time.monotonic()

    def __exit__(self, *exc: object) -> None:
        metrics.CALL_SECONDS.labels(self.supplier, self.kind).observe(time.monotonic() - self.started)
