"""Campaigns on real PostgreSQL: a window is recorded once per (campaign, start) and writes one
`campaign_started`; a late window and a silent campaign write none; the campaign's prices are the
pricing module's promotions (quote), ended with the campaign."""

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select

from services.catalog.domain import campaigns, pricing
from services.catalog.models import CampaignWindow, metadata

OUTBOX = metadata.tables["catalog.outbox"]
SAT_2005 = datetime(2026, 11, 28, 12, 5, tzinfo=UTC)  # Saturday 20:05 in Shanghai


def fields(skus, **kw):
    return {
        "name": "weekend peak",
        "percent_off": 20,
        "weekdays": [6, 7],
        "starts": time(20),
        "ends": time(22),
        "timezone": "Asia/Shanghai",
        "valid_from": None,
        "valid_until": None,
        "skus": skus,
        "category": None,
        "notify": True,
        **kw,
    }


def started_events(s, campaign_id):
    rows = s.execute(select(OUTBOX.c.envelope).where(OUTBOX.c.type == "campaign_started")).scalars()
    return [e for e in rows if e["data"]["campaign_id"] == campaign_id]


def test_a_window_is_recorded_and_announced_once(tx, make_product):
    sku = make_product(price=1990)
    with tx() as s:
        made = campaigns.create_campaign(s, "test", fields([sku]))
    with tx() as s:
        assert pricing.quote(s, sku, 1, at=SAT_2005)["unit_price"] == 1592
        assert pricing.quote(s, sku, 1, at=SAT_2005 + timedelta(hours=2))["unit_price"] == 1990  # 22:05
    with tx() as s:
        assert made["id"] in campaigns.start_windows(s, SAT_2005)
    with tx() as s:  # the other replica, a tick later
        assert made["id"] not in campaigns.start_windows(s, SAT_2005 + timedelta(seconds=5))
    with tx() as s:
        (event,) = started_events(s, made["id"])
        assert (
            event["data"]["starts_at"] == "2026-11-28T12:00:00.000Z"
            and event["data"]["ends_at"] == "2026-11-28T14:00:00.000Z"
        )
        assert event["data"]["skus"] == [sku] and event["data"]["percent_off"] == 20
        count = select(func.count()).select_from(CampaignWindow).where(CampaignWindow.campaign_id == made["id"])
        assert s.scalar(count) == 1
    with tx() as s:  # Sunday's window is another window
        assert made["id"] in campaigns.start_windows(s, SAT_2005 + timedelta(days=1))
    with tx() as s:
        campaigns.deactivate_campaign(s, "test", made["id"])
    with tx() as s:
        assert pricing.quote(s, sku, 1, at=SAT_2005)["unit_price"] == 1990
        assert made["id"] not in campaigns.start_windows(s, SAT_2005 + timedelta(days=7))


def test_a_late_window_and_a_silent_campaign_are_recorded_without_an_event(tx, make_product):
    sku = make_product()
    with tx() as s:
        late = campaigns.create_campaign(s, "test", fields([sku]))
    at = SAT_2005 + timedelta(seconds=campaigns.LATE_S)  # 20:15: more than LATE_S into the window
    with tx() as s:
        assert late["id"] not in campaigns.start_windows(s, at)
    with tx() as s:
        silent = campaigns.create_campaign(s, "test", fields([sku], notify=False))
    with tx() as s:
        assert silent["id"] not in campaigns.start_windows(s, SAT_2005)
    with tx() as s:
        assert started_events(s, late["id"]) == [] and started_events(s, silent["id"]) == []
        ids = (late["id"], silent["id"])
        assert (
            s.scalar(select(func.count()).select_from(CampaignWindow).where(CampaignWindow.campaign_id.in_(ids))) == 2
        )


def test_the_storefront_view_shows_running_and_coming_windows(tx, make_product):
    sku = make_product(price=1000)
    with tx() as s:
        made = campaigns.create_campaign(s, "test", fields([sku], name="soon"))
    with tx() as s:
        running = [c for c in campaigns.storefront(s, SAT_2005) if c["id"] == made["id"]]
        assert running == [
            {
                "id": made["id"],
                "name": "soon",
                "percent_off": 20,
                "running": True,
                "starts_at": "2026-11-28T12:00:00.000Z",
                "ends_at": "2026-11-28T14:00:00.000Z",
                "prices": {sku: 800},
            }
        ]
        friday = SAT_2005 - timedelta(hours=12)  # Saturday 08:05: starts in 12 h
        (coming,) = [c for c in campaigns.storefront(s, friday) if c["id"] == made["id"]]
        assert coming["running"] is False and coming["starts_at"] == "2026-11-28T12:00:00.000Z"
        assert not [c for c in campaigns.storefront(s, SAT_2005 - timedelta(days=2)) if c["id"] == made["id"]]
        campaigns.deactivate_campaign(s, "test", made["id"])
