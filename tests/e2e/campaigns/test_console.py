"""The console's campaigns page (issue 22) over HTTP: listed, created from the form (errors shown,
nothing written), deactivated; in Chinese and English; not for support staff."""

from datetime import datetime

from services.common.testing import unique
from tests.e2e.campaigns.helpers import SHANGHAI
from tests.e2e.helpers import Api, admin_session, csrf_of
from tests.e2e.purchase.helpers import buy, card_product


def test_the_console_creates_lists_and_deactivates_a_campaign(system, console, admin, api, db):
    sku = card_product(admin, codes=2, price="10.00")
    page = console.get("/admin/campaigns")
    assert page.status_code == 200 and "新建活动" in page.text
    name = unique("晚高峰")
    form = {
        "csrf": csrf_of(page),
        "name": name,
        "percent_off": "30",
        "weekdays": ["1", "2", "3", "4", "5", "6", "7"],
        "starts": "00:00",
        "ends": "23:59",
        "timezone": "Asia/Shanghai",
        "skus": f"{sku}, ",
        "notify": "1",
    }
    assert console.post("/admin/campaigns", data={**form, "csrf": "forged"}).status_code == 403
    bad = console.post("/admin/campaigns", data={**form, "skus": "NO-SUCH-SKU"})
    assert bad.status_code == 400 and "NO-SUCH-SKU" in bad.text
    bad_time = console.post("/admin/campaigns", data={**form, "ends": "00:00"})
    assert bad_time.status_code == 400
    assert db("SELECT 1 FROM catalog.campaigns WHERE name = :n", n=name) == []  # nothing written

    made = console.post("/admin/campaigns", data=form, allow_redirects=False)
    assert made.status_code == 303 and made.headers["Location"] == "/admin/campaigns?done=created"
    (row,) = db("SELECT id, skus, percent_off, created_by FROM catalog.campaigns WHERE name = :n", n=name)
    assert row["skus"] == [sku] and row["percent_off"] == 30 and row["created_by"].startswith("staff:")
    listed = console.get("/admin/campaigns?done=created")
    assert "活动已创建" in listed.text and f'id="campaign-{row["id"]}"' in listed.text and "进行中" in listed.text
    english = console.get("/admin/campaigns?lang=en")
    assert "Running now" in english.text and "New campaign" in english.text
    last_minute = datetime.now(SHANGHAI).strftime("%H:%M") == "23:59"  # the one minute outside the window
    assert buy(api, sku).json()["amount"] == ("10.00" if last_minute else "7.00")

    ended = console.post(
        f"/admin/campaigns/{row['id']}/deactivate", data={"csrf": csrf_of(listed)}, allow_redirects=False
    )
    assert ended.status_code == 303
    assert "已停用" in console.get("/admin/campaigns?lang=zh-CN").text
    again = console.post(f"/admin/campaigns/{row['id']}/deactivate", data={"csrf": csrf_of(listed)})
    assert again.status_code == 404


def test_support_staff_do_not_see_the_campaigns_page(system):
    with Api(system["BASE_URL"]) as support:
        admin_session(support, role="support")
        assert support.get("/admin/campaigns", allow_redirects=False).status_code == 403
