"""The console's supplier page over HTTP (every service, the broker, PostgreSQL, Redis): suppliers
with their qualification and whether they are enabled, each SKU's sources with a warning on a
single source, enable / disable from the page."""

import re

from tests.e2e.helpers import csrf_of
from tests.e2e.supplier.helpers import approved, catalog_sku, created, mapped


def row(page, supplier):
    found = re.search(rf'<tr id="supplier-{supplier["id"]}"[^>]*>(.*?)</tr>', page.text, re.S)
    return found and found.group(1)


def sku_block(page, sku):
    found = re.search(rf'<div class="sku-sources" id="sku-{sku}">(.*?)</table>', page.text, re.S)
    return found and found.group(1)


def test_the_page_shows_suppliers_qualification_and_single_sources(admin, console):
    live = approved(admin, days=12, enable=True)
    pending = created(admin)
    lonely, shared = catalog_sku(admin), catalog_sku(admin)
    mapped(admin, live, lonely, cost_price="4.20")
    other = approved(admin, days=40, enable=True)
    for supplier in (live, other):
        mapped(admin, supplier, shared)

    page = console.get("/admin/suppliers")
    assert page.status_code == 200 and 'href="/admin/suppliers"' in page.text  # in the menu
    shown = row(page, live)
    assert live["name"] in shown and "已审核" in shown and live["valid_until"] in shown and "还剩 12 天" in shown
    assert 'data-enabled="yes"' in shown
    assert "待审核" in row(page, pending) and 'data-enabled="no"' in row(page, pending)
    assert "只有一个可用货源" in sku_block(page, lonely) and "¥4.20" in sku_block(page, lonely)
    assert "只有一个可用货源" not in sku_block(page, shared) and other["name"] in sku_block(page, shared)
    english = console.get("/admin/suppliers?lang=en")
    assert "A single usable source" in english.text and "12 days left" in english.text


def test_enable_and_disable_from_the_page(admin, console):
    supplier, pending = approved(admin), created(admin)
    page = console.get("/admin/suppliers")
    forged = console.post(f"/admin/suppliers/{supplier['id']}/enable", data={"csrf": "forged"})
    assert forged.status_code == 403
    done = console.post(
        f"/admin/suppliers/{supplier['id']}/enable", data={"csrf": csrf_of(page)}, allow_redirects=False
    )
    assert done.status_code == 303
    after = console.get(done.headers["Location"])
    assert "alert-ok" in after.text and 'data-enabled="yes"' in row(after, supplier)
    assert admin.get(f"/api/v1/admin/suppliers/{supplier['id']}").json()["enabled"] is True
    refused = console.post(f"/admin/suppliers/{pending['id']}/enable", data={"csrf": csrf_of(page)})
    assert refused.status_code == 409 and "alert-error" in refused.text
    assert admin.get(f"/api/v1/admin/suppliers/{pending['id']}").json()["enabled"] is False
    console.post(f"/admin/suppliers/{supplier['id']}/disable", data={"csrf": csrf_of(page)})
    assert admin.get(f"/api/v1/admin/suppliers/{supplier['id']}").json()["enabled"] is False


def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(api, admin):
    supplier = approved(admin)
    assert api.get("/admin/suppliers", allow_redirects=False).headers["Location"] == "/admin/login"
    csrf = csrf_of(api.get("/find"))
    answer = api.post(f"/admin/suppliers/{supplier['id']}/enable", data={"csrf": csrf}, allow_redirects=False)
    assert answer.status_code == 303 and answer.headers["Location"] == "/admin/login"
    assert admin.get(f"/api/v1/admin/suppliers/{supplier['id']}").json()["enabled"] is False
