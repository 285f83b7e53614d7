"""Timed campaigns (issue 22) end to end, over HTTP with every service on RabbitMQ and
PostgreSQL: a running campaign prices the order and shows on the storefront with its countdown;
its window's start mails each opted-in member once, even with two catalog timers, and nobody else."""

import re
from datetime import UTC, datetime, timedelta

from services.catalog.service import CatalogService
from services.common.testing import wait_until
from tests.e2e.account.helpers import link_token, mails_to, new_email, register
from tests.e2e.campaigns.helpers import SHANGHAI, create_campaign, running_now
from tests.e2e.helpers import Api, assert_error, csrf_of
from tests.e2e.purchase.helpers import buy, card_product


def test_a_running_campaign_discounts_the_order_and_shows_its_countdown(system, api, admin):
    sku, other = card_product(admin, codes=3, price="9.90"), card_product(admin, codes=3, price="9.90")
    campaign = create_campaign(admin, running_now([sku], percent_off=20))
    assert campaign["running"] is True and campaign["skus"] == [sku] and campaign["active"] is True
    ends_at = datetime.fromisoformat(campaign["ends_at"].replace("Z", "+00:00"))
    assert 0 < (ends_at - datetime.now(UTC)).total_seconds() <= 2 * 3600

    order = buy(api, sku)
    assert order.status_code == 201, order.text
    assert order.json()["amount"] == "7.92"  # 9.90 at 20 % off
    assert buy(api, other).json()["amount"] == "9.90"  # not in the campaign

    page = api.get(f"/products/{sku}")
    assert page.status_code == 200
    assert 'id="deal"' in page.text and campaign["name"] in page.text
    assert f'data-countdown="{campaign["ends_at"]}"' in page.text and "7.92" in page.text
    assert 'data-unit="792"' in page.text  # the checkout's total counts at the campaign price
    assert "<script>" not in page.text and '<script src="/static/campaigns.js" defer></script>' in page.text
    assert 'id="deal"' not in api.get(f"/products/{other}").text
    shop = api.get("/", params={"q": sku})  # the shop pages 24 tiles: searched among many
    assert 'id="campaigns"' in shop.text and campaign["name"] in shop.text
    tile = re.search(rf'href="/products/{sku}".*?</a>', shop.text, re.S).group(0)
    assert "7.92" in tile and "data-countdown" in tile

    ended = admin.delete(f"/api/v1/admin/campaigns/{campaign['id']}")
    assert ended.status_code == 200 and ended.json()["active"] is False
    assert buy(api, sku).json()["amount"] == "9.90"  # its prices end with it
    assert 'id="deal"' not in api.get(f"/products/{sku}").text
    assert_error(admin.delete(f"/api/v1/admin/campaigns/{campaign['id']}"), 404, "not_found")


def test_a_campaign_over_a_category_and_bad_campaigns_are_refused(system, api, admin):
    sku = card_product(admin, codes=2, price="10.00", category="限时测试")
    made = create_campaign(admin, running_now(category="限时测试", percent_off=50, notify=False))
    assert sku in made["skus"] and made["category"] == "限时测试"
    assert buy(api, sku).json()["amount"] == "5.00"
    listed = admin.get("/api/v1/admin/campaigns").json()["items"]
    assert any(c["id"] == made["id"] and c["running"] for c in listed)
    for bad in (
        running_now(["NO-SUCH-SKU"]),
        running_now([sku], percent_off=100),
        running_now([sku], timezone="Mars/Base"),
        {**running_now([sku]), "starts": "25:00"},
        {**running_now([sku]), "starts": "20:00", "ends": "20:00"},  # an empty window
        {**running_now([sku]), "category": "限时测试"},  # both
        {**running_now([sku]), "surprise": 1},
    ):
        assert_error(admin.post("/api/v1/admin/campaigns", json=bad), 400, "validation_error")
    assert_error(api.post("/api/v1/admin/campaigns", json=running_now([sku])), 401, "unauthorized")
    admin.delete(f"/api/v1/admin/campaigns/{made['id']}")


