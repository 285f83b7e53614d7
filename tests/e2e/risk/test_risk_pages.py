"""The admin console's risk pages over HTTP, through every service, the broker, PostgreSQL and
Redis: the review queue (approve, reject), the rule editor and its history, the lists."""

import re

from services.common.testing import unique, wait_until
from tests.e2e.helpers import csrf_of
from tests.e2e.purchase.helpers import buy, card_product, wait_status
from tests.e2e.risk.helpers import audit_of, held, levels, risk_of


def section(page, order_no):
    found = re.search(rf'<section class="card review" id="review-{order_no}">(.*?)</section>', page.text, re.S)
    return found and found.group(1)


def test_the_queue_shows_a_held_order_and_approving_it_moves_it_on_to_payment(api, admin, rules, system, console):
    contact = f"{unique('queue')}@example.com"
    sku, order = held(api, admin, rules, contact=contact)
    dashboard = console.get("/admin")
    assert re.search(r'id="risk-card">.*href="/admin/risk"', dashboard.text, re.S)
    page = console.get("/admin/risk")
    assert page.status_code == 200
    shown = section(page, order["order_no"])
    assert shown, "the held order is in the queue"
    assert "风险分 60" in shown and "¥19.80" in shown and f"2 × {sku}" in shown and "金额阈值" in shown
    assert "amount 1980 above 1500 for *" in shown and "127.0.0.1" in shown and contact in shown
    assert re.search(r"data-left>(29|30):\d\d<", shown), "the time left in the 30-minute review window"

    forged = console.post(f"/admin/risk/reviews/{order['order_no']}", data={"action": "approve", "csrf": "forged"})
    assert forged.status_code == 403 and risk_of(admin, order)["resolution"] is None
    bad = console.post(f"/admin/risk/reviews/{order['order_no']}", data={"action": "maybe", "csrf": csrf_of(page)})
    assert bad.status_code == 400 and risk_of(admin, order)["resolution"] is None
    long_note = console.post(
        f"/admin/risk/reviews/{order['order_no']}", data={"action": "approve", "note": "x" * 501, "csrf": csrf_of(page)}
    )
    assert long_note.status_code == 400 and "alert-error" in long_note.text
    assert risk_of(admin, order)["resolution"] is None

    approved = console.post(
        f"/admin/risk/reviews/{order['order_no']}",
        allow_redirects=False,
        data={"action": "approve", "note": "known buyer", "csrf": csrf_of(page)},
    )
    assert approved.status_code == 303
    after = console.get(approved.headers["Location"])
    assert "alert-ok" in after.text and order["order_no"] in after.text and section(after, order["order_no"]) is None
    assert wait_status(api, order, "awaiting_payment")["status"] == "awaiting_payment"
    assert audit_of(system, order["order_no"]) == [
        (console.staff["actor"], "risk.review.approve", {"note": "known buyer"})
    ]

    again = console.post(f"/admin/risk/reviews/{order['order_no']}", data={"action": "reject", "csrf": csrf_of(page)})
    assert again.status_code == 409 and "alert-error" in again.text and "already approved" in again.text
    assert risk_of(admin, order)["resolution"] == "approved"


def test_rejecting_in_the_console_releases_the_reservation(api, admin, rules, system, console):
    sku, order = held(api, admin, rules)
    page = console.get("/admin/risk")
    rejected = console.post(
        f"/admin/risk/reviews/{order['order_no']}", data={"action": "reject", "csrf": csrf_of(page)}
    )
    assert rejected.status_code == 200 and "alert-ok" in rejected.text
    assert wait_status(api, order, "rejected")["reason"] == "not_accepted"
    wait_until(lambda: levels(admin, sku) == (3, 0, 0), message="the stock back")
    assert audit_of(system, order["order_no"]) == [(console.staff["actor"], "risk.review.reject", {"note": None})]


