"""The supplier registry's admin API through the gateway and every service (RabbitMQ, PostgreSQL):
a supplier registered, approved, enabled, given keys and SKUs; what is refused and why; and that
its credentials never come back out."""

import pytest

from services.common.testing import unique
from tests.e2e.helpers import BOOTSTRAP_ACTOR, Api, assert_error
from tests.e2e.supplier.helpers import (
    DOCUMENTS,
    approved,
    audit_of,
    availability_events,
    catalog_sku,
    created,
    in_days,
    mapped,
)

ACTOR = BOOTSTRAP_ACTOR


def test_a_supplier_is_registered_approved_enabled_keyed_and_sources_a_sku(admin, db):
    name = unique("供货商")
    answer = admin.post("/api/v1/admin/suppliers", json={"name": name, "contact": "ops@up.example"})
    assert answer.status_code == 201, answer.text
    supplier = answer.json()
    assert supplier["name"] == name and supplier["status"] == "pending" and supplier["enabled"] is False
    assert supplier["usable"] is False and supplier["refusal"] == "not_approved"
    sid = supplier["id"]

    until = in_days(90)
    answer = admin.post(f"/api/v1/admin/suppliers/{sid}/approve", json={"documents": DOCUMENTS, "valid_until": until})
    assert answer.status_code == 200, answer.text
    supplier = answer.json()
    assert supplier["status"] == "approved" and supplier["documents"] == DOCUMENTS
    assert supplier["valid_until"] == until and supplier["expires_in_days"] == 90
    assert supplier["reviewer"] == ACTOR and supplier["reviewed_at"].endswith("Z")
    assert supplier["enabled"] is False and supplier["refusal"] == "disabled"
    assert availability_events(db, sid) == []  # approved is not yet usable

    enabled = admin.post(f"/api/v1/admin/suppliers/{sid}/enable")
    assert enabled.status_code == 200 and enabled.json()["enabled"] is True and enabled.json()["usable"] is True
    assert admin.post(f"/api/v1/admin/suppliers/{sid}/enable").status_code == 200  # again: nothing changes
    assert availability_events(db, sid) == [True]

    key = admin.post(f"/api/v1/admin/suppliers/{sid}/keys")
    assert key.status_code == 201 and set(key.json()) == {"key_id", "secret"} and len(key.json()["secret"]) >= 32
    other = admin.post(f"/api/v1/admin/suppliers/{sid}/keys").json()
    revoked = admin.delete(f"/api/v1/admin/suppliers/{sid}/keys/{key.json()['key_id']}")
    assert revoked.status_code == 204 and revoked.content == b""
    keys = admin.get(f"/api/v1/admin/suppliers/{sid}/keys")
    assert keys.status_code == 200 and key.json()["secret"] not in keys.text
    statuses = {k["key_id"]: (k["status"], k["revoked_at"] is not None) for k in keys.json()["items"]}
    assert statuses == {key.json()["key_id"]: ("revoked", True), other["key_id"]: ("active", False)}

    sku = catalog_sku(admin)
    source = mapped(admin, supplier, sku, cost_price="7.35", hourly_cap="200.00", priority=5)
    assert source == {
        "supplier_id": sid,
        "supplier": name,
        "sku": sku,
        "supplier_product_id": f"UP-{sku}",
        "cost_price": "7.35",
        "priority": 5,
        "enabled": True,
        "hourly_cap": "200.00",
        "usable": True,
        "updated_at": source["updated_at"],
    }
    assert db("SELECT cost_price, hourly_cap FROM supplier.sourcing WHERE sku = :s", s=sku) == [
        {"cost_price": 735, "hourly_cap": 20000}
    ]
    replaced = mapped(admin, supplier, sku, cost_price="7.00")
    assert replaced["cost_price"] == "7.00" and replaced["hourly_cap"] is None  # a PUT replaces the mapping
    assert [s["sku"] for s in admin.get(f"/api/v1/admin/suppliers/{sid}/skus").json()["items"]] == [sku]

    one = admin.get(f"/api/v1/admin/supplier-skus/{sku}").json()
    assert one["single_source"] is True and one["usable_sources"] == 1
    second = approved(admin, enable=True)
    mapped(admin, second, sku, cost_price="6.50", priority=1)
    one = admin.get(f"/api/v1/admin/supplier-skus/{sku}").json()
    assert one["single_source"] is False and one["usable_sources"] == 2
    assert [s["supplier_id"] for s in one["sources"]] == [second["id"], sid]  # best first: priority, then cost
    listed = admin.get("/api/v1/admin/supplier-skus").json()["items"]
    assert next(g for g in listed if g["sku"] == sku)["usable_sources"] == 2

    assert any(s["id"] == sid for s in admin.get("/api/v1/admin/suppliers").json()["items"])
    assert audit_of(db, sid) == [
        (ACTOR, "supplier.created"),
        (ACTOR, "supplier.approved"),
        (ACTOR, "supplier.enabled"),
        (ACTOR, "supplier.key_issued"),
        (ACTOR, "supplier.key_issued"),
        (ACTOR, "supplier.key_revoked"),
        (ACTOR, "supplier.sourcing_set"),
        (ACTOR, "supplier.sourcing_set"),
    ]