def member(system, folder, opt_in):
    """A new verified member, opted in or not: (client, e-mail)."""
    client, email = Api(system["BASE_URL"]), new_email()
    assert register(client, email).status_code == 201
    token = link_token(folder, email, "Verify", "/account/verify")
    assert client.post("/api/v1/account/verify-email", json={"token": token}).status_code == 200
    if opt_in:
        opted = client.put("/api/v1/account/campaign-mails", json={"campaign_mails": True})
        assert opted.status_code == 200 and opted.json()["campaign_mails"] is True
    return client, email


def test_a_window_start_mails_opted_in_members_once_even_with_two_timers(
    system, config, runner_factory, admin, mail_sink, db
):
    _, folder = mail_sink
    second_catalog = runner_factory(config, CatalogService)  # a second replica: its own timer
    second_catalog.start()
    _, fan = member(system, folder, opt_in=True)
    changed_mind, former_fan = member(system, folder, opt_in=True)
    _, stranger = member(system, folder, opt_in=False)
    page = changed_mind.get("/account")
    assert 'name="campaign_mails" value="1" checked' in page.text
    out = changed_mind.post("/account/campaign-mails", data={"csrf": csrf_of(page)}, allow_redirects=False)
    assert out.status_code == 303  # the box unticked
    assert changed_mind.get("/api/v1/account").json()["campaign_mails"] is False

    sku = card_product(admin, codes=1)
    campaign = create_campaign(admin, running_now([sku], percent_off=15))
    subject = f"Sale on: {campaign['name']}"
    sent = wait_until(lambda: mails_to(folder, fan, subject), timeout=30, message="the campaign mail")
    assert "15%" in sent[0] and "/account" in sent[0]

    # both timers have looked at the window since (each ticks every 5 s): still one row, one event
    def seen_twice():
        rows = db("SELECT created_at FROM catalog.campaign_windows WHERE campaign_id = :c", c=campaign["id"])
        return rows and (datetime.now(UTC) - rows[0]["created_at"]).total_seconds() > 11 and rows

    assert len(wait_until(seen_twice, timeout=20, message="two timer ticks")) == 1
    events = db(
        "SELECT 1 FROM catalog.outbox WHERE type = 'campaign_started' AND envelope->'data'->>'campaign_id' = :c",
        c=str(campaign["id"]),
    )
    assert len(events) == 1
    assert len(mails_to(folder, fan, subject)) == 1
    assert mails_to(folder, stranger, subject) == [] and mails_to(folder, former_fan, subject) == []
    queued = db("SELECT to_address FROM account.mails WHERE subject LIKE :s", s=f"%{campaign['name']}")
    assert [r["to_address"] for r in queued] == [fan]
    admin.delete(f"/api/v1/admin/campaigns/{campaign['id']}")


def test_a_window_within_a_day_shows_starts_in_and_keeps_the_retail_price(system, api, admin):
    sku = card_product(admin, codes=2, price="9.90")
    now = datetime.now(UTC).astimezone(SHANGHAI)
    soon = {
        **running_now([sku], notify=False),
        "starts": (now + timedelta(hours=1)).strftime("%H:%M"),
        "ends": (now + timedelta(hours=2)).strftime("%H:%M"),
    }
    campaign = create_campaign(admin, soon)
    assert campaign["running"] is False and campaign["next_starts_at"]
    page = api.get(f"/products/{sku}")
    assert 'id="deal"' in page.text and "距开始" in page.text
    assert f'data-countdown="{campaign["next_starts_at"]}"' in page.text
    assert 'data-unit="990"' in page.text and "7.92" not in page.text  # not yet
    assert buy(api, sku).json()["amount"] == "9.90"
    admin.delete(f"/api/v1/admin/campaigns/{campaign['id']}")
