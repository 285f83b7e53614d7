"""Who may be used (issue 17, DESIGN §7 compliance): only an approved supplier whose
qualification is still valid can be enabled, and only an enabled one is pushed from, bought from
or asked to recharge. The registry's admin commands (create, approve, enable, disable, suspend,
the connection to the supplier's own API) and its views live here; what a supplier sources is in
`services.supplier.sourcing_admin`, the expiry timer in `services.supplier.qualification`.

Every command locks the supplier's row, leaves an audit row naming the actor, and, when the
supplier becomes usable or stops being usable, writes `supplier_availability_changed`
{"supplier_id", "usable"} to the outbox in the same transaction."""

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.common import audit, outbox
from services.common.crypto import DataKeys
from services.common.envelope import isoformat
from services.common.errors import Conflict, InvalidInput, NotFound
from services.supplier import adapters, keys as supplier_keys
from services.supplier.models import Sourcing, Supplier

NOT_APPROVED, DISABLED, EXPIRED = "not_approved", "disabled", "qualification_expired"
AVAILABILITY_CHANGED = "supplier_availability_changed"
ADAPTERS = adapters.KINDS  # the protocols services/supplier/adapters/ speaks
MERCHANT_TZ = ZoneInfo("Asia/Shanghai")  # a qualification is valid through its last day, the merchant's day
LONGEST = timedelta(days=20 * 366)  # a qualification further out than this is a typing mistake


def today() -> date:
    """The merchant's date: what `valid_until` is compared with."""
    return datetime.now(MERCHANT_TZ).date()


def now() -> datetime:
    return datetime.now(UTC)


def refusal(supplier: Supplier, today: date) -> str | None:
    """Why this supplier may not be used today (None: it may)."""
    if supplier.status != "approved":
        return NOT_APPROVED
    if supplier.valid_until is None or supplier.valid_until < today:
        return EXPIRED
    if not supplier.enabled:
        return DISABLED
    return None


def sourcing(session: Session, supplier_id: int, sku: str) -> Sourcing | None:
    """This supplier's enabled mapping of the SKU (None: the SKU is not mapped to it)."""
    row = session.get(Sourcing, (supplier_id, sku))
    return row if row is not None and row.enabled else None


def candidates(session: Session, sku: str, today: date) -> list[tuple[Supplier, Sourcing]]:
    """The usable suppliers of a SKU, best first: by priority (lower first), then cost. The
    circuit breaker's view of health is applied by its caller (recharge, replenish)."""
    rows = session.execute(
        select(Supplier, Sourcing)
        .join(Sourcing, Sourcing.supplier_id == Supplier.id)
        .where(Sourcing.sku == sku, Sourcing.enabled, Supplier.enabled, Supplier.status == "approved")
        .where(Supplier.valid_until >= today)
        .order_by(Sourcing.priority, Sourcing.cost_price, Supplier.id)
    ).all()
    return [(supplier, source) for supplier, source in rows]


# -- commands ------------------------------------------------------------------------------------


def locked(session: Session, supplier_id: int) -> Supplier:
    supplier = session.get(Supplier, supplier_id, with_for_update=True)
    if supplier is None:
        raise NotFound("no such supplier", {"id": supplier_id})
    return supplier


def live(supplier: Supplier) -> bool:
    """What was last announced: approved and enabled. (Its qualification is checked when it is
    enabled or approved; once past, the expiry timer disables it and announces that.)"""
    return supplier.status == "approved" and supplier.enabled


def announce(session: Session, supplier: Supplier, was_live: bool) -> None:
    if live(supplier) != was_live:
        outbox.add(session, AVAILABILITY_CHANGED, {"supplier_id": supplier.id, "usable": live(supplier)})


def create(session: Session, actor: str, new: dict[str, Any]) -> dict[str, Any]:
    supplier_id = session.execute(
        insert(Supplier)
        .values(name=new["name"], contact=new["contact"])
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(Supplier.id)
    ).scalar()
    if supplier_id is None:
        raise Conflict("a supplier with this name exists", {"name": new["name"]})
    audit.record(session, actor, "supplier.created", str(supplier_id), new)
    return view(locked(session, supplier_id))


def approve(session: Session, actor: str, supplier_id: int, review: dict[str, Any], on: date) -> dict[str, Any]:
    """A (re)review: the documents and the date the qualification runs to. Approving a suspended
    supplier reinstates it (disabled: an admin enables it); approving an approved one renews it."""
    if not on < review["valid_until"] <= on + LONGEST:
        raise InvalidInput("invalid input", {"fields": {"valid_until": ["must be after today, within 20 years"]}})
    supplier = locked(session, supplier_id)
    was = live(supplier)
    supplier.status, supplier.documents, supplier.valid_until = "approved", review["documents"], review["valid_until"]
    supplier.reviewer, supplier.reviewed_at, supplier.updated_at = actor, now(), now()
    data = {"documents": review["documents"], "valid_until": review["valid_until"].isoformat()}
    audit.record(session, actor, "supplier.approved", str(supplier_id), data)
    announce(session, supplier, was)
    return view(supplier)


