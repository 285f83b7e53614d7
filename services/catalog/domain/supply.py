"""What upstream suppliers push (issue 17), as the catalog takes it from the supplier service's
events, each in one transaction with its inbox row (`Db.once`), so a redelivery imports once:

- codes go through the admin import's own path (`codes.begin_import`, `stage_fields`,
  `finish_import`): the same dedupe, the same encryption, the same rejected-lines report;
- a stock level (counted goods) replaces that supplier's last report, and the SKU's counted
  stock moves by the difference (`stock.supplied`: stock_low and sold-out news as for any move);
- a supplier no longer usable stops counting (its levels are taken off), usable again adds them
  back.

Every push is answered by `inventory_imported`, which the supplier service records on the batch.
The codes arrive encrypted (DataKeys) and are never logged."""

import base64
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.catalog.domain import codes, stock
from services.catalog.models import Product, SupplierLevel, SupplierState
from services.common import outbox
from services.common.crypto import DataKeys
from services.common.errors import Conflict, NotFound

MAX_REJECTED_SHOWN = 1000  # as the admin import answers: the first thousand
NEVER = datetime(1970, 1, 1, tzinfo=UTC)  # a supplier first seen: any news of it is newer


def occurred_at(envelope: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(envelope["occurred_at"].replace("Z", "+00:00"))


def on_inventory_pushed(session: Session, envelope: dict[str, Any], keys: DataKeys) -> dict[str, Any]:
    d = envelope["data"]
    counts = import_codes(session, keys, d) if d["kind"] == "codes" else report_stock(session, d, occurred_at(envelope))
    result = {"supplier_id": d["supplier_id"], "batch_id": d["batch_id"], "sku": d["sku"], **counts}
    outbox.add(session, "inventory_imported", result)
    return result


def import_codes(session: Session, keys: DataKeys, d: dict[str, Any]) -> dict[str, Any]:
    """The pushed codes, imported as an admin's file is, by `supplier:<id>`."""
    entries = json.loads(keys.decrypt(base64.b64decode(d["lines"])))  # [[line_no, code, secret, expires_on]]
    try:
        import_id = codes.begin_import(session, f"supplier:{d['supplier_id']}", d["sku"], loop_codes=False)["import_id"]
    except (NotFound, Conflict) as exc:  # deactivated, or no longer card goods, since it was accepted
        refused = [{"line": entry[0], "reason": exc.message} for entry in entries]
        return {"imported": 0, "duplicates": 0, "rejected": refused[:MAX_REJECTED_SHOWN]}
    staged = codes.stage_fields(session, keys, import_id, entries)
    counts = codes.finish_import(session, import_id, 0)
    return {**counts, "rejected": staged["rejected"][:MAX_REJECTED_SHOWN]}


def report_stock(session: Session, d: dict[str, Any], at: datetime) -> dict[str, Any]:
    """This supplier's level of the SKU is now `d["stock"]`. A report older than the one kept
    (two pushes handled out of order) changes nothing."""
    nothing = {"imported": 0, "duplicates": 0, "rejected": []}
    product = session.get(Product, d["sku"])
    if product is None or product.delivery in ("card", "loop"):  # card stock is its codes; loop: its cap
        return nothing
    usable = _state(session, d["supplier_id"], share=True).usable
    session.execute(insert(SupplierLevel).values(supplier_id=d["supplier_id"], sku=d["sku"]).on_conflict_do_nothing())
    level = session.get_one(SupplierLevel, (d["supplier_id"], d["sku"]), with_for_update=True, populate_existing=True)
    if level.reported_at is not None and level.reported_at > at:
        return nothing
    change = d["stock"] - level.level
    level.level, level.batch_id, level.reported_at = d["stock"], d["batch_id"], at
    if usable and change:
        stock.supplied(session, product, change)
    return nothing


def on_supplier_availability_changed(session: Session, envelope: dict[str, Any]) -> None:
    """A supplier became unusable (disabled, suspended, expired) or usable again: its reported
    levels stop or start counting in each SKU's stock. News older than the last applied is dropped."""
    d, at = envelope["data"], occurred_at(envelope)
    state = _state(session, d["supplier_id"])
    if state.changed_at > at:
        return
    state.changed_at = at
    if state.usable == bool(d["usable"]):
        return
    state.usable = bool(d["usable"])
    sign = 1 if state.usable else -1
    levels = session.scalars(
        select(SupplierLevel)
        .where(SupplierLevel.supplier_id == d["supplier_id"], SupplierLevel.level > 0)
        .order_by(SupplierLevel.sku)  # stock rows in SKU order, as every batch takes them
        .with_for_update()
    ).all()
    for level in levels:
        stock.supplied(session, session.get_one(Product, level.sku), sign * level.level)


def _state(session: Session, supplier_id: int, share: bool = False) -> SupplierState:
    """The supplier's row, made on first sight (usable: the supplier service accepted its push),
    locked: shared by a report, exclusive by a change of availability."""
    session.execute(
        insert(SupplierState).values(supplier_id=supplier_id, usable=True, changed_at=NEVER).on_conflict_do_nothing()
    )
    return session.get_one(
        SupplierState, supplier_id, with_for_update={"read": True} if share else True, populate_existing=True
    )