def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in_and_changes_nothing(api, admin, rules):
    _, order = held(api, admin, rules)
    for url in ("/admin/risk", "/admin/risk/rules", "/admin/risk/lists"):
        answer = api.get(url, allow_redirects=False)
        assert answer.status_code == 303 and answer.headers["Location"] == "/admin/login", url
    csrf = csrf_of(api.get("/find"))  # a visitor's own valid token
    posts = {
        f"/admin/risk/reviews/{order['order_no']}": {"action": "approve"},
        "/admin/risk/rules": {"rules": "{}"},
        "/admin/risk/lists/blacklist": {"kind": "ip", "value": "10.9.9.9"},
        "/admin/risk/lists/blacklist/1/delete": {},
    }
    version = admin.get("/api/v1/admin/risk/rules").json()["version"]
    for url, form in posts.items():
        answer = api.post(url, data={**form, "csrf": csrf}, allow_redirects=False)
        assert answer.status_code == 303 and answer.headers["Location"] == "/admin/login", url
    # a bearer token is for the JSON API: the pages want the console's session
    assert admin.get("/admin/risk", allow_redirects=False).headers["Location"] == "/admin/login"
    assert risk_of(admin, order)["resolution"] is None
    assert admin.get("/api/v1/admin/risk/rules").json()["version"] == version
    assert "10.9.9.9" not in admin.get("/api/v1/admin/risk/blacklist").text


def test_the_rule_editor_saves_a_new_version_and_refuses_a_bad_rule_set(admin, rules, console):
    rules({})
    before = admin.get("/api/v1/admin/risk/rules").json()
    page = console.get("/admin/risk/rules")
    assert page.status_code == 200 and f"第 {before['version']} 版" in page.text and 'id="rules-editor"' in page.text
    csrf = csrf_of(page)

    bad_json = console.post("/admin/risk/rules", data={"rules": '{"velocity": [', "csrf": csrf})
    assert (
        bad_json.status_code == 400 and "malformed JSON" in bad_json.text and "{&#34;velocity&#34;: [" in bad_json.text
    )
    bad_rule = console.post(
        "/admin/risk/rules",
        data={
            "csrf": csrf,
            "rules": (
                '{"velocity": [{"dimension": "ip", "window_s": 0, "max": 3}], "review_score": 90, "reject_score": 80,'
                ' "colour": "red"}'
            ),
        },
    )
    assert bad_rule.status_code == 400
    errors = re.search(r'id="rules-errors">(.*?)</div>', bad_rule.text, re.S).group(1)
    assert "<code>velocity[0].window_s</code>" in errors and "<code>colour</code>: Unknown field." in errors
    forged = console.post("/admin/risk/rules", data={"rules": '{"review_score": 40}', "csrf": "forged"})
    assert forged.status_code == 403
    assert admin.get("/api/v1/admin/risk/rules").json()["version"] == before["version"]  # nothing saved

    saved = console.post(
        "/admin/risk/rules",
        allow_redirects=False,
        data={
            "csrf": csrf,
            "rules": (
                '{"amount": [{"category": "*", "above": 150000, "action": "review", "score": 30}], "review_score": 40}'
            ),
        },
    )
    assert saved.status_code == 303
    now = admin.get("/api/v1/admin/risk/rules").json()
    assert now["version"] == before["version"] + 1 and now["actor"] == console.staff["actor"]
    assert now["rules"]["amount"][0]["above"] == 150000 and now["rules"]["review_score"] == 40
    shown = console.get(saved.headers["Location"])
    assert "alert-ok" in shown.text and "<code>above=1500.00</code>" in shown.text and "人工审核" in shown.text
    history = re.search(r'id="rule-versions">(.*?)</table>', shown.text, re.S).group(1)
    assert f"<td>{now['version']}</td>" in history and f"<td>{before['version']}</td>" in history


