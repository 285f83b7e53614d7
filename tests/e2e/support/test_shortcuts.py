"""Support's shortcuts for the common cases (issue 21), through the gateway and every service: a
code_invalid ticket shows the codes delivered (masked; revealed by an audited action); replacing
one retires it (never sold again) and the buyer's order page shows the new code; refunding through
the ticket ends the order refunded; each action is a message on the ticket."""

import re

from services.common.testing import wait_until
from tests.e2e.account.helpers import csrf_header
from tests.e2e.helpers import Api, admin_session, assert_error, csrf_of
from tests.e2e.purchase.helpers import buy, card_product, order_of, pay, wait_status

STAFF = "/api/v1/admin/support/tickets/"


def paid_order(api, sku):
    order = buy(api, sku).json()
    assert pay(api, order).status_code == 200
    wait_status(api, order, "completed")
    return order


def open_ticket(api, order, category="code_invalid"):
    body = {"category": category, "message": "the code does not work", "language": "en"}
    opened = api.post(
        f"/api/v1/orders/{order['order_no']}/tickets", json=body, headers={"X-Order-Token": order["token"]}
    )
    assert opened.status_code == 201, opened.text
    return opened.json()["ticket_id"]


def test_a_replaced_code_is_retired_never_sold_again_and_the_buyer_sees_the_new_one(api, admin, db):
    sku = card_product(admin, codes=3)
    order = paid_order(api, sku)
    assert order_of(api, order)["items"] == [{"code": f"{sku}-C0000", "secret": "pw0"}]
    ticket_id = open_ticket(api, order)

    seen = admin.get(STAFF + ticket_id).json()
    [delivered] = seen["delivery"]
    assert delivered["status"] == "sold" and delivered["code"] == "•" * 8 and "C0000" not in str(seen)
    revealed = admin.post(STAFF + ticket_id + "/reveal-codes")
    assert revealed.status_code == 200, revealed.text
    assert revealed.json()["items"][0]["code"] == f"{sku}-C0000"
    assert (
        db(
            "SELECT count(*) AS n FROM catalog.audit WHERE action = 'codes.reveal' AND subject = :o",
            o=order["order_no"],
        )[0]["n"]
        == 1
    )

    replaced = admin.post(STAFF + ticket_id + "/replace-code", json={"code_id": delivered["id"], "reason": "used"})
    assert replaced.status_code == 200, replaced.text
    after = replaced.json()
    assert [(c["status"], c["id"] == delivered["id"]) for c in after["delivery"]] == [
        ("retired", True),
        ("sold", False),
    ]
    assert after["delivery"][0]["retired_reason"].endswith("used") and after["delivery"][0]["retired_by"]
    assert after["messages"][-1]["by"] == "staff" and "replaced" in after["messages"][-1]["body"]
    assert after["sla"] == "met" and after["status"] == "waiting_on_buyer"
    assert order_of(api, order)["items"] == [{"code": f"{sku}-C0001", "secret": "pw1"}]
    again = admin.post(STAFF + ticket_id + "/replace-code", json={"code_id": delivered["id"], "reason": "used"})
    assert_error(again, 409, "conflict")

    row = db("SELECT status, order_no, retired_at FROM catalog.codes WHERE id = :i", i=delivered["id"])[0]
    assert row["status"] == "retired" and row["order_no"] == order["order_no"] and row["retired_at"]
    assert (
        db(
            "SELECT count(*) AS n FROM catalog.audit WHERE action = 'codes.replaced' AND subject = :o",
            o=order["order_no"],
        )[0]["n"]
        == 1
    )
    # the retired code is never sold again: the next order gets the last code, the one after none
    following = paid_order(api, sku)
    assert order_of(api, following)["items"] == [{"code": f"{sku}-C0002", "secret": "pw2"}]
    assert buy(api, sku).status_code == 409
    report = admin.get("/api/v1/admin/integrity").json()
    mine = {order["order_no"], following["order_no"]}
    assert not [p for p in report["problems"] if p.get("order_no") in mine], report["problems"]


def test_a_refund_through_the_ticket_ends_the_order_refunded(api, admin):
    sku = card_product(admin, codes=1)
    order = paid_order(api, sku)
    ticket_id = open_ticket(api, order)
    refunded = admin.post(STAFF + ticket_id + "/refund", json={"reason": "code unusable"})
    assert refunded.status_code == 200, refunded.text
    assert refunded.json()["messages"][-1]["body"].startswith("We refunded your order")
    wait_until(lambda: order_of(api, order)["status"] == "refunded", message="the order refunded")
    assert_error(admin.post(STAFF + "TNOSUCH/refund", json={"reason": "x"}), 404, "not_found")


def test_support_staff_replace_codes_but_refunds_are_money_roles(api, admin, system):
    sku = card_product(admin, codes=2)
    order = paid_order(api, sku)
    ticket_id = open_ticket(api, order)
    with Api(system["BASE_URL"]) as support:
        admin_session(support, "support")
        csrf = csrf_header(support)
        [delivered] = support.get(STAFF + ticket_id).json()["delivery"]
        assert_error(support.post(STAFF + ticket_id + "/refund", json={"reason": "x"}, headers=csrf), 403, "forbidden")
        replaced = support.post(
            STAFF + ticket_id + "/replace-code", json={"code_id": delivered["id"], "reason": "used"}, headers=csrf
        )
        assert replaced.status_code == 200, replaced.text
    assert order_of(api, order)["status"] == "completed"


def test_the_console_ticket_page_replaces_a_code_and_refunds(api, admin, console):
    sku = card_product(admin, codes=2)
    order = paid_order(api, sku)
    ticket_id = open_ticket(api, order)
    page = console.get(f"/admin/support/{ticket_id}")
    assert page.status_code == 200 and 'id="delivery"' in page.text and 'id="refund"' in page.text  # an owner
    [code_id] = re.findall(r'<tr data-code="(\d+)">', page.text)
    replaced = console.post(
        f"/admin/support/{ticket_id}/replace-code",
        data={"code_id": code_id, "reason": "used", "csrf": csrf_of(page)},
        allow_redirects=False,
    )
    assert replaced.status_code == 303 and replaced.headers["Location"].endswith("?done=replaced")
    assert order_of(api, order)["items"] == [{"code": f"{sku}-C0001", "secret": "pw1"}]
    page = console.get(f"/admin/support/{ticket_id}")
    assert "retired" in page.text
    refunded = console.post(
        f"/admin/support/{ticket_id}/refund",
        data={"reason": "still broken", "csrf": csrf_of(page)},
        allow_redirects=False,
    )
    assert refunded.status_code == 303, refunded.text
    wait_until(lambda: order_of(api, order)["status"] == "refunded" or None, timeout=20, message="refunded")
