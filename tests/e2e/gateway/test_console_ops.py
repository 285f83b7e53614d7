"""The console's operator pages (issue 23), over plain HTTP against the real system: everything
an operator does without curl (categories, partial refunds, codes, payment records, the
reconciliation and integrity reports, counted stock), and the timeline read as a person reads it."""

import re
from datetime import datetime, timedelta

from services.common.testing import unique
from tests.e2e.helpers import admin_session, csrf_of
from tests.e2e.purchase.helpers import buy, card_product, pay, wait_status


def product_of(admin, delivery, **fields):
    sku = unique(delivery.upper())
    body = {"sku": sku, "name": f"{delivery} {sku}", "category": "测试", "price": "5.00", "delivery": delivery}
    made = admin.post("/api/v1/admin/products", json={**body, **fields})
    assert made.status_code == 201, made.text
    return sku


def test_categories_are_created_and_renamed_from_the_console(api):
    admin_session(api)
    page = api.get("/admin/categories")
    assert page.status_code == 200 and 'id="category-add"' in page.text
    name = unique("分类")
    made = api.post("/admin/categories", data={"csrf": csrf_of(page), "name": name, "sort_order": "3"})
    assert made.status_code == 200 and "alert-ok" in made.text and name in made.text
    again = api.post("/admin/categories", data={"csrf": csrf_of(page), "name": name})
    assert again.status_code == 409 and "alert-error" in again.text
    assert api.post("/admin/categories", data={"csrf": csrf_of(page), "name": ""}).status_code == 400
    renamed = api.post(f"/admin/categories/{name}", data={"csrf": csrf_of(page), "new_name": name + "新"})
    assert renamed.status_code == 200 and f"{name}新" in renamed.text
    listed = [c["name"] for c in api.get("/api/v1/admin/categories").json()["items"]]
    assert f"{name}新" in listed and name not in listed
    assert api.post("/admin/categories/NOPE-none", data={"csrf": csrf_of(page), "new_name": "x"}).status_code == 404
    archived = api.post(f"/admin/categories/{name}新", data={"csrf": csrf_of(page), "action": "archive"})
    assert archived.status_code == 200 and "alert-ok" in archived.text and 'value="restore"' in archived.text
    assert [c["archived"] for c in api.get("/api/v1/admin/categories").json()["items"] if c["name"] == f"{name}新"] == [
        True
    ]
    held = api.post("/admin/categories/测试", data={"csrf": csrf_of(page), "action": "archive"})  # products on sale
    assert held.status_code == 409 and "alert-error" in held.text
    restored = api.post(f"/admin/categories/{name}新", data={"csrf": csrf_of(page), "action": "restore"})
    assert restored.status_code == 200 and 'value="restore"' not in restored.text


def test_a_partial_refund_from_the_order_page_and_its_payment_records(api, admin):
    order = buy(api, card_product(admin, codes=1, price="10.00")).json()
    pay(api, order)
    wait_status(api, order, "completed")
    admin_session(api)
    page = api.get(f"/admin/orders/{order['order_no']}")
    assert 'id="payment"' in page.text and "¥10.00" in page.text and 'id="notifications"' in page.text
    idem = re.search(r'name="idem" value="([^"]+)"', page.text).group(1)
    form = {"csrf": csrf_of(page), "reason": "一半", "amount": "3.50", "idem": idem}
    bad = api.post(f"/admin/orders/{order['order_no']}/refund", data={**form, "amount": "3.505"})
    payment_url = f"/api/v1/admin/orders/{order['order_no']}/payment"
    assert bad.status_code == 400 and api.get(payment_url).json()["refunds"] == []
    done = api.post(f"/admin/orders/{order['order_no']}/refund", data=form)
    assert done.status_code == 200 and "alert-ok" in done.text and 'id="refunds"' in done.text and "¥3.50" in done.text
    api.post(f"/admin/orders/{order['order_no']}/refund", data=form)  # resubmitted: the same refund
    payment = api.get(payment_url).json()
    assert [r["amount"] for r in payment["refunds"]] == ["3.50"]
    assert wait_status(api, order, "completed")["status"] == "completed"  # a partial refund keeps the order


