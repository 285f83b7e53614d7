"""The account pages and the console's buyer and level pages, over HTTP (forms with CSRF)."""

from tests.e2e.account.helpers import PASSWORD, link_token, new_email, signed_up
from tests.e2e.helpers import admin_session, csrf_of


def test_sign_in_page_answers_every_failure_alike_and_signs_in(system, api):
    _, buyer = signed_up(system)
    form = api.get("/account/sign-in")
    csrf = csrf_of(form)
    wrong = api.post("/account/sign-in", data={"login": buyer["email"], "password": "nope nope nope", "csrf": csrf})
    unknown = api.post("/account/sign-in", data={"login": new_email(), "password": PASSWORD, "csrf": csrf})
    assert wrong.status_code == unknown.status_code == 401 and "账户或密码错误" in wrong.text
    no_csrf = api.post("/account/sign-in", data={"login": buyer["email"], "password": PASSWORD})
    assert no_csrf.status_code == 403
    done = api.post(
        "/account/sign-in", data={"login": buyer["email"], "password": PASSWORD, "csrf": csrf}, allow_redirects=False
    )
    assert done.status_code == 303 and done.headers["Location"] == "/account"
    profile = api.get("/account")
    assert profile.status_code == 200 and buyer["email"] in profile.text


def test_the_mailed_links_open_their_pages(system, api, mail_sink):
    _, folder = mail_sink
    client, buyer = signed_up(system)
    token = link_token(folder, buyer["email"], "Verify", "/account/verify")
    assert api.get("/account/verify", params={"token": token}).status_code == 200
    assert api.get("/account/verify", params={"token": token}).status_code == 400  # once
    assert client.get("/api/v1/account").json()["email_verified"] is True
    csrf = csrf_of(api.get("/account/forgot"))
    sent = api.post("/account/forgot", data={"email": buyer["email"], "csrf": csrf})
    assert sent.status_code == 200 and "重设链接" in sent.text
    reset = link_token(folder, buyer["email"], "Reset", "/account/reset")
    page = api.get("/account/reset", params={"token": reset})
    assert page.status_code == 200 and reset in page.text
    weak = api.post("/account/reset", data={"token": reset, "password": "short", "csrf": csrf})
    assert weak.status_code == 400 and "at least 10" in weak.text
    done = api.post(
        "/account/reset", data={"token": reset, "password": "new and long 4321", "csrf": csrf}, allow_redirects=False
    )
    assert done.status_code == 303 and done.headers["Location"] == "/account/sign-in?done=reset"
    assert client.get("/account", allow_redirects=False).headers["Location"] == "/account/sign-in"


def test_the_console_lists_buyers_and_manages_levels(system, api):
    _, buyer = signed_up(system)
    admin_session(api)
    page = api.get("/admin/buyers", params={"q": buyer["email"].split("@")[0]})
    assert page.status_code == 200 and f'id="buyer-{buyer["id"]}"' in page.text
    assert buyer["email"] not in page.text and buyer["email"][0] + "****@example.com" in page.text
    levels = api.get("/admin/levels")
    csrf = csrf_of(levels)
    added = api.post("/admin/levels", data={"name": "白银", "threshold": "100.00", "csrf": csrf}, allow_redirects=False)
    assert added.status_code == 303
    assert "白银" in api.get("/admin/levels").text
    same = api.post("/admin/levels", data={"name": "黄金", "threshold": "100", "csrf": csrf})
    assert same.status_code == 409
    assert (
        api.post("/admin/levels/白银", data={"threshold": "200", "csrf": csrf}, allow_redirects=False).status_code
        == 303
    )
    assert [lv["threshold"] for lv in api.get("/api/v1/admin/levels").json()["items"] if lv["name"] == "白银"] == [
        "200.00"
    ]
    removed = api.post("/admin/levels/白银/delete", data={"csrf": csrf}, allow_redirects=False)
    assert removed.status_code == 303 and "白银" not in api.get("/admin/levels").text
