"""Timed campaigns (issue 22): a named weekly schedule (weekdays, a start and an end time in the
shop's time zone, optional dates) with one percentage off over several SKUs or a category.

- Its discount is one Promotion per SKU, with the campaign's schedule and `campaign_id`: the
  price of an order is decided by `pricing.best_price` alone, as for any promotion, and "open
  now" by `windows.current` alone. A campaign made for a category takes the category's active
  SKUs of that moment (a SKU added later is not in it: make a new campaign).
- Deactivating a campaign deactivates its promotions in the same transaction.
- `start_windows` (the catalog's timer, on every replica): each window that has started gets ONE
  row (campaign, start) — INSERT … ON CONFLICT DO NOTHING, so of several replicas exactly one
  inserts it — and that insert writes `campaign_started` to the outbox in the same transaction.
  A window noticed more than LATE_S after it started (the catalog was down, or the campaign was
  made late in a window) is recorded without an event: nobody is told of a sale nearly over.
- `storefront`: the campaigns running now or starting within a day, with each SKU's campaign
  price, for the gateway's banner, tiles, product pages and countdowns."""

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from prometheus_client import Counter
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.catalog.domain import windows
from services.catalog.domain.pricing import discounted
from services.catalog.models import Campaign, CampaignWindow, Category, Product, Promotion
from services.common import audit, outbox
from services.common.envelope import isoformat
from services.common.errors import InvalidInput, NotFound

LATE_S = 600  # a window noticed later than this after its start is recorded without telling anyone
SOON = timedelta(hours=24)  # the storefront shows "starts in …" for a window this close
STARTED = Counter("kameng_campaign_windows_started_total", "Campaign windows recorded as started", ["announced"])
SCHEDULE = ("weekdays", "starts", "ends", "timezone", "valid_from", "valid_until")


def _skus(session: Session, fields: dict[str, Any]) -> list[str]:
    if fields.get("category"):
        query = select(Product.sku).join(Category, Product.category_id == Category.id)
        query = query.where(Category.name == fields["category"], Product.active.is_(True))
    else:
        query = select(Product.sku).where(Product.sku.in_(fields.get("skus") or []), Product.active.is_(True))
    found = list(session.scalars(query.order_by(Product.sku)))
    missing = sorted(set(fields.get("skus") or []) - set(found))
    if missing:
        raise InvalidInput("unknown or inactive SKUs", {"fields": {"skus": missing}})
    if not found:
        raise InvalidInput("the campaign has no SKU", {"fields": {"skus": ["empty"]}})
    return found


