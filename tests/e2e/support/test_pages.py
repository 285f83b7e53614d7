"""The support pages over HTTP: a buyer with the order page's token cookie opens a ticket from the
order page, attaches a file (sent as the body, with the page's CSRF token), follows the ticket;
staff see it in the console's queue with its SLA clock, answer, assign it to themselves and
download the file; the buyer sees the answer. Nobody else sees the ticket."""

import re

from services.common.testing import unique
from tests.e2e.account.helpers import signed_up
from tests.e2e.helpers import Api, admin_session, assert_error, csrf_of
from tests.e2e.purchase.helpers import buy, card_product

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def with_order_cookie(api, order):
    """`api` as the buyer's browser after typing the token in on the order page."""
    page = api.get(f"/orders/{order['order_no']}")
    opened = api.post(f"/orders/{order['order_no']}", data={"token": order["token"], "csrf": csrf_of(page)})
    assert opened.status_code == 200 and 'id="need-help"' in opened.text, opened.text
    return opened


def open_ticket(api, order, message, category="code_invalid"):
    form = api.get(f"/orders/{order['order_no']}/tickets")
    assert form.status_code == 200 and 'id="new-ticket"' in form.text, form.text
    data = {"category": category, "message": message, "csrf": csrf_of(form)}
    made = api.post(f"/orders/{order['order_no']}/tickets", data=data, allow_redirects=False)
    assert made.status_code == 303, made.text
    return made.headers["Location"], made.headers["Location"].rsplit("/", 1)[1]


def test_a_buyer_opens_a_ticket_from_the_order_page_and_staff_answer_it_in_the_console(system, api, admin):
    sku = card_product(admin)
    contact = f"{unique('help')}@example.com"
    order = buy(api, sku, contact=contact).json()
    page = with_order_cookie(api, order)
    assert f'href="/orders/{order["order_no"]}/tickets"' in page.text

    form = api.get(f"/orders/{order['order_no']}/tickets")
    refused = api.post(
        f"/orders/{order['order_no']}/tickets", data={"category": "angry", "message": "x", "csrf": csrf_of(form)}
    )
    assert refused.status_code == 400 and 'class="alert alert-error"' in refused.text
    no_csrf = api.post(f"/orders/{order['order_no']}/tickets", data={"category": "other", "message": "x"})
    assert no_csrf.status_code == 403

    url, ticket_id = open_ticket(api, order, "the code <b>says</b> used")
    shown = api.get(url)
    assert shown.status_code == 200 and "the code &lt;b&gt;says&lt;/b&gt; used" in shown.text
    assert 'id="ticket-status"' in shown.text and 'src="/static/support.js"' in shown.text

    csrf = csrf_of(shown)
    files = f"{url}/attachments"
    upload = api.post(
        files + "?filename=screen.png", data=PNG, headers={"Content-Type": "image/png", "X-CSRF-Token": csrf}
    )
    assert upload.status_code == 201, upload.text
    attachment = upload.json()
    assert attachment["filename"] == "screen.png"
    assert api.post(files + "?filename=s.png", data=PNG, headers={"Content-Type": "image/png"}).status_code == 403
    html = b"<html><script>alert(1)</script></html>"
    wrong = api.post(files, data=html, headers={"Content-Type": "image/png", "X-CSRF-Token": csrf})
    assert_error(wrong, 415, "unsupported_media_type")
    big = PNG + b"\x00" * (2 * 1024 * 1024)
    assert_error(
        api.post(files, data=big, headers={"Content-Type": "image/png", "X-CSRF-Token": csrf}), 413, "payload_too_large"
    )
    served = api.get(f"{files}/{attachment['id']}")
    assert served.content == PNG and served.headers["Content-Disposition"].startswith("attachment")

    with Api(system["BASE_URL"]) as stranger:
        assert stranger.get(url).status_code == 404
        assert stranger.get(f"{files}/{attachment['id']}").status_code == 404
        assert stranger.get(f"/orders/{order['order_no']}/tickets").status_code == 404

    with Api(system["BASE_URL"]) as console:
        admin_session(console, "support")
        queue = console.get("/admin/support")
        assert queue.status_code == 200, queue.text
        row = re.search(rf'<tr id="queue-{ticket_id}".*?</tr>', queue.text, re.S).group(0)
        assert 'data-due="' in row and 'src="/static/support.js"' in queue.text
        seen = console.get(f"/admin/support/{ticket_id}")
        assert contact in seen.text  # the buyer's contact, for staff only
        assert "the code &lt;b&gt;says&lt;/b&gt; used" in seen.text and f"/attachments/{attachment['id']}" in seen.text
        assert console.get(f"/admin/support/{ticket_id}/attachments/{attachment['id']}").content == PNG
        csrf = csrf_of(seen)
        assigned = console.post(f"/admin/support/{ticket_id}/assign", data={"csrf": csrf})
        assert assigned.status_code == 200 and "Staff support" in assigned.text.split('id="assignee">')[1][:200]
        answered = console.post(
            f"/admin/support/{ticket_id}/reply", data={"body": "replaced it, try again", "csrf": csrf}
        )
        assert answered.status_code == 200 and "replaced it, try again" in answered.text
        bad = console.post(f"/admin/support/{ticket_id}/status", data={"status": "asleep", "csrf": csrf})
        assert bad.status_code == 400
        resolved = console.post(f"/admin/support/{ticket_id}/status", data={"status": "resolved", "csrf": csrf})
        assert resolved.status_code == 200 and "?done=status" in resolved.url

    back = api.get(url)
    assert "replaced it, try again" in back.text and "message-staff" in back.text
    replied = api.post(f"{url}/reply", data={"body": "works now, thanks", "csrf": csrf_of(back)})
    assert replied.status_code == 200 and "works now, thanks" in replied.text
    listed = api.get(f"/orders/{order['order_no']}/tickets")
    assert f'id="ticket-{ticket_id}"' in listed.text


def test_the_support_queue_is_for_support_staff_only(system):
    with Api(system["BASE_URL"]) as anonymous:
        assert anonymous.get("/admin/support", allow_redirects=False).headers["Location"].endswith("/admin/login")
    with Api(system["BASE_URL"]) as operator:
        admin_session(operator, "operator")
        assert operator.get("/admin/support").status_code == 403


def test_a_signed_in_member_opens_a_ticket_from_the_order_history(system, admin):
    sku = card_product(admin)
    member, _ = signed_up(system)
    other, _ = signed_up(system)
    with member, other:
        order = buy(member, sku).json()  # bought signed in: the order is the member's, no token cookie
        history = member.get("/account/orders")
        assert f'href="/orders/{order["order_no"]}/tickets"' in history.text, history.text
        url, _ = open_ticket(member, order, "nothing arrived", "not_received")
        shown = member.get(url)
        assert shown.status_code == 200 and "nothing arrived" in shown.text
        assert other.get(url).status_code == 404
        assert other.get(f"/orders/{order['order_no']}/tickets").status_code == 404
