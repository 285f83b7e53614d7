"""Buyer accounts through HTTP, every service, the real broker, database and SMTP sink (issue 18):
sign up, verify the e-mail, sign in, buy signed in, see the history with codes, claim a guest
order, reset a password, and every sign-in failure alike."""

import eventlet
import pytest

from services.common.testing import unique, wait_until
from tests.e2e.account.helpers import (
    PASSWORD,
    link_token,
    mails_to,
    new_email,
    register,
    sign_in,
    signed_up,
)
from tests.e2e.helpers import Api, assert_error
from tests.e2e.purchase.helpers import buy, card_product, pay, wait_status


def test_sign_up_verify_sign_in_buy_and_see_the_codes_in_the_history(system, api, admin, mail_sink, db):
    _, folder = mail_sink
    email = new_email()
    made = register(api, email, name="李雷")
    assert made.status_code == 201, made.text
    assert made.json()["email"] == email and made.json()["email_verified"] is False
    assert "password" not in made.text and "kameng_buyer" in made.headers["Set-Cookie"]
    assert "HttpOnly" in made.headers["Set-Cookie"]

    token = link_token(folder, email, "Verify", "/account/verify")
    verified = api.post("/api/v1/account/verify-email", json={"token": token})
    assert verified.status_code == 200 and verified.json()["email_verified"] is True
    assert_error(api.post("/api/v1/account/verify-email", json={"token": token}), 400, "validation_error")  # once

    with Api(system["BASE_URL"]) as client:
        assert sign_in(client, email.upper()).status_code == 200
        sku = card_product(admin, codes=3)
        order = buy(client, sku, quantity=2, contact=email).json()
        assert db('SELECT buyer_id FROM "order".orders WHERE order_no = :o', o=order["order_no"])[0]["buyer_id"]
        assert pay(client, order).status_code == 200
        wait_status(client, order, "completed")
        history = client.get("/api/v1/account/orders")
        assert history.status_code == 200, history.text
        (mine,) = [o for o in history.json()["items"] if o["order_no"] == order["order_no"]]
        assert mine["status"] == "completed" and "token" not in mine
        assert mine["items"] == [{"code": f"{sku}-C0000", "secret": "pw0"}, {"code": f"{sku}-C0001", "secret": "pw1"}]
        page = client.get("/account/orders")
        assert page.status_code == 200 and f"{sku}-C0001" in page.text and order["order_no"] in page.text
        assert client.post("/api/v1/account/sign-out").status_code == 200
        assert_error(client.get("/api/v1/account/orders"), 401, "unauthorized")
    assert_error(Api(system["BASE_URL"]).get("/api/v1/account/orders"), 401, "unauthorized")


def test_a_guest_order_is_claimed_with_its_token_and_a_wrong_token_is_404(system, api, admin):
    sku = card_product(admin, codes=2)
    guest = buy(api, sku).json()
    client, _ = signed_up(system)
    with client:
        wrong = client.post(f"/api/v1/account/orders/{guest['order_no']}/claim", headers={"X-Order-Token": "x" * 32})
        assert_error(wrong, 404, "not_found")
        assert_error(
            client.post("/api/v1/account/orders/KNOSUCHORDER/claim", headers={"X-Order-Token": "x"}), 404, "not_found"
        )
        assert client.get("/api/v1/account/orders").json()["items"] == []
        claimed = client.post(
            f"/api/v1/account/orders/{guest['order_no']}/claim", headers={"X-Order-Token": guest["token"]}
        )
        assert claimed.status_code == 200, claimed.text
        again = client.post(
            f"/api/v1/account/orders/{guest['order_no']}/claim", headers={"X-Order-Token": guest["token"]}
        )
        assert again.status_code == 200
        assert [o["order_no"] for o in client.get("/api/v1/account/orders").json()["items"]] == [guest["order_no"]]
    other, _ = signed_up(system)
    with other:
        taken = other.post(
            f"/api/v1/account/orders/{guest['order_no']}/claim", headers={"X-Order-Token": guest["token"]}
        )
        assert_error(taken, 409, "conflict")
    unsigned = Api(system["BASE_URL"])
    assert_error(
        unsigned.post(f"/api/v1/account/orders/{guest['order_no']}/claim", headers={"X-Order-Token": guest["token"]}),
        401,
        "unauthorized",
    )


