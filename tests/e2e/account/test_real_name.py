"""Real-name status (issue 18, DESIGN §6): 姓名 + 18-digit ID number checked and stored encrypted,
shown masked; a category that requires it refuses guests and unverified buyers with 403
forbidden / real_name_required before anything is reserved, and sells to a verified buyer."""

from services.common.testing import unique
from tests.e2e.account.helpers import VALID_ID, signed_up
from tests.e2e.helpers import Api, assert_error
from tests.e2e.purchase.helpers import buy, card_product, stock


def restricted_product(admin):
    category = unique("实名")
    made = admin.post("/api/v1/admin/categories", json={"name": category, "requires_real_name": True})
    assert made.status_code == 201 and made.json()["requires_real_name"] is True, made.text
    return card_product(admin, codes=2, category=category), category


def refused(answer):
    error = assert_error(answer, 403, "forbidden")
    assert error["details"]["reason"] == "real_name_required", error
    return error


def test_a_wrong_check_digit_is_400_and_a_valid_number_is_stored_encrypted(system, db):
    client, buyer = signed_up(system)
    with client:
        wrong = client.put("/api/v1/account/real-name", json={"name": "张三", "id_number": VALID_ID[:17] + "1"})
        assert "check digit" in assert_error(wrong, 400, "validation_error")["message"]
        extra = client.put("/api/v1/account/real-name", json={"name": "张三", "id_number": VALID_ID, "x": 1})
        assert_error(extra, 400, "validation_error")
        assert client.get("/api/v1/account").json()["real_name"] is None
        done = client.put("/api/v1/account/real-name", json={"name": "张三", "id_number": VALID_ID.lower()})
        assert done.status_code == 200, done.text
        shown = done.json()["real_name"]
        assert (shown["name"], shown["id_number"]) == ("张*", "1101**********002X") and shown["verified_at"]
        page = client.get("/account")
        assert "1101**********002X" in page.text and VALID_ID not in page.text
    (row,) = db("SELECT real_name FROM account.buyers WHERE id = :i", i=buyer["id"])
    stored = bytes(row["real_name"])
    assert VALID_ID.encode() not in stored and "张三".encode() not in stored and b"1101" not in stored
    unsigned = Api(system["BASE_URL"])
    assert_error(
        unsigned.put("/api/v1/account/real-name", json={"name": "张三", "id_number": VALID_ID}), 401, "unauthorized"
    )


def test_a_category_requiring_real_name_refuses_guests_and_unverified_buyers(system, api, admin):
    sku, category = restricted_product(admin)
    refused(buy(api, sku))
    client, buyer = signed_up(system)
    with client:
        refused(buy(client, sku, contact=buyer["email"]))
        assert stock(api, sku) == 2  # nothing was reserved
        assert client.put("/api/v1/account/real-name", json={"name": "张三", "id_number": VALID_ID}).status_code == 200
        bought = buy(client, sku, contact=buyer["email"])
        assert bought.status_code == 201 and bought.json()["status"] == "awaiting_payment", bought.text
    refused(buy(api, sku))  # guests still refused
    # lifted: anyone may buy again
    assert admin.patch(f"/api/v1/admin/categories/{category}", json={"requires_real_name": False}).status_code == 200
    assert buy(api, sku).status_code == 201


def test_the_console_lists_buyers_masked_with_their_real_name_status(system, admin):
    client, buyer = signed_up(system, phone="13700137000")
    with client:
        client.put("/api/v1/account/real-name", json={"name": "张三", "id_number": VALID_ID})
    rows = admin.get("/api/v1/admin/buyers", params={"q": "13700137000"}).json()["items"]
    assert [(r["id"], r["phone"], r["real_name_verified"]) for r in rows] == [(buyer["id"], "+86137****00", True)]
    assert "张" not in str(rows) and VALID_ID not in str(rows)


def test_the_checkout_page_says_what_is_missing(system, api, admin):
    from tests.e2e.helpers import csrf_of

    sku, _ = restricted_product(admin)
    form = api.get(f"/products/{sku}")
    answer = api.post(
        f"/products/{sku}",
        data={"quantity": "1", "contact": "guest@example.com", "payment_channel": "sandbox", "csrf": csrf_of(form)},
    )
    assert answer.status_code == 403 and "实名认证" in answer.text