def test_disabling_and_suspending_take_a_supplier_out_of_use_and_say_so(admin, db):
    supplier = approved(admin, enable=True)
    sid = supplier["id"]
    disabled = admin.post(f"/api/v1/admin/suppliers/{sid}/disable").json()
    assert disabled["enabled"] is False and disabled["usable"] is False and disabled["refusal"] == "disabled"
    admin.post(f"/api/v1/admin/suppliers/{sid}/enable")
    suspended = admin.post(f"/api/v1/admin/suppliers/{sid}/suspend").json()
    assert suspended["status"] == "suspended" and suspended["enabled"] is False
    assert availability_events(db, sid) == [True, False, True, False]
    assert_error(admin.post(f"/api/v1/admin/suppliers/{sid}/enable"), 409, "conflict")
    again = admin.post(
        f"/api/v1/admin/suppliers/{sid}/approve", json={"documents": DOCUMENTS, "valid_until": in_days(5)}
    )
    assert again.json()["status"] == "approved" and again.json()["enabled"] is False  # reinstated, not enabled
    assert availability_events(db, sid) == [True, False, True, False]


def test_a_name_is_registered_once(admin):
    supplier = created(admin)
    assert_error(
        admin.post("/api/v1/admin/suppliers", json={"name": supplier["name"], "contact": "x"}), 409, "conflict"
    )


@pytest.mark.parametrize(
    "path, body",
    [
        ("", {"name": "x", "contact": "y", "colour": "red"}),
        ("", {"name": "", "contact": "y"}),
        ("", {"name": "x" * 101, "contact": "y"}),
        ("", {"name": "x"}),
        ("/{id}/approve", {"documents": DOCUMENTS, "valid_until": "2030-13-01"}),
        ("/{id}/approve", {"documents": DOCUMENTS, "valid_until": "next year"}),
        ("/{id}/approve", {"documents": DOCUMENTS, "valid_until": "2020-01-01"}),
        ("/{id}/approve", {"documents": DOCUMENTS, "valid_until": "today"}),
        ("/{id}/approve", {"documents": [], "valid_until": "2099-01-01"}),
        ("/{id}/approve", {"documents": DOCUMENTS * 21, "valid_until": "2099-01-01"}),
        ("/{id}/approve", {"documents": [{"name": "licence"}], "valid_until": "2099-01-01"}),
        ("/{id}/approve", {"documents": DOCUMENTS, "valid_until": "2099-01-01", "reviewer": "me"}),
        ("/{id}/skus/{sku}", {"supplier_product_id": "p", "cost_price": "-1.00"}),
        ("/{id}/skus/{sku}", {"supplier_product_id": "p", "cost_price": 800}),
        ("/{id}/skus/{sku}", {"supplier_product_id": "p", "cost_price": "1.999"}),
        ("/{id}/skus/{sku}", {"supplier_product_id": "p", "cost_price": "1.00", "priority": "1"}),
        ("/{id}/skus/{sku}", {"supplier_product_id": "p", "cost_price": "1.00", "hourly_cap": "-5"}),
        ("/{id}/skus/{sku}", {"supplier_product_id": "p", "cost_price": "1.00", "margin": 3}),
        ("/{id}/skus/{sku}", {"cost_price": "1.00"}),
        ("/{id}/connection", {"adapter": "carrier-pigeon", "base_url": "https://up.example"}),
        ("/{id}/connection", {"adapter": "generic", "base_url": "ftp://up.example"}),
        ("/{id}/connection", {"adapter": "generic", "base_url": "https://up.example", "credentials": {"k": 1}}),
        ("/{id}/connection", {"adapter": "generic", "base_url": "https://up.example", "proxy": "x"}),
    ],
)
def test_a_malformed_body_is_400_and_changes_nothing(admin, db, path, body):
    supplier, sku = created(admin), "SKU-ANY"
    if "skus" in path:
        sku = catalog_sku(admin)
    url = "/api/v1/admin/suppliers" + path.format(id=supplier["id"], sku=sku)
    answer = admin.put(url, json=body) if "skus" in path or "connection" in path else admin.post(url, json=body)
    assert_error(answer, 400, "validation_error")
    assert admin.get(f"/api/v1/admin/suppliers/{supplier['id']}").json() == supplier
    assert db("SELECT count(*) AS n FROM supplier.sourcing WHERE supplier_id = :i", i=supplier["id"]) == [{"n": 0}]


