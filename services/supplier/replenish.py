"""Auto-replenishment (issue 17): when a card SKU's stock falls below its threshold, the catalog
says `stock_low` once per crossing; this module buys codes from the SKU's best usable supplier
(enabled, qualified, circuit not open; by priority, then cost), hands them to the catalog through
the same path as a supplier's push (`batches.submit`: same dedupe, encryption and report), and,
once imported, says `stock_replenished`.

A spending cap per SKU and per hour bounds what a bug could ever buy: a purchase reserves its
cost against the cap when it is planned (under a per-SKU lock), so concurrent plans cannot
overspend; what was not spent is given back when the purchase ends.

The supplier is called outside any transaction: plan (one commit), buy (HTTP), record (one commit).
A purchase left `buying` by a crash is bought again with the same request id, which the supplier
answers with the same codes (bought once)."""

import hashlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import BigInteger, func, select, text, update
from sqlalchemy.orm import Session

from services.common import outbox
from services.common.crypto import DataKeys
from services.common.db import after_commit
from services.supplier import batches, connect, metrics, registry
from services.supplier.adapters.base import Adapter, PurchasedCode, SupplierError
from services.supplier.models import Purchase, Sourcing, Supplier

log = logging.getLogger(__name__)

BUYING, BOUGHT, FAILED, CAPPED = "buying", "bought", "failed", "capped"
MAX_BATCH = 10_000  # the most one purchase buys (a push's limit too)
# a purchase's batch: named by its request id, which no supplier can guess for a batch of its own
BATCH_PREFIX = "kameng-replenish-"


@dataclass(frozen=True)
class Plan:
    purchase_id: int
    supplier_id: int
    supplier: str  # its id as text: the metrics' label
    product_id: str
    quantity: int
    unit_cost: int
    request_id: str


def wanted(available: int, threshold: int) -> int:
    """How many codes refill the SKU: up to twice its threshold (at least one)."""
    return max(1, 2 * max(threshold, 1) - max(available, 0))


def spent_this_hour(session: Session, sku: str) -> int:
    """What the SKU's purchases spent or hold reserved in the last hour."""
    return session.scalar(  # type: ignore[return-value]  # an aggregate always answers a row
        select(func.coalesce(func.sum(Purchase.cost), 0).cast(BigInteger)).where(
            Purchase.sku == sku,
            Purchase.status.in_((BUYING, BOUGHT)),
            Purchase.created_at > func.now() - text("interval '1 hour'"),
        )
    )