def enable(session: Session, actor: str, supplier_id: int, on: date) -> dict[str, Any]:
    supplier = locked(session, supplier_id)
    why = refusal(supplier, on)
    if why not in (None, DISABLED):
        raise Conflict("only an approved supplier with a valid qualification can be enabled", {"reason": why})
    return _switch(session, actor, supplier, enabled=True, action="supplier.enabled")


def disable(session: Session, actor: str, supplier_id: int, on: date) -> dict[str, Any]:
    return _switch(session, actor, locked(session, supplier_id), enabled=False, action="supplier.disabled")


def suspend(session: Session, actor: str, supplier_id: int, on: date) -> dict[str, Any]:
    """Out of use until reviewed again (approve)."""
    supplier = locked(session, supplier_id)
    return _switch(session, actor, supplier, enabled=False, action="supplier.suspended", status="suspended")


ACTIONS = {"enable": enable, "disable": disable, "suspend": suspend}


def _switch(
    session: Session, actor: str, supplier: Supplier, enabled: bool, action: str, status: str | None = None
) -> dict[str, Any]:
    was = live(supplier)
    if supplier.enabled != enabled or (status and supplier.status != status):
        supplier.enabled, supplier.status = enabled, status or supplier.status
        supplier.updated_at = now()
        audit.record(session, actor, action, str(supplier.id), {})
        announce(session, supplier, was)
    return view(supplier)


def connect(session: Session, keys: DataKeys, actor: str, supplier_id: int, conn: dict[str, Any]) -> dict[str, Any]:
    """How to reach the supplier's own API. Credentials left out are kept; null clears them.
    They are stored encrypted and never shown, logged or audited: only whether they changed."""
    if conn["adapter"] not in ADAPTERS:
        raise InvalidInput("invalid input", {"fields": {"adapter": [f"one of: {', '.join(ADAPTERS)}"]}})
    supplier = locked(session, supplier_id)
    supplier.adapter, supplier.base_url, supplier.settings = conn["adapter"], conn["base_url"], conn["settings"]
    changed = "credentials" in conn
    if changed:
        creds = conn["credentials"]
        supplier.credentials = None if creds is None else keys.encrypt(json.dumps(creds, sort_keys=True))
    supplier.updated_at = now()
    data = {"adapter": conn["adapter"], "base_url": conn["base_url"], "credentials_changed": changed}
    audit.record(session, actor, "supplier.connection_set", str(supplier_id), data)
    return view(supplier)


def credentials(keys: DataKeys, supplier: Supplier) -> dict[str, str]:
    """The decrypted credentials, for an adapter (never for an answer or a log line)."""
    return json.loads(keys.decrypt(supplier.credentials)) if supplier.credentials else {}


# -- views ---------------------------------------------------------------------------------------


def timestamp(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return isoformat(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def view(supplier: Supplier, on: date | None = None) -> dict[str, Any]:
    """A supplier as the admin sees it: never its credentials, only whether they are set."""
    on = on or today()
    until = supplier.valid_until
    return {
        "id": supplier.id,
        "name": supplier.name,
        "contact": supplier.contact,
        "status": supplier.status,
        "enabled": bool(supplier.enabled),
        "usable": refusal(supplier, on) is None,
        "refusal": refusal(supplier, on),
        "documents": list(supplier.documents or []),
        "valid_until": until.isoformat() if until else None,
        "expires_in_days": (until - on).days if until else None,
        "reviewer": supplier.reviewer,
        "reviewed_at": timestamp(supplier.reviewed_at),
        "connection": {
            "adapter": supplier.adapter,
            "base_url": supplier.base_url,
            "settings": dict(supplier.settings or {}),
            "credentials_set": supplier.credentials is not None,
        },
        "circuit": supplier.circuit,
        "created_at": timestamp(supplier.created_at),
        "updated_at": timestamp(supplier.updated_at),
    }


def get(session: Session, supplier_id: int) -> dict[str, Any]:
    supplier = session.get(Supplier, supplier_id)
    if supplier is None:
        raise NotFound("no such supplier", {"id": supplier_id})
    return view(supplier)


def listed(session: Session, limit: int = 500) -> list[dict[str, Any]]:
    on = today()
    return [view(s, on) for s in session.scalars(select(Supplier).order_by(Supplier.name).limit(limit))]


def key_views(session: Session, supplier_id: int) -> list[dict[str, Any]]:
    """A supplier's signing keys, live and revoked (never a secret)."""
    get(session, supplier_id)
    return [
        {**key, "created_at": timestamp(key["created_at"]), "revoked_at": timestamp(key["revoked_at"])}
        for key in supplier_keys.listed(session, supplier_id)
    ]