def test_blacklist_and_allowlist_entries_are_added_shown_and_deleted(api, admin, console):
    contact = f"{unique('black')}@example.com"
    page = console.get("/admin/risk/lists")
    assert page.status_code == 200 and 'id="blacklist"' in page.text and 'id="allowlist"' in page.text
    csrf = csrf_of(page)
    entries = lambda name: admin.get(f"/api/v1/admin/risk/{name}").json()["items"]  # noqa: E731
    count = len(entries("blacklist"))

    bad = console.post(
        "/admin/risk/lists/blacklist", data={"kind": "ip", "value": "999.1.1.1", "note": "n", "csrf": csrf}
    )
    assert bad.status_code == 400 and "not a valid IP address" in bad.text and 'value="999.1.1.1"' in bad.text
    wrong_kind = console.post("/admin/risk/lists/blacklist", data={"kind": "planet", "value": "mars", "csrf": csrf})
    assert wrong_kind.status_code == 400 and "field-error" in wrong_kind.text
    forged = console.post("/admin/risk/lists/blacklist", data={"kind": "contact", "value": contact, "csrf": "forged"})
    assert forged.status_code == 403
    assert (
        console.post("/admin/risk/lists/greylist", data={"kind": "ip", "value": "10.0.0.1", "csrf": csrf}).status_code
        == 404
    )
    assert len(entries("blacklist")) == count

    added = console.post(
        "/admin/risk/lists/blacklist",
        allow_redirects=False,
        data={"kind": "contact", "value": contact.upper(), "note": "chargebacks", "csrf": csrf},
    )
    assert added.status_code == 303
    entry = next(e for e in entries("blacklist") if e["value"] == contact)
    assert entry["kind"] == "contact" and entry["note"] == "chargebacks" and entry["actor"] == console.staff["actor"]
    listed = console.get(added.headers["Location"])
    assert f'id="blacklist-{entry["id"]}"' in listed.text and "alert-ok" in listed.text
    duplicate = console.post("/admin/risk/lists/blacklist", data={"kind": "contact", "value": contact, "csrf": csrf})
    assert duplicate.status_code == 409 and "已在名单中" in duplicate.text
    rejected = buy(api, card_product(admin), contact=contact).json()
    assert rejected["status"] == "rejected" and rejected["reason"] == "not_accepted"

    forged_delete = console.post(f"/admin/risk/lists/blacklist/{entry['id']}/delete", data={"csrf": "forged"})
    assert forged_delete.status_code == 403 and any(e["id"] == entry["id"] for e in entries("blacklist"))
    removed = console.post(f"/admin/risk/lists/blacklist/{entry['id']}/delete", data={"csrf": csrf})
    assert removed.status_code == 200 and f'id="blacklist-{entry["id"]}"' not in removed.text
    assert not any(e["id"] == entry["id"] for e in entries("blacklist"))
    assert console.post(f"/admin/risk/lists/blacklist/{entry['id']}/delete", data={"csrf": csrf}).status_code == 404

    allowed = console.post("/admin/risk/lists/allowlist", data={"kind": "cidr", "value": "10.77.0.0/16", "csrf": csrf})
    assert allowed.status_code == 200
    entry = next(e for e in entries("allowlist") if e["value"] == "10.77.0.0/16")
    assert console.post(f"/admin/risk/lists/allowlist/{entry['id']}/delete", data={"csrf": csrf}).status_code == 200


def test_the_rule_form_shows_and_takes_amounts_in_yuan(admin, rules, console):
    rules({"amount": [{"category": "*", "above": 150000, "action": "review", "score": 30}], "review_score": 40})
    before = admin.get("/api/v1/admin/risk/rules").json()
    page = console.get("/admin/risk/rules")
    assert 'name="amount.0.above" value="1500.00"' in page.text and 'name="amount.1.above" value=""' in page.text
    form = {
        "csrf": csrf_of(page),
        "review_score": "40",
        "reject_score": "90",
        "amount.0.category": "*",
        "amount.0.above": "1500.00",
        "amount.0.action": "review",
        "amount.0.score": "30",
        "amount.1.category": "",
        "amount.1.above": "",
        "amount.1.action": "review",
        "amount.1.score": "",
        "velocity.0.dimension": "ip",
        "velocity.0.window_s": "60",
        "velocity.0.max": "3",
        "velocity.0.action": "reject",
        "velocity.0.score": "",
        "new_contact.0.above": "99.50",
        "new_contact.0.action": "score",
        "new_contact.0.score": "10",
        "unpaid.0.max": "",
        "unpaid.0.action": "review",
        "unpaid.0.score": "",
    }
    bad = console.post("/admin/risk/rules", data={**form, "amount.0.above": "15,00"})
    assert bad.status_code == 400 and "amount[0].above" in bad.text and 'value="15,00"' in bad.text
    refused = console.post("/admin/risk/rules", data={**form, "velocity.0.window_s": "0"})  # the service's schema
    assert refused.status_code == 400 and "velocity[0].window_s" in refused.text
    assert admin.get("/api/v1/admin/risk/rules").json()["version"] == before["version"]
    saved = console.post("/admin/risk/rules", data=form, allow_redirects=False)
    assert saved.status_code == 303
    now = admin.get("/api/v1/admin/risk/rules").json()["rules"]
    assert now["amount"] == [{"category": "*", "above": 150000, "action": "review", "score": 30}]
    assert now["velocity"] == [{"dimension": "ip", "window_s": 60, "max": 3, "action": "reject", "score": 0}]
    assert now["new_contact"] == {"above": 9950, "action": "score", "score": 10} and now["unpaid"] is None
    assert (now["review_score"], now["reject_score"]) == (40, 90)
