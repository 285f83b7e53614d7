"""Points and referral cashback (issue 22), through the gateway, with every service on the real
broker and database: earning on completion, spending at checkout (at the boundaries), giving
back on cancel, reversing on refund, expiry by the sweeper; referral cashback through the
ledger, reversed on refund; self-referral and rings refused by risk's rule."""

import pytest

from services.common.testing import wait_until
from tests.e2e.account.helpers import new_email, register, rows
from tests.e2e.helpers import Api, assert_error
from tests.e2e.purchase.helpers import card_product, events_of, pay, wait_status


@pytest.fixture(scope="module")
def system_settings():
    """Buyers come from their own addresses (X-Forwarded-For from a trusted local proxy): risk's
    rule compares sign-up IPs. Cashback 5 % on the first order; points 1 per yuan, 50 % cap."""
    return lambda config: {
        "TRUSTED_PROXIES": ["127.0.0.1/32", "::1/128"],
        "REFERRAL_CASHBACK_PERCENT": "5",
        "REFERRAL_EVERY_ORDER": "0",
        "POINTS_PER_YUAN": 1,
        "POINTS_MAX_PERCENT": 50,
    }


def member(system, ip, **fields):
    """A new client from `ip`, signed up (its profile in `.profile`)."""
    client = Api(system["BASE_URL"])
    client.headers["X-Forwarded-For"] = ip
    made = register(client, **fields)
    assert made.status_code == 201, made.text
    client.profile = made.json()
    return client


def buy(client, sku, quantity=1, **extra):
    body = {
        "sku": sku,
        "quantity": quantity,
        "contact": client.profile["email"],
        "payment_channel": "sandbox",
        **extra,
    }
    return client.post("/api/v1/orders", json=body)


def bought(client, sku, quantity=1, **extra):
    made = buy(client, sku, quantity, **extra)
    assert made.status_code == 201, made.text
    return made.json()


def completed(client, order):
    pay(client, order)
    return wait_status(client, order, "completed")


def balance(client):
    return client.get("/api/v1/account/points").json()["balance"]


def wait_balance(client, expected):
    return wait_until(lambda: balance(client) == expected, timeout=15, message=f"a balance of {expected} points")


def test_points_are_earned_spent_within_bounds_given_back_and_expire(system, admin, api, console, db):
    sku = card_product(admin, codes=8)
    cheap = card_product(admin, codes=2, price="0.30")
    buyer = member(system, "198.51.100.10")
    assert balance(buyer) == 0

    completed(buyer, bought(buyer, sku, 2))  # 19.80 paid: 19 points
    wait_balance(buyer, 19)

    # more than one holds: refused, nothing held, no order made
    assert_error(buy(buyer, sku, points=20), 409, "insufficient_balance")
    assert balance(buyer) == 19
    # a guest has no points to spend
    assert_error(
        api.post(
            "/api/v1/orders",
            json={"sku": sku, "quantity": 1, "contact": "g@example.com", "payment_channel": "sandbox", "points": 5},
        ),
        400,
        "validation_error",
    )

    spent = bought(buyer, sku, points=19)  # 9.90 - 0.19
    assert (spent["amount"], spent["points_used"]) == ("9.71", 19)
    assert balance(buyer) == 0
    assert events_of(db, "order", spent) == []  # spending points cost no message (DESIGN §3's budget)
    assert buyer.post(f"/api/v1/orders/{spent['order_no']}/cancel", headers={"X-Order-Token": spent["token"]}).ok
    wait_balance(buyer, 19)  # the cancelled order gave them back

    # more than the order total takes: at most half of it (0.15 of 0.30), never below zero
    small = bought(buyer, cheap, points=19)
    assert (small["amount"], small["points_used"]) == ("0.15", 15)
    assert balance(buyer) == 4
    seen = admin.get(f"/api/v1/admin/orders/{small['order_no']}").json()
    assert seen["price_rule"]["points"]["used"] == 15 and seen["price_rule"]["points"]["before"] == 30
    completed(buyer, small)  # 0.15 paid earns nothing (rounded down)
    assert balance(buyer) == 4

    # the storefront offers a member (only) to use points; the console shows them
    assert 'name="points"' in buyer.get(f"/products/{sku}").text
    assert 'name="points"' not in api.get(f"/products/{sku}").text
    page = console.get(f"/admin/buyers/{buyer.profile['id']}?lang=en")
    assert page.status_code == 200 and "<strong data-points-balance>4</strong>" in page.text
    assert "Referral code" in page.text and small["order_no"] in page.text
    assert "<strong data-points-balance>4</strong>" in buyer.get("/account").text  # their own page
    assert admin.get(f"/api/v1/admin/buyers/{buyer.profile['id']}/points").json()["balance"] == 4

    # expiry: the sweeper takes what is past its date (here: made due by hand)
    rows(
        system,
        "UPDATE \"order\".point_lots SET expires_at = now() - interval '1 second' "
        "WHERE buyer_id = :b AND remaining > 0",
        b=buyer.profile["id"],
    )
    wait_balance(buyer, 0)
    entries = wait_until(
        lambda: (e := buyer.get("/api/v1/account/points").json()["entries"])[0]["kind"] == "expire" and e,
        timeout=15,
        message="the sweeper's expire entry",
    )
    assert entries[0]["points"] == -4
    assert {"earn", "spend", "release"} <= {e["kind"] for e in entries}


