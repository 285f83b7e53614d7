"""Support tickets through the gateway: a buyer opens one with the order token, attaches a file
(the wrong type or too large refused with a clear 4xx), the file is served only to the ticket's
parties (the token holder, support staff) as a download, staff answer and the SLA is met."""

from tests.e2e.helpers import assert_error
from tests.e2e.purchase.helpers import buy, card_product

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def ticket_url(order, tail=""):
    return f"/api/v1/orders/{order['order_no']}/tickets{tail}"


def test_a_buyer_opens_a_ticket_attaches_a_file_and_staff_answer(api, admin):
    sku = card_product(admin)
    order, other = buy(api, sku).json(), buy(api, sku).json()
    mine = {"X-Order-Token": order["token"]}
    body = {"category": "code_invalid", "message": "the code says already used", "language": "en"}
    assert_error(api.post(ticket_url(order), json=body), 404, "not_found")  # no token
    assert_error(api.post(ticket_url(order), json=body, headers={"X-Order-Token": other["token"]}), 404, "not_found")
    assert_error(api.post(ticket_url(order), json={**body, "category": "angry"}, headers=mine), 400, "validation_error")
    opened = api.post(ticket_url(order), json=body, headers=mine)
    assert opened.status_code == 201, opened.text
    ticket = opened.json()
    assert ticket["status"] == "open" and ticket["sla"] == "pending" and "contact" not in ticket
    url = ticket_url(order, f"/{ticket['ticket_id']}")

    upload = api.post(url + "/attachments?filename=screen.png", data=PNG, headers={**mine, "Content-Type": "image/png"})
    assert upload.status_code == 201, upload.text
    attachment = upload.json()
    assert attachment["content_type"] == "image/png" and attachment["filename"] == "screen.png"
    html = b"<html><script>alert(1)</script></html>"
    refused = api.post(url + "/attachments", data=html, headers={**mine, "Content-Type": "image/png"})
    assert_error(refused, 415, "unsupported_media_type")
    big = PNG + b"\x00" * (2 * 1024 * 1024)
    assert_error(
        api.post(url + "/attachments", data=big, headers={**mine, "Content-Type": "image/png"}),
        413,
        "payload_too_large",
    )

    file_url = f"{url}/attachments/{attachment['id']}"
    served = api.get(file_url, headers=mine)
    assert served.status_code == 200 and served.content == PNG
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["Content-Disposition"] == 'attachment; filename="screen.png"'
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert_error(api.get(file_url), 404, "not_found")
    assert_error(api.get(file_url, headers={"X-Order-Token": other["token"]}), 404, "not_found")
    other_url = ticket_url(other, f"/{ticket['ticket_id']}/attachments/{attachment['id']}")
    assert_error(api.get(other_url, headers={"X-Order-Token": other["token"]}), 404, "not_found")
    staff_file = f"/api/v1/admin/support/tickets/{ticket['ticket_id']}/attachments/{attachment['id']}"
    assert admin.get(staff_file).content == PNG
    assert_error(api.get(staff_file), 401, "unauthorized")

    queue = admin.get("/api/v1/admin/support/tickets").json()["items"]
    assert ticket["ticket_id"] in [t["ticket_id"] for t in queue]
    answered = admin.post(f"/api/v1/admin/support/tickets/{ticket['ticket_id']}/messages", json={"body": "replaced"})
    assert answered.status_code == 200, answered.text
    assert answered.json()["sla"] == "met" and answered.json()["status"] == "waiting_on_buyer"
    seen = api.get(url, headers=mine).json()
    assert [m["by"] for m in seen["messages"]] == ["buyer", "staff"] and seen["messages"][1]["body"] == "replaced"
    back = api.post(url + "/messages", json={"body": "works now, thanks"}, headers=mine)
    assert back.status_code == 200 and back.json()["status"] == "open"