def test_only_an_approved_and_qualified_supplier_can_be_enabled(admin, db, write):
    pending = created(admin)
    assert_error(admin.post(f"/api/v1/admin/suppliers/{pending['id']}/enable"), 409, "conflict")
    expired = approved(admin)
    write("UPDATE supplier.suppliers SET valid_until = current_date - 3 WHERE id = :i", i=expired["id"])
    error = assert_error(admin.post(f"/api/v1/admin/suppliers/{expired['id']}/enable"), 409, "conflict")
    assert error["details"] == {"reason": "qualification_expired"}
    for supplier in (pending, expired):
        assert admin.get(f"/api/v1/admin/suppliers/{supplier['id']}").json()["enabled"] is False
        assert availability_events(db, supplier["id"]) == []


def test_an_unknown_supplier_or_sku_is_404(admin):
    missing = "/api/v1/admin/suppliers/987654321"
    body = {"supplier_product_id": "p", "cost_price": "1.00"}
    sku = catalog_sku(admin)
    for answer in (
        admin.get(missing),
        admin.post(missing + "/approve", json={"documents": DOCUMENTS, "valid_until": in_days(3)}),
        admin.post(missing + "/enable"),
        admin.post(missing + "/suspend"),
        admin.post(missing + "/keys"),
        admin.get(missing + "/keys"),
        admin.delete(missing + "/keys/sk_nope"),
        admin.get(missing + "/skus"),
        admin.put(missing + f"/skus/{sku}", json=body),
        admin.put(missing + "/connection", json={"adapter": "generic", "base_url": "https://up.example"}),
    ):
        assert_error(answer, 404, "not_found")
    supplier = created(admin)
    assert_error(admin.put(f"/api/v1/admin/suppliers/{supplier['id']}/skus/NO-SUCH-SKU", json=body), 404, "not_found")
    assert_error(admin.delete(f"/api/v1/admin/suppliers/{supplier['id']}/keys/sk_nope"), 404, "not_found")
    other = created(admin)
    key = admin.post(f"/api/v1/admin/suppliers/{other['id']}/keys").json()
    assert_error(admin.delete(f"/api/v1/admin/suppliers/{supplier['id']}/keys/{key['key_id']}"), 404, "not_found")


