"""The analytics reports over HTTP with every service running (issue 22): a product viewed and
bought through the real API shows in the SKU breakdown, the funnel's views and the slow-seller
report, in JSON (yuan strings) and CSV; nothing but events reached the analytics service. The
roles, bad input, and the replay that rebuilds the same figures."""

from datetime import datetime
from zoneinfo import ZoneInfo

from services.common.testing import wait_until
from tests.e2e.helpers import Api, admin_session, assert_error
from tests.e2e.purchase.helpers import buy, card_product, pay, wait_status


def line(admin, sku):
    answer = admin.get("/api/v1/admin/analytics/breakdown", params={"by": "sku"})
    assert answer.status_code == 200, answer.text
    return next((i for i in answer.json()["items"] if i["key"] == sku), None)


def slow(admin, sku):
    answer = admin.get("/api/v1/admin/analytics/slow_sellers")
    return next((i for i in answer.json()["items"] if i["sku"] == sku), None)


def test_a_viewed_and_bought_product_shows_in_the_reports_and_their_csv(admin, api):
    sku = card_product(admin, codes=3, price="12.50")
    for _ in range(3):
        assert api.get(f"/api/v1/products/{sku}").status_code == 200
    paid = buy(api, sku, quantity=2, contact="Repeat@Example.com").json()
    unpaid = buy(api, sku, contact="once@example.com").json()
    assert pay(api, paid).status_code == 200
    wait_status(api, paid, "completed")

    found = wait_until(
        lambda: (i := line(admin, sku)) and i["orders"] == 2 and i["paid"] == 1 and i["sales"] == "25.00" and i,
        timeout=20,
        message="the order digest and the payment in the analytics service",
    )
    assert found["refunds"] == 0 and found["refund_amount"] == "0.00"
    views = wait_until(lambda: (s := slow(admin, sku)) and s["views"] >= 3 and s, timeout=10, message="the views")
    assert (views["units"], views["revenue"], views["category"]) == (2, "25.00", "测试")
    assert unpaid["order_no"] != paid["order_no"]

    heat = admin.get("/api/v1/admin/analytics/heatmap").json()
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    assert len(heat["cells"]) == 168 and heat["peak"] is not None
    assert any(c["orders"] >= 2 for c in heat["cells"] if c["dow"] == now.isoweekday())

    csv = admin.get("/api/v1/admin/analytics/breakdown.csv", params={"by": "sku"})
    assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in csv.headers["Content-Disposition"]
    rows = csv.content.decode("utf-8-sig").splitlines()
    assert rows[0] == "key,orders,paid,sales,refunds,refund_amount"
    assert f"{sku},2,1,25.00,0,0.00" in rows

    before = line(admin, sku)
    replayed = admin.post("/api/v1/admin/analytics/replay")
    assert replayed.status_code == 200 and replayed.json()["events"] > 0
    assert line(admin, sku) == before


def signed_in(system, role):
    client = Api(system["BASE_URL"])
    admin_session(client, role=role)
    return client


def test_reports_need_a_reporting_role_and_valid_input(system, admin, api):
    assert_error(api.get("/api/v1/admin/analytics/heatmap"), 401, "unauthorized")
    with signed_in(system, "support") as support:
        assert_error(support.get("/api/v1/admin/analytics/heatmap"), 403, "forbidden")
    with signed_in(system, "finance") as finance:
        assert finance.get("/api/v1/admin/analytics/margin").status_code == 200
    assert_error(admin.get("/api/v1/admin/analytics/nope"), 404, "not_found")
    assert_error(admin.get("/api/v1/admin/analytics/nope.csv"), 404, "not_found")
    assert_error(admin.get("/api/v1/admin/analytics/breakdown", params={"by": "colour"}), 400, "validation_error")
    assert_error(admin.get("/api/v1/admin/analytics/funnel", params={"since": "2026-13-01"}), 400, "validation_error")
    bad = admin.get("/api/v1/admin/analytics/funnel", params={"since": "2026-05-02", "until": "2026-05-01"})
    assert_error(bad, 400, "validation_error")