def test_the_timeline_is_in_words_and_local_time_without_steps_that_changed_nothing(api, admin):
    order = buy(api, card_product(admin, codes=1)).json()
    pay(api, order)
    wait_status(api, order, "completed")
    admin_session(api)
    page = api.get(f"/admin/orders/{order['order_no']}", params={"lang": "en"}).text
    timeline = page[page.index('id="timeline"') : page.index("</ol>", page.index('id="timeline"'))]
    assert "Payment received" in timeline and "payment_succeeded" not in timeline and "Asia/Shanghai" in page
    assert "Awaiting payment → Awaiting payment" not in timeline and "{" not in timeline
    raw = api.get(f"/api/v1/admin/orders/{order['order_no']}").json()["timeline"]
    first = raw[0]["at"]  # UTC; shown eight hours on (steps that change nothing: tests/unit/gateway/test_orderview.py)
    local = (datetime.fromisoformat(first.replace("Z", "+00:00")) + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")
    assert local in timeline


def test_codes_are_listed_masked_and_revealed_on_purpose(api, admin):
    sku = card_product(admin, codes=0)
    secret = unique("SECRETCODE")
    text = {"Content-Type": "text/plain"}
    admin.post(f"/api/v1/admin/products/{sku}/codes", data=f"{secret},pw1\n\n".encode(), headers=text)
    admin_session(api)
    page = api.get(f"/admin/products/{sku}")
    assert 'id="code-list"' in page.text and secret not in page.text and "••••••••" in page.text
    assert 'id="set-stock"' not in page.text and 'id="import"' in page.text
    shown = api.post(f"/admin/products/{sku}", data={"csrf": csrf_of(page), "action": "reveal_codes"})
    assert shown.status_code == 200 and secret in shown.text and "pw1" in shown.text
    refused = api.post(f"/admin/products/{sku}", data={"csrf": csrf_of(page), "action": "stock", "stock": "5"})
    assert refused.status_code == 409  # a card's stock is its codes


def test_counted_stock_of_goods_that_are_not_cards_and_no_card_import_for_them(api, admin):
    sku = product_of(admin, "recharge")
    admin_session(api)
    page = api.get(f"/admin/products/{sku}")
    assert 'id="import"' not in page.text and 'id="code-list"' not in page.text and 'id="set-stock"' in page.text
    form = {"csrf": csrf_of(page), "action": "stock"}
    assert api.post(f"/admin/products/{sku}", data={**form, "stock": "7"}).status_code == 200
    level = {s["sku"]: s for s in api.get("/api/v1/admin/stock").json()["items"]}[sku]
    assert (level["counted"], level["available"]) == (True, 7)
    assert api.post(f"/admin/products/{sku}", data={**form, "stock": "-2"}).status_code == 400
    assert api.post(f"/admin/products/{sku}", data={**form, "stock": "abc"}).status_code == 400
    assert {s["sku"]: s for s in api.get("/api/v1/admin/stock").json()["items"]}[sku]["available"] == 7
    assert api.post(f"/admin/products/{sku}", data={**form, "stock": ""}).status_code == 200  # unlimited
    assert not {s["sku"]: s for s in api.get("/api/v1/admin/stock").json()["items"]}[sku]["counted"]


def test_the_reconciliation_and_integrity_reports_have_pages(api):
    admin_session(api)
    recon = api.get("/admin/reconciliation", params={"days": "3"})
    assert recon.status_code == 200 and 'id="reconciliation"' in recon.text and 'value="3"' in recon.text
    assert api.get("/admin/reconciliation", params={"days": "999"}).status_code == 200  # the default instead
    integrity = api.get("/admin/integrity", params={"days": "1"})
    assert integrity.status_code == 200 and 'id="counted"' in integrity.text


def test_support_staff_see_neither_report(api):
    admin_session(api, role="support")
    assert api.get("/admin/reconciliation").status_code == 403
    assert api.get("/admin/integrity").status_code == 403
    assert api.get("/admin/categories").status_code == 403