def create_campaign(session: Session, actor: str, fields: dict[str, Any]) -> dict[str, Any]:
    try:
        ZoneInfo(fields["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput("unknown time zone", {"fields": {"timezone": ["unknown"]}}) from None
    skus = _skus(session, fields)
    schedule = {k: fields[k] for k in SCHEDULE}
    campaign = Campaign(
        name=fields["name"],
        percent_off=fields["percent_off"],
        category=fields.get("category"),
        skus=skus,
        notify=fields["notify"],
        created_by=actor,
        **schedule,
    )
    session.add(campaign)
    session.flush()
    for sku in skus:
        session.add(
            Promotion(
                sku=sku, name=campaign.name, percent_off=campaign.percent_off, campaign_id=campaign.id, **schedule
            )
        )
    view = campaign_view(campaign, datetime.now(UTC))
    audit.record(session, actor, "campaign.create", str(campaign.id), _plain(view))
    return view


def deactivate_campaign(session: Session, actor: str, campaign_id: int) -> dict[str, Any]:
    campaign = session.get(Campaign, campaign_id, with_for_update=True)
    if campaign is None or not campaign.active:
        raise NotFound("no such campaign", {"campaign_id": campaign_id})
    campaign.active = False
    session.execute(update(Promotion).where(Promotion.campaign_id == campaign_id).values(active=False))
    audit.record(session, actor, "campaign.deactivate", str(campaign_id), {"id": campaign_id})
    return campaign_view(campaign, datetime.now(UTC))


def list_campaigns(session: Session, at: datetime | None = None) -> list[dict[str, Any]]:
    at = at or datetime.now(UTC)
    found = session.scalars(select(Campaign).order_by(Campaign.active.desc(), Campaign.id.desc()).limit(200))
    return [campaign_view(c, at) for c in found]


def campaign_view(c: Campaign, at: datetime) -> dict[str, Any]:
    now = windows.current(c, at) if c.active else None
    upcoming = windows.next_start(c, at, timedelta(days=7)) if c.active else None
    return {
        "id": c.id,
        "name": c.name,
        "percent_off": c.percent_off,
        "weekdays": list(c.weekdays),
        "starts": c.starts.strftime("%H:%M"),
        "ends": c.ends.strftime("%H:%M"),
        "timezone": c.timezone,
        "valid_from": c.valid_from and isoformat(c.valid_from),
        "valid_until": c.valid_until and isoformat(c.valid_until),
        "category": c.category,
        "skus": list(c.skus),
        "notify": c.notify,
        "active": c.active,
        "running": now is not None,
        "ends_at": now and isoformat(now.ends_at),
        "next_starts_at": upcoming and isoformat(upcoming.starts_at),
    }


def storefront(session: Session, at: datetime | None = None) -> list[dict[str, Any]]:
    """The campaigns running at `at` or starting within SOON: {"id", "name", "percent_off",
    "running", "starts_at", "ends_at", "prices": {sku: campaign price}} (the soonest end first)."""
    at = at or datetime.now(UTC)
    shown = []
    for c in session.scalars(select(Campaign).where(Campaign.active.is_(True))):
        w = windows.current(c, at)
        running = w is not None
        w = w or windows.next_start(c, at, SOON)
        if w is None:
            continue
        rows = session.execute(
            select(Product.sku, Product.price).where(Product.sku.in_(list(c.skus)), Product.active.is_(True))
        ).all()
        prices = {sku: discounted(price, c.percent_off) for sku, price in rows}
        if prices:
            shown.append(
                {
                    "id": c.id,
                    "name": c.name,
                    "percent_off": c.percent_off,
                    "running": running,
                    "starts_at": isoformat(w.starts_at),
                    "ends_at": isoformat(w.ends_at),
                    "prices": prices,
                }
            )
    return sorted(shown, key=lambda v: (not v["running"], v["ends_at" if v["running"] else "starts_at"]))


def start_windows(session: Session, at: datetime | None = None) -> list[int]:
    """Record each window that has started (once, whatever the replicas) and write its event.
    Answers the campaigns whose `campaign_started` was written now."""
    at = at or datetime.now(UTC)
    started = []
    for c in session.scalars(select(Campaign).where(Campaign.active.is_(True)).order_by(Campaign.id)):
        w = windows.current(c, at)
        if w is None:
            continue
        inserted = session.scalar(
            insert(CampaignWindow)
            .values(campaign_id=c.id, starts_at=w.starts_at, ends_at=w.ends_at)
            .on_conflict_do_nothing()
            .returning(CampaignWindow.campaign_id)
        )
        if inserted is None:
            continue
        announce = c.notify and (at - w.starts_at).total_seconds() <= LATE_S
        STARTED.labels(announced=str(announce).lower()).inc()
        if not announce:
            continue
        data = {
            "campaign_id": c.id,
            "name": c.name,
            "percent_off": c.percent_off,
            "starts_at": isoformat(w.starts_at),
            "ends_at": isoformat(w.ends_at),
            "skus": list(c.skus),
        }
        outbox.add(session, "campaign_started", data)
        started.append(c.id)
    return started


def _plain(view: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in view.items() if k not in ("running", "ends_at", "next_starts_at")}