def test_points_and_cashback_are_reversed_on_refund(system, admin, db):
    sku = card_product(admin, codes=6)
    referrer = member(system, "198.51.100.20")
    code = referrer.get("/api/v1/account/referral").json()["code"]
    referred = member(system, "198.51.100.21", referral_code=code)
    assert referred.get("/api/v1/account/referral").json()["referred_by"] == referrer.profile["id"]

    first = bought(referred, sku)
    completed(referred, first)  # 9.90: 9 points, 0.49 cashback
    wait_balance(referred, 9)
    shown = wait_until(
        lambda: (r := referrer.get("/api/v1/account/referral").json())["wallet"] == "0.49" and r,
        timeout=15,
        message="the cashback",
    )
    assert [c["kind"] for c in shown["cashback"]] == ["referral_cashback"]
    assert shown["referrals"][0]["buyer_id"] == referred.profile["id"]
    assert f"/r/{code}</code>" in referrer.get("/account").text
    assert admin.get(f"/api/v1/admin/buyers/{referrer.profile['id']}/referral").json()["wallet"] == "0.49"

    second = bought(referred, sku, points=5)  # 9.85 paid: 9 more points; no second cashback
    completed(referred, second)
    wait_balance(referred, 9 - 5 + 9)

    refunded = admin.post(f"/api/v1/admin/orders/{second['order_no']}/refund", json={"reason": "test"})
    assert refunded.status_code == 200, refunded.text
    wait_status(referred, second, "refunded", timeout=30)
    wait_balance(referred, 9)  # the 5 spent came back, the 9 earned went
    assert referrer.get("/api/v1/account/referral").json()["wallet"] == "0.49"  # first order only

    refunded = admin.post(f"/api/v1/admin/orders/{first['order_no']}/refund", json={"reason": "test"})
    assert refunded.status_code == 200, refunded.text
    wait_status(referred, first, "refunded", timeout=30)
    wait_balance(referred, 0)
    after = wait_until(
        lambda: (r := referrer.get("/api/v1/account/referral").json())["wallet"] == "0.00" and r,
        timeout=15,
        message="the cashback reversed",
    )
    assert [c["kind"] for c in after["cashback"]] == ["referral_cashback_reversed", "referral_cashback"]
    booked = db(
        "SELECT t.kind, e.amount FROM account.ledger_transactions t JOIN account.ledger_entries e "
        "ON e.transaction_id = t.id JOIN account.ledger_accounts a ON a.id = e.account_id "
        "WHERE t.order_no = :o AND a.code = :c ORDER BY t.id",
        o=first["order_no"],
        c=f"buyer:{referrer.profile['id']}:wallet",
    )
    assert [(b["kind"], b["amount"]) for b in booked] == [
        ("referral_cashback", 49),
        ("referral_cashback_reversed", -49),
    ]
    points_rows = db(
        'SELECT kind, points FROM "order".point_entries WHERE order_no = :o ORDER BY id', o=second["order_no"]
    )
    assert [(r["kind"], r["points"]) for r in points_rows] == [
        ("spend", -5),
        ("earn", 9),
        ("release", 5),
        ("reverse", -9),
    ]


def test_self_referral_and_rings_are_refused(system):
    a = member(system, "198.51.100.30")
    code_a = a.get("/api/v1/account/referral").json()["code"]

    # the referrer's own sign-up IP: signed up, but no referral recorded
    same_ip = member(system, "198.51.100.30", referral_code=code_a)
    assert same_ip.get("/api/v1/account/referral").json()["referred_by"] is None

    b = member(system, "198.51.100.31", referral_code=code_a)
    assert b.get("/api/v1/account/referral").json()["referred_by"] == a.profile["id"]
    code_b = b.get("/api/v1/account/referral").json()["code"]

    # through the referral link's cookie: /r/<code> remembers it for sign-up
    c = Api(system["BASE_URL"])
    c.headers["X-Forwarded-For"] = "198.51.100.32"
    assert c.get(f"/r/{code_b}", allow_redirects=False).status_code == 302
    assert register(c, email=new_email()).status_code == 201
    assert c.get("/api/v1/account/referral").json()["referred_by"] == b.profile["id"]
    code_c = c.get("/api/v1/account/referral").json()["code"]

    # oneself
    refused = a.post("/api/v1/account/referral", json={"code": code_a})
    assert_error(refused, 403, "forbidden")
    assert refused.json()["error"]["details"]["reason"] == "self_referral"
    # A refers B refers A; and A → B → C → A
    for code in (code_b, code_c):
        refused = a.post("/api/v1/account/referral", json={"code": code})
        assert_error(refused, 403, "forbidden")
        assert refused.json()["error"]["details"]["reason"] == "referral_ring"
    assert a.get("/api/v1/account/referral").json()["referred_by"] is None

    # someone unrelated may still name a referrer once
    d = member(system, "198.51.100.33")
    bound = d.post("/api/v1/account/referral", json={"code": code_c})
    assert bound.status_code == 200, bound.text
    assert bound.json()["referred_by"] == c.get("/api/v1/account").json()["id"]
    assert_error(d.post("/api/v1/account/referral", json={"code": code_a}), 409, "conflict")  # once only
    assert_error(a.post("/api/v1/account/referral", json={"code": "ZZZZ0000"}), 404, "not_found")