def test_a_password_reset_by_mailed_link_ends_every_session(system, api, mail_sink, db):
    _, folder = mail_sink
    client, buyer = signed_up(system)
    other = Api(system["BASE_URL"])
    assert sign_in(other, buyer["email"]).status_code == 200
    unknown = new_email()
    asked = [api.post("/api/v1/account/password-reset", json={"email": e}) for e in (buyer["email"], unknown)]
    assert [a.status_code for a in asked] == [202, 202] and asked[0].json() == asked[1].json()
    # the reset is recorded before the answer: a mail to the unknown address would be there now
    assert db("SELECT count(*) AS n FROM account.mails WHERE to_address = :a", a=unknown)[0]["n"] == 0
    token = link_token(folder, buyer["email"], "Reset", "/account/reset")
    weak = api.post("/api/v1/account/password-reset/confirm", json={"token": token, "password": "password123"})
    assert "common" in assert_error(weak, 400, "validation_error")["message"]
    new_password = "a brand new secret 77"
    done = api.post("/api/v1/account/password-reset/confirm", json={"token": token, "password": new_password})
    assert done.status_code == 200, done.text
    for session in (client, other):
        assert_error(session.get("/api/v1/account"), 401, "unauthorized")
    assert_error(sign_in(api, buyer["email"]), 401, "unauthorized")
    assert sign_in(api, buyer["email"], new_password).status_code == 200
    reused = api.post("/api/v1/account/password-reset/confirm", json={"token": token, "password": "another secret 99x"})
    assert_error(reused, 400, "validation_error")
    assert "Reset" not in "".join(mails_to(folder, unknown, ""))


def test_every_sign_in_failure_answers_the_same(system, api):
    _, buyer = signed_up(system, phone="13800138000")
    attempts = [
        (buyer["email"], "a wrong password 123"),
        (new_email(), PASSWORD),
        ("+86 138 0013 8000", "a wrong password 123"),
        ("13900139000", PASSWORD),
        ("not an account", PASSWORD),
    ]
    answers = [sign_in(api, login, password) for login, password in attempts]
    assert {(a.status_code, a.text) for a in answers} == {(401, answers[0].text)}
    assert "Set-Cookie" not in answers[0].headers
    assert sign_in(api, "13800138000").status_code == 200  # the phone signs in, in any notation


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"password": "short1"}, "at least 10"),
        ({"password": "password123"}, "common"),
        ({"email": "buyer@[1.2.3.4]"}, "IP address"),
        ({"email": "buyer@1.2.3.4"}, "IP address"),
        ({"name": "pаypal"}, "alphabets"),  # a Cyrillic а
        ({"name": "ｐａｙ"}, "plain characters"),
        ({"role": "owner"}, "Unknown field"),
        ({"password": "x" * 5000}, "Length"),
        ({"email": "a" * 300 + "@example.com"}, "Length"),
        ({"phone": "12345"}, "mobile"),
    ],
)
def test_bad_sign_ups_are_400_with_clear_messages_and_create_nothing(api, db, fields, says):
    email = new_email()
    answer = register(api, **{"email": email, **fields})
    error = assert_error(answer, 400, "validation_error")
    assert says.lower() in (error["message"] + str(error.get("details", ""))).lower(), error
    assert db("SELECT count(*) AS n FROM account.buyers WHERE email = :e", e=email)[0]["n"] == 0
    assert "Set-Cookie" not in answer.headers


def test_an_account_exists_once(system, api):
    email = new_email()
    assert register(api, email).status_code == 201
    assert_error(register(api, email.upper()), 409, "conflict")
    same = new_email()
    pool = eventlet.GreenPool()
    answers = list(pool.imap(lambda _: register(Api(system["BASE_URL"]), same).status_code, range(4)))
    assert sorted(answers) == [201, 409, 409, 409]


def test_the_member_level_is_reached_by_a_completed_order_and_its_price_applies(system, admin, db):
    level = unique("gold")[:32]
    made = admin.post("/api/v1/admin/levels", json={"name": level, "threshold": "15.00"})
    assert made.status_code == 201 and made.json()["threshold"] == "15.00", made.text
    sku = card_product(admin, codes=4)
    assert admin.put(f"/api/v1/admin/products/{sku}/level-prices/{level}", json={"price": "8.00"}).status_code == 200
    client, buyer = signed_up(system)
    with client:
        first = buy(client, sku, quantity=2, contact=buyer["email"]).json()
        assert first["amount"] == "19.80"  # no level yet: the retail price
        pay(client, first)
        wait_status(client, first, "completed")
        profile = wait_until(
            lambda: (p := client.get("/api/v1/account").json())["level"] == level and p, message="the level"
        )
        assert profile["total_spent"] == "19.80"
        second = buy(client, sku, quantity=1, contact=buyer["email"]).json()
        assert second["amount"] == "8.00", second
    rows = admin.get("/api/v1/admin/buyers", params={"q": buyer["email"]}).json()["items"]
    assert [(r["level"], r["total_spent"], r["email"]) for r in rows] == [
        (level, "19.80", buyer["email"][0] + "****@example.com")
    ]
    assert admin.delete(f"/api/v1/admin/levels/{level}").status_code == 200
    assert admin.get(f"/api/v1/admin/buyers/{buyer['id']}").json()["level"] is None  # regraded at once
