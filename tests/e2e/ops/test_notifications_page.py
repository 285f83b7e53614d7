"""The console's notifications page (issue 21) over HTTP, through the notify service: an owner
adds a webhook target (shown by scheme and host only, never the URL's path or the secret) and
removes it; a bad URL is refused on the form; a form without the CSRF token changes nothing."""

import re

from services.common.testing import unique
from tests.e2e.helpers import csrf_of

SECRET_PATH = "/cgi-bin/webhook/send?key=hush-0123"


def test_an_owner_adds_and_removes_a_webhook_target(admin, console):
    page = console.get("/admin/notifications")
    assert page.status_code == 200 and "Webhook" in page.text
    csrf, name = csrf_of(page), unique("ops")
    form = {
        "csrf": csrf,
        "name": name,
        "url": "https://qyapi.example.com" + SECRET_PATH,
        "format": "dingtalk",
        "secret": "SECsign-me",
        "topics": ["support", "stock"],
        "language": "en",
    }
    assert console.post("/admin/notifications", data={**form, "csrf": "forged"}).status_code == 403
    assert name not in admin.get("/api/v1/admin/notifications/targets").text

    bad = console.post("/admin/notifications", data={**form, "url": "not a url"})
    assert bad.status_code == 400 and "field-error" in bad.text
    added = console.post("/admin/notifications", data=form, allow_redirects=False)
    assert added.status_code == 303 and added.headers["Location"] == "/admin/notifications?done=added"
    [target] = [t for t in admin.get("/api/v1/admin/notifications/targets").json()["items"] if t["name"] == name]
    assert target["format"] == "dingtalk" and target["topics"] == ["support", "stock"] and target["has_secret"]
    assert target["url_host"] == "https://qyapi.example.com" and target["language"] == "en"

    shown = console.get("/admin/notifications?done=added")
    row = re.search(rf'<tr id="target-{target["id"]}">(.*?)</tr>', shown.text, re.S).group(1)
    assert name in row and "https://qyapi.example.com" in row and "钉钉" in row and "客服工单" in row
    assert "hush-0123" not in shown.text and "SECsign-me" not in shown.text

    gone = console.post(
        f"/admin/notifications/{target['id']}/delete", data={"csrf": csrf_of(shown)}, allow_redirects=False
    )
    assert gone.status_code == 303 and gone.headers["Location"] == "/admin/notifications?done=removed"
    assert name not in admin.get("/api/v1/admin/notifications/targets").text
    again = console.post(f"/admin/notifications/{target['id']}/delete", data={"csrf": csrf_of(shown)})
    assert again.status_code == 404


def test_a_visitor_is_sent_to_sign_in(api):
    answer = api.get("/admin/notifications", allow_redirects=False)
    assert answer.status_code == 303 and answer.headers["Location"] == "/admin/login"