def test_credentials_are_stored_encrypted_and_never_answered(admin, db):
    supplier = approved(admin, enable=True)
    sid, secret = supplier["id"], "S3CRET-" + unique("pw")
    connection = {
        "adapter": "dujiao-next",
        "base_url": "https://up.example/api",
        "settings": {"timeout_s": 5, "product_path": "/goods"},
        "credentials": {"app_id": "shop-1", "app_secret": secret},
    }
    answers = [admin.put(f"/api/v1/admin/suppliers/{sid}/connection", json=connection)]
    assert answers[0].status_code == 200, answers[0].text
    assert answers[0].json()["connection"] == {
        "adapter": "dujiao-next",
        "base_url": "https://up.example/api",
        "settings": {"timeout_s": 5, "product_path": "/goods"},
        "credentials_set": True,
    }
    kept = {k: v for k, v in connection.items() if k != "credentials"}
    answers.append(
        admin.put(f"/api/v1/admin/suppliers/{sid}/connection", json={**kept, "base_url": "https://b.example"})
    )
    assert answers[-1].json()["connection"]["credentials_set"] is True  # left out: kept
    answers += [
        admin.get(f"/api/v1/admin/suppliers/{sid}"),
        admin.get("/api/v1/admin/suppliers"),
        admin.post(f"/api/v1/admin/suppliers/{sid}/disable"),
        admin.get("/openapi.json"),
    ]
    for answer in answers:
        assert answer.status_code == 200 and secret not in answer.text and "shop-1" not in answer.text
    stored = db("SELECT credentials FROM supplier.suppliers WHERE id = :i", i=sid)[0]["credentials"]
    assert secret.encode() not in bytes(stored) and b"shop-1" not in bytes(stored)
    audit = db("SELECT data::text AS d FROM supplier.audit WHERE subject = :s", s=str(sid))
    assert audit and all(secret not in row["d"] for row in audit)
    cleared = admin.put(f"/api/v1/admin/suppliers/{sid}/connection", json={**kept, "credentials": None})
    assert cleared.json()["connection"]["credentials_set"] is False
    assert db("SELECT credentials FROM supplier.suppliers WHERE id = :i", i=sid) == [{"credentials": None}]


def test_the_registry_wants_an_admin(system, admin):
    supplier = created(admin)
    sid = supplier["id"]
    calls = [
        ("POST", "/api/v1/admin/suppliers", {"name": unique("x"), "contact": "y"}),
        ("GET", "/api/v1/admin/suppliers", None),
        ("GET", f"/api/v1/admin/suppliers/{sid}", None),
        ("POST", f"/api/v1/admin/suppliers/{sid}/approve", {"documents": DOCUMENTS, "valid_until": in_days(3)}),
        ("POST", f"/api/v1/admin/suppliers/{sid}/enable", None),
        ("POST", f"/api/v1/admin/suppliers/{sid}/disable", None),
        ("POST", f"/api/v1/admin/suppliers/{sid}/suspend", None),
        ("PUT", f"/api/v1/admin/suppliers/{sid}/connection", {"adapter": "generic", "base_url": "https://u.example"}),
        ("POST", f"/api/v1/admin/suppliers/{sid}/keys", None),
        ("GET", f"/api/v1/admin/suppliers/{sid}/keys", None),
        ("DELETE", f"/api/v1/admin/suppliers/{sid}/keys/sk_x", None),
        ("GET", f"/api/v1/admin/suppliers/{sid}/skus", None),
        ("PUT", f"/api/v1/admin/suppliers/{sid}/skus/SKU-1", {"supplier_product_id": "p", "cost_price": "1.00"}),
        ("GET", "/api/v1/admin/supplier-skus", None),
        ("GET", "/api/v1/admin/supplier-skus/SKU-1", None),
    ]
    with Api(system["BASE_URL"]) as anonymous, Api(system["BASE_URL"]) as wrong:
        wrong.headers["Authorization"] = "Bearer not-the-token"
        for client in (anonymous, wrong):
            for method, url, body in calls:
                assert_error(client.request(method, url, json=body), 401, "unauthorized")
    assert admin.get(f"/api/v1/admin/suppliers/{sid}").json() == supplier
    assert admin.get(f"/api/v1/admin/suppliers/{sid}/keys").json() == {"items": []}


def test_openapi_documents_the_registry(api):
    paths = api.get("/openapi.json").json()["paths"]
    one = "/api/v1/admin/suppliers/{supplier_id}"
    assert set(paths["/api/v1/admin/suppliers"]) == {"get", "post"}
    assert set(paths[one + "/keys"]) == {"get", "post"} and set(paths[one + "/keys/{key_id}"]) == {"delete"}
    assert set(paths[one + "/skus/{sku}"]) == {"put"} and "/api/v1/admin/supplier-skus/{sku}" in paths
    for action in ("approve", "enable", "disable", "suspend"):
        assert paths[f"{one}/{action}"]["post"]["security"] == [{"adminToken": []}]
    assert (
        "requestBody" in paths[one + "/skus/{sku}"]["put"]
        and "204" in paths[one + "/keys/{key_id}"]["delete"]["responses"]
    )
