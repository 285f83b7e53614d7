"""Inventory pushed in by suppliers (DESIGN §6, `POST /api/v1/supplier/inventory`): checked in
the order the contract answers them -- the signature (401), the batch's shape (400), the
supplier's standing and the SKU's mapping (403), the product's kind (400), the batch_id's reuse
(422) -- in one transaction, so a refused push writes nothing, not even its nonce. An accepted one
is a `Batch` row and an `inventory_pushed` event in that same transaction; the catalog imports it
through the admin import's path and answers `inventory_imported`, which marks the batch done.

Codes cross the outbox encrypted (DataKeys, base64 text): the outbox is data at rest."""

import base64
import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.common import outbox, signing
from services.common.crypto import DataKeys
from services.common.errors import Forbidden, IdempotencyMismatch, InvalidInput, NotFound, load
from services.supplier import registry, schemas
from services.supplier.keys import authenticate
from services.supplier.models import Batch

log = logging.getLogger(__name__)

PUSH = schemas.InventoryPush()
IMPORTED = schemas.InventoryImported()


class Push(NamedTuple):
    """A push's body as read before the caller is known: its fields, or the fault found in it
    (raised only once the signature is good: a stranger learns nothing from a 400)."""

    fields: dict[str, Any] | None
    fault: InvalidInput | None
    body_hash: str


def read(body: Any) -> Push:
    try:
        return Push(load(PUSH, body), None, body_hash(body))
    except InvalidInput as exc:
        return Push(None, exc, "")


def body_hash(body: Any) -> str:
    """The body's content, whatever its key order or spacing: a retry is the same batch."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def product_of(get_product: Callable[[str], dict[str, Any]], push: Push) -> dict[str, Any] | None:
    """The catalog's product for the push (None: unknown or inactive). Asked before the
    transaction: no RPC call while it holds the nonce's row."""
    if push.fields is None:
        return None
    try:
        return get_product(push.fields["sku"])
    except NotFound:
        return None


def push(
    session: Session,
    keys: DataKeys,
    signed: signing.Signed,
    pushed: Push,
    product: dict[str, Any] | None,
    today: date,
) -> dict[str, str]:
    supplier = authenticate(session, keys, signed)
    if pushed.fault is not None or pushed.fields is None:
        raise pushed.fault or InvalidInput("invalid input")
    f = pushed.fields
    reason = registry.refusal(supplier, today)
    if reason:
        raise Forbidden("this supplier may not push inventory now", {"reason": reason})
    if product is None or registry.sourcing(session, supplier.id, f["sku"]) is None:
        raise Forbidden("this SKU is unknown or not mapped to this supplier", {"reason": "sku_not_mapped"})
    if product["delivery"] == "loop":  # one code sold many times (issue 24): its admin imports it, sets its cap
        raise InvalidInput("a loop product takes neither pushed codes nor a stock level", {"sku": f["sku"]})
    if "codes" in f and product["delivery"] != "card":
        raise InvalidInput("codes pushed to counted goods: push a stock level", {"sku": f["sku"]})
    if "stock" in f and product["delivery"] == "card":
        raise InvalidInput("a stock level pushed to card goods: push its codes", {"sku": f["sku"]})
    return submit(
        session,
        keys,
        supplier.id,
        f["batch_id"],
        f["sku"],
        pushed.body_hash,
        codes=f.get("codes"),
        stock=f.get("stock"),
    )


def submit(
    session: Session,
    keys: DataKeys,
    supplier_id: int,
    batch_id: str,
    sku: str,
    body_hash: str,
    *,
    codes: Sequence[dict[str, Any]] | None = None,
    stock: int | None = None,
) -> dict[str, str]:
    """Record a batch and hand it to the catalog (`inventory_pushed`), once per (supplier,
    batch_id): the same body again answers as the first time and adds nothing; another body is
    422. `codes`: [{"code", "secret"?, "expires_on"? (date or YYYY-MM-DD)}]; or `stock`: the
    supplier's absolute level of a counted SKU. The caller has checked who may push what."""
    if (codes is None) == (stock is None):
        raise ValueError("a batch carries codes or a stock level")
    kind = "codes" if codes is not None else "stock"
    fresh = session.execute(
        insert(Batch)
        .values(
            supplier_id=supplier_id,
            batch_id=batch_id,
            sku=sku,
            kind=kind,
            body_hash=body_hash,
            lines=len(codes or ()),
            stock=stock,
        )
        .on_conflict_do_nothing()
        .returning(Batch.batch_id)
    ).first()
    if fresh is None:
        first = session.get_one(Batch, (supplier_id, batch_id))
        if first.body_hash != body_hash:
            raise IdempotencyMismatch("this batch_id was used with another body", {"batch_id": batch_id})
        return {"batch_id": batch_id, "status": "pending"}  # the first answer, again
    data: dict[str, Any] = {"supplier_id": supplier_id, "batch_id": batch_id, "sku": sku, "kind": kind}
    if codes is not None:
        data["lines"] = seal(keys, codes)
    else:
        data["stock"] = stock
    outbox.add(session, "inventory_pushed", data)
    return {"batch_id": batch_id, "status": "pending"}


def seal(keys: DataKeys, codes: Sequence[dict[str, Any]]) -> str:
    """[[line_no, code, secret, expires_on], ...] as JSON, encrypted, as base64 text."""
    lines = [
        [n, c["code"], c.get("secret"), str(c["expires_on"]) if c.get("expires_on") else None]
        for n, c in enumerate(codes, 1)
    ]
    return base64.b64encode(keys.encrypt(json.dumps(lines, ensure_ascii=False))).decode("ascii")


def view(session: Session, keys: DataKeys, signed: signing.Signed, batch_id: str) -> dict[str, Any]:
    """`GET /api/v1/supplier/inventory/{batch_id}`: the caller's own batch (another's is 404)."""
    supplier = authenticate(session, keys, signed)
    batch = session.get(Batch, (supplier.id, batch_id))
    if batch is None:
        raise NotFound("no such batch", {"batch_id": batch_id})
    return {
        "batch_id": batch.batch_id,
        "status": batch.status,
        "imported": batch.imported,
        "duplicates": batch.duplicates,
        "rejected": batch.rejected,
    }


def on_inventory_imported(session: Session, envelope: dict[str, Any]) -> None:
    """The catalog took the batch in: it is done, with its counts."""
    d = load(IMPORTED, envelope["data"])
    batch = session.get(Batch, (d["supplier_id"], d["batch_id"]), with_for_update=True)
    if batch is None:
        log.warning("inventory_imported for an unknown batch of supplier %s", d["supplier_id"])
        return
    if batch.status != "done":
        batch.status, batch.done_at = "done", func.now()
        batch.imported, batch.duplicates, batch.rejected = d["imported"], d["duplicates"], d["rejected"]