def affordable(quantity: int, unit_cost: int, cap: int, spent: int) -> int:
    """The part of `quantity` the cap still allows."""
    if unit_cost <= 0:
        return quantity
    return max(0, min(quantity, (cap - spent) // unit_cost))


def plan(
    session: Session,
    sku: str,
    quantity: int,
    trigger: str,
    today: date,
    default_cap: int,
    healthy: Callable[[Supplier], bool],
    exclude: Iterable[int] = (),
) -> Plan | None:
    """Choose the supplier and reserve the purchase's cost against the cap (one per SKU at a
    time: a transaction-scoped advisory lock). None when nobody can sell or the cap is spent."""
    session.execute(select(func.pg_advisory_xact_lock(func.hashtext("supplier.replenish:" + sku))))
    skip = set(exclude)
    choices = [(s, src) for s, src in registry.candidates(session, sku, today) if s.id not in skip and healthy(s)]
    if not choices:
        log.warning("replenish %s: no usable supplier", sku)
        return None
    supplier, source = choices[0]
    cap = source.hourly_cap if source.hourly_cap is not None else default_cap
    count = affordable(min(quantity, MAX_BATCH), source.cost_price, cap, spent_this_hour(session, sku))
    status = BUYING if count else CAPPED
    purchase = Purchase(
        sku=sku,
        supplier_id=supplier.id,
        request_id=hashlib.sha256(f"{trigger}:{supplier.id}".encode()).hexdigest()[:32],
        trigger=trigger,
        quantity=count,
        unit_cost=source.cost_price,
        cost=count * source.cost_price,
        status=status,
        reason=None if count else "hourly_cap",
    )
    session.add(purchase)
    session.flush()
    if not count:
        log.warning("replenish %s: the hourly cap of %d is spent; nothing bought", sku, cap)
        after_commit(session, metrics.CAPPED.labels(sku).inc)
        return None
    return Plan(
        purchase.id,
        supplier.id,
        supplier.name,
        source.supplier_product_id,
        count,
        source.cost_price,
        purchase.request_id,
    )


def bought(session: Session, keys: DataKeys, p: Plan, sku: str, codes: list[PurchasedCode]) -> None:
    """Record what was bought and hand the codes to the catalog's import (as a batch of its own)."""
    purchase = session.get(Purchase, p.purchase_id, with_for_update=True)
    if purchase is None or purchase.status != BUYING:
        return  # recorded already (a resumed purchase)
    purchase.status, purchase.bought = BOUGHT, len(codes)
    purchase.cost, purchase.finished_at = len(codes) * purchase.unit_cost, func.now()
    lines = [
        {"code": c.code, "secret": c.secret, "expires_on": c.expires_on.isoformat() if c.expires_on else None}
        for c in codes
    ]
    batches.submit(session, keys, p.supplier_id, f"{BATCH_PREFIX}{p.request_id}", sku, p.request_id, codes=lines)


def failed(session: Session, purchase_id: int, reason: str) -> None:
    session.execute(
        update(Purchase)
        .where(Purchase.id == purchase_id, Purchase.status == BUYING)
        .values(status=FAILED, cost=0, reason=reason[:200], finished_at=func.now())
    )


def on_inventory_imported(session: Session, envelope: dict[str, Any]) -> None:
    """The catalog imported a batch: it is done; a replenishment's also says `stock_replenished`."""
    batches.on_inventory_imported(session, envelope)
    data = envelope["data"]
    batch_id = str(data.get("batch_id", ""))
    if not batch_id.startswith(BATCH_PREFIX):
        return
    purchase = session.scalar(
        select(Purchase).where(
            Purchase.request_id == batch_id.removeprefix(BATCH_PREFIX), Purchase.supplier_id == data["supplier_id"]
        )
    )
    if purchase is None:
        return
    outbox.add(
        session,
        "stock_replenished",
        {
            "sku": purchase.sku,
            "supplier_id": purchase.supplier_id,
            "purchase_id": purchase.id,
            "bought": purchase.bought,
            "imported": data.get("imported", 0),
            "cost": purchase.cost,
        },
    )


def left_buying(session: Session, older_than_s: int = 60, limit: int = 20) -> list[tuple[Plan, str]]:
    """Purchases a crash left between plan and record, to buy again with their request ids."""
    rows = session.execute(
        select(Purchase, Sourcing.supplier_product_id)
        .join(Sourcing, (Sourcing.supplier_id == Purchase.supplier_id) & (Sourcing.sku == Purchase.sku))
        .where(Purchase.status == BUYING, Purchase.created_at < func.now() - text(f"interval '{int(older_than_s)} s'"))
        .order_by(Purchase.id)
        .limit(limit)
        .with_for_update(of=Purchase, skip_locked=True)
    ).all()
    return [
        (Plan(p.id, p.supplier_id, str(p.supplier_id), product_id, p.quantity, p.unit_cost, p.request_id), p.sku)
        for p, product_id in rows
    ]


def buy(adapter: Adapter, p: Plan) -> list[PurchasedCode]:
    """The supplier call itself (no transaction open). Raises SupplierError."""
    started = time.monotonic()
    try:
        codes = adapter.buy_codes(p.product_id, p.quantity, p.request_id)
        if len(codes) > p.quantity:
            raise SupplierError(f"asked for {p.quantity} codes, got {len(codes)}")
    except SupplierError:
        metrics.ATTEMPTS.labels(p.supplier, "buy", "failed").inc()
        raise
    finally:
        metrics.CALL_SECONDS.labels(p.supplier, "buy").observe(time.monotonic() - started)
    metrics.ATTEMPTS.labels(p.supplier, "buy", "succeeded").inc()
    return codes


class Replenisher:
    """One replenishment from plan to import, each step in its own transaction and the supplier
    asked between them; on a supplier's failure the next usable one is tried, within the cap."""

    def __init__(
        self, db: Any, keys: DataKeys, timeout_s: float, default_cap: int, healthy: Callable[[Supplier], bool]
    ):
        self.db, self.keys, self.timeout_s, self.default_cap, self.healthy = db, keys, timeout_s, default_cap, healthy

    def first(self, session: Session, envelope: dict[str, Any]) -> Plan | None:
        """`stock_low` -> the first purchase (run with the event's inbox row: once per crossing)."""
        d = envelope["data"]
        quantity = wanted(int(d["available"]), int(d["threshold"]))
        return plan(session, d["sku"], quantity, envelope["event_id"], registry.today(), self.default_cap, self.healthy)

    def carry_out(self, p: Plan | None, sku: str, trigger: str) -> None:
        tried: list[int] = []
        while p is not None:
            tried.append(p.supplier_id)
            try:
                with self.db.transaction() as session:
                    endpoint = connect.Endpoint.of(session.get_one(Supplier, p.supplier_id))
                codes = buy(connect.adapter(endpoint, self.keys, self.timeout_s), p)
            except (SupplierError, ValueError) as exc:  # ValueError: no usable connection set
                log.warning("replenish %s: %s failed: %s", sku, p.supplier, exc)
                with self.db.transaction() as session:
                    failed(session, p.purchase_id, str(exc))
                    p = plan(
                        session,
                        sku,
                        p.quantity,
                        trigger,
                        registry.today(),
                        self.default_cap,
                        self.healthy,
                        exclude=tried,
                    )
                continue
            with self.db.transaction() as session:
                bought(session, self.keys, p, sku, codes)
            metrics.SPEND.labels(p.supplier, "buy").inc(len(codes) * p.unit_cost)
            log.info("replenish %s: bought %d codes from %s", sku, len(codes), p.supplier)
            return

    def resume(self) -> None:
        """Purchases a crash left `buying`: asked again with their own request ids."""
        with self.db.transaction() as session:
            left = left_buying(session)
        for p, sku in left:
            self.carry_out(p, sku, f"resume:{p.purchase_id}")


def listing(session: Session, sku: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Every purchase with its cost, newest first (the admin's view)."""
    query = select(Purchase, Supplier.name).join(Supplier, Supplier.id == Purchase.supplier_id)
    if sku:
        query = query.where(Purchase.sku == sku)
    rows = session.execute(query.order_by(Purchase.id.desc()).limit(limit)).all()
    return [
        {
            "id": p.id,
            "sku": p.sku,
            "supplier_id": p.supplier_id,
            "supplier": name,
            "quantity": p.quantity,
            "bought": p.bought,
            "unit_cost": p.unit_cost,
            "cost": p.cost,
            "status": p.status,
            "reason": p.reason,
            "created_at": p.created_at,
            "finished_at": p.finished_at,
        }
        for p, name in rows
    ]
