"""Suppliers push inventory (DESIGN §6 `POST /api/v1/supplier/inventory`, issue 17) through the
real gateway, broker and database: the catalog imports the codes through the admin import's
path, a retry imports once, each refusal has its status and imports nothing."""

import logging
import time

import pytest

from services.common import signing
from services.common.crypto import DataKeys
from services.common.db import transaction
from services.common.testing import wait_until
from services.supplier import keys
from services.supplier.models import metadata as supplier_metadata
from tests.e2e.helpers import assert_error, new_product
from tests.e2e.supplier.helpers import (
    PUSH,
    Supplying,
    announce_availability,
    codes,
    enrol,
)


@pytest.fixture
def card_sku(admin):
    product = new_product(low_stock_threshold=0)
    assert admin.post("/api/v1/admin/products", json=product).status_code == 201
    return product["sku"]


@pytest.fixture
def counted_sku(admin):
    product = new_product(delivery="recharge", low_stock_threshold=0)
    assert admin.post("/api/v1/admin/products", json=product).status_code == 201
    assert admin.put(f"/api/v1/admin/products/{product['sku']}/stock", json={"stock": 0}).status_code == 200
    return product["sku"]


@pytest.fixture
def supplier(api, engine, system):
    """`supplier(skus, **standing)`: a supplier mapped to `skus` with a key, as a signing client."""
    data_keys = DataKeys(system["DATA_KEYS"])
    return lambda skus, **standing: Supplying(api, *enrol(engine, data_keys, skus, **standing))


def done(supplier, batch_id):
    """The batch once the catalog has taken it in (a positive signal, not a sleep)."""

    def finished():
        body = supplier.batch(batch_id).json()
        return body if body.get("status") == "done" else None

    return wait_until(finished, timeout=15, message=f"batch {batch_id} done")


def stock_of(api, sku):
    return api.get(f"/api/v1/products/{sku}").json()["stock"]


def settles_at(api, sku, expected):
    """The product shows `expected` stock (the gateway caches a product for a second)."""
    wait_until(lambda: stock_of(api, sku) == expected, timeout=15, message=lambda: f"stock {expected}")


def imported_rows(db, sku):
    return db("SELECT count(*) AS n FROM catalog.codes WHERE sku = :sku", sku=sku)[0]["n"]


def test_a_push_imports_codes_through_the_admin_import_path(api, admin, supplier, card_sku, db, caplog):
    caplog.set_level(logging.INFO)
    assert admin.post(f"/api/v1/admin/products/{card_sku}/codes", data=b"OLD-1\n").json()["imported"] == 1
    acme = supplier([card_sku])
    body = {
        "batch_id": "b-001",
        "sku": card_sku,
        "codes": [
            {"code": "SUP-CODE-1", "secret": "SUP-PW-1", "expires_on": "2030-01-31"},
            {"code": "BAD\x01CODE"},
            {"code": "L" * 513},
            {"code": "SUP-CODE-2"},
            {"code": "SUP-CODE-1", "secret": "again"},
            {"code": "OLD-1"},
        ],
    }
    accepted = acme.push(body)
    assert accepted.status_code == 202, accepted.text
    assert accepted.json() == {"batch_id": "b-001", "status": "pending"}
    assert done(acme, "b-001") == {
        "batch_id": "b-001",
        "status": "done",
        "imported": 2,
        "duplicates": 2,
        "rejected": [{"line": 2, "reason": "control characters"}, {"line": 3, "reason": "code or secret too long"}],
    }
    settles_at(api, card_sku, 3)
    revealed = admin.get(f"/api/v1/admin/products/{card_sku}/codes", params={"reveal": "true"}).json()["items"]
    assert [(c["code"], c["secret"], c["expires_on"]) for c in revealed] == [
        ("OLD-1", None, None),
        ("SUP-CODE-1", "SUP-PW-1", "2030-01-31"),
        ("SUP-CODE-2", None, None),
    ]
    imports = db(
        "SELECT actor FROM catalog.audit WHERE action = 'codes.import' AND subject = :sku ORDER BY id", sku=card_sku
    )
    assert imports[-1]["actor"] == f"supplier:{acme.id}"
    # codes are never in clear at rest in the supplier's outbox, nor in any log line
    pushed = db("SELECT envelope::text AS data FROM supplier.outbox WHERE type = 'inventory_pushed'")
    assert pushed and not any("SUP-CODE" in row["data"] or "SUP-PW" in row["data"] for row in pushed)
    assert "SUP-CODE" not in caplog.text and "SUP-PW" not in caplog.text


def test_a_retried_push_answers_the_same_and_imports_once(api, supplier, card_sku, db):
    acme = supplier([card_sku])
    body = {"batch_id": "retry-1", "sku": card_sku, "codes": codes("R1", "R2", "R3")}
    first = acme.push(body)
    assert first.status_code == 202
    assert done(acme, "retry-1")["imported"] == 3
    again = acme.push(body)  # a new nonce and timestamp, the same batch
    assert (again.status_code, again.json()) == (202, first.json())
    reordered = acme.push({"codes": body["codes"], "sku": card_sku, "batch_id": "retry-1"})
    assert (reordered.status_code, reordered.json()) == (202, first.json())
    assert_error(acme.push({**body, "codes": codes("R1", "R2", "R4")}), 422, "idempotency_mismatch")
    assert done(acme, "retry-1")["imported"] == 3
    events = db(
        "SELECT count(*) AS n FROM supplier.outbox WHERE type = 'inventory_pushed' "
        "AND (envelope->'data'->>'supplier_id')::bigint = :i",
        i=acme.id,
    )[0]["n"]
    assert events == 1 and imported_rows(db, card_sku) == 3
    settles_at(api, card_sku, 3)


def test_another_suppliers_batch_is_not_found(supplier, card_sku):
    acme, other = supplier([card_sku]), supplier([card_sku])
    assert acme.push({"batch_id": "mine", "sku": card_sku, "codes": codes("M1")}).status_code == 202
    assert done(acme, "mine")["imported"] == 1
    assert_error(other.batch("mine"), 404, "not_found")
    assert_error(acme.batch("never-pushed"), 404, "not_found")
    # the same batch_id is each supplier's own
    assert other.push({"batch_id": "mine", "sku": card_sku, "codes": codes("M2")}).status_code == 202
    assert done(other, "mine")["imported"] == 1


def revoke(engine, supplying):
    with transaction(engine, supplier_metadata) as s:
        keys.revoke(s, "test", supplying.id, supplying.key_id)


BAD_SIGNATURES = {
    "missing headers": lambda acme, body, engine: acme.api.post(PUSH, json=body),
    "bad signature": lambda acme, body, engine: acme.api.post(
        PUSH,
        json=body,
        headers={**signing.headers(acme.key_id, "not-the-secret", "POST", PUSH, b"{}")},
    ),
    "timestamp 301 s off": lambda acme, body, engine: acme.push(body, timestamp=time.time() - 301),
    "unknown key": lambda acme, body, engine: Supplying(
        acme.api, acme.id, {"key_id": "sk_unknown", "secret": acme.secret}
    ).push(body),
    "revoked key": lambda acme, body, engine: (revoke(engine, acme), acme.push(body))[1],
}


@pytest.mark.parametrize("kind", [*BAD_SIGNATURES, "replayed nonce"])
def test_each_bad_signature_is_401_and_imports_nothing(kind, api, supplier, card_sku, engine, db):
    acme = supplier([card_sku])
    body = {"batch_id": f"bad-{kind}", "sku": card_sku, "codes": codes("NEVER-1", "NEVER-2")}
    if kind == "replayed nonce":
        first = acme.push({"batch_id": "fine", "sku": card_sku, "codes": codes("FINE-1")}, nonce="n-0001")
        assert first.status_code == 202
        done(acme, "fine")
        answer = acme.push(body, nonce="n-0001")
    else:
        answer = BAD_SIGNATURES[kind](acme, body, engine)
    assert_error(answer, 401, "unauthorized")
    assert db("SELECT batch_id FROM supplier.batches WHERE batch_id = :b", b=body["batch_id"]) == []
    assert imported_rows(db, card_sku) == (1 if kind == "replayed nonce" else 0)


def test_a_refused_push_leaves_no_nonce(supplier, card_sku, counted_sku, db):
    acme = supplier([card_sku])
    assert_error(
        acme.push({"batch_id": "x", "sku": counted_sku, "codes": codes("N1")}, nonce="n-keep"), 403, "forbidden"
    )
    assert db("SELECT nonce FROM supplier.nonces WHERE nonce = 'n-keep'") == []


@pytest.mark.parametrize(
    "standing, reason",
    [
        ({"status": "pending", "enabled": False}, "not_approved"),
        ({"enabled": False}, "disabled"),
        ({"valid_for_days": -1}, "qualification_expired"),
    ],
)
def test_a_supplier_not_in_standing_is_403(standing, reason, supplier, card_sku, db):
    acme = supplier([card_sku], **standing)
    error = assert_error(acme.push({"batch_id": "b", "sku": card_sku, "codes": codes("S1")}), 403, "forbidden")
    assert error["details"]["reason"] == reason
    assert db("SELECT * FROM supplier.batches WHERE supplier_id = :i", i=acme.id) == []


def test_an_unmapped_or_unknown_sku_is_403(supplier, admin, card_sku, engine, db):
    other = new_product()
    assert admin.post("/api/v1/admin/products", json=other).status_code == 201
    acme = supplier([card_sku, "NO-SUCH-SKU"])
    for sku in (other["sku"], "NO-SUCH-SKU"):
        error = assert_error(acme.push({"batch_id": sku, "sku": sku, "codes": codes("U1")}), 403, "forbidden")
        assert error["details"]["reason"] == "sku_not_mapped"
    with transaction(engine, supplier_metadata) as s:  # a mapping switched off counts as none
        s.execute(supplier_metadata.tables["supplier.sourcing"].update().values(enabled=False))
    assert_error(acme.push({"batch_id": "off", "sku": card_sku, "codes": codes("U2")}), 403, "forbidden")
    assert imported_rows(db, card_sku) == 0


def test_malformed_batches_are_400(supplier, card_sku, counted_sku, db):
    acme = supplier([card_sku, counted_sku])
    bad = [
        {"batch_id": "c", "sku": counted_sku, "codes": codes("K1")},  # codes to counted goods
        {"batch_id": "s", "sku": card_sku, "stock": 5},  # stock to card goods
        {"batch_id": "big", "sku": card_sku, "codes": codes(*(f"C{n}" for n in range(10_001)))},
        {"batch_id": "u", "sku": card_sku, "codes": codes("K2"), "note": "hi"},  # unknown field
        {"batch_id": "u2", "sku": card_sku, "codes": [{"code": "K3", "pin": "1"}]},
        {"batch_id": "both", "sku": card_sku, "codes": codes("K4"), "stock": 1},
        {"batch_id": "none", "sku": card_sku},
        {"batch_id": "", "sku": card_sku, "codes": codes("K5")},
        {"batch_id": "d", "sku": card_sku, "codes": [{"code": "K6", "expires_on": "31/01/2030"}]},
        {"batch_id": "e", "sku": card_sku, "codes": []},
        ["not", "an", "object"],
    ]
    for body in bad:
        assert_error(acme.push(body), 400, "validation_error")
    malformed = acme.signed("POST", PUSH, b"{not json", {"Content-Type": "application/json"})
    assert_error(malformed, 400, "validation_error")
    assert db("SELECT * FROM supplier.batches WHERE supplier_id = :i", i=acme.id) == []
    assert imported_rows(db, card_sku) == 0


def test_a_loop_product_takes_no_push(supplier, admin, db):
    """Loop codes (issue 24) are one code sold to every order: its admin imports them and sets the
    cap; a supplier's codes or level would mix single-sale stock into it."""
    product = new_product(delivery="loop", low_stock_threshold=0)
    assert admin.post("/api/v1/admin/products", json=product).status_code == 201
    acme = supplier([product["sku"]])
    for body in ({"batch_id": "lc", "codes": codes("L1")}, {"batch_id": "ls", "stock": 5}):
        error = assert_error(acme.push({**body, "sku": product["sku"]}), 400, "validation_error")
        assert "loop" in error["message"]
    assert db("SELECT * FROM supplier.batches WHERE supplier_id = :i", i=acme.id) == []
    assert imported_rows(db, product["sku"]) == 0


def test_ten_thousand_codes_in_one_push(api, supplier, card_sku):
    """Past the gateway's usual 1 MiB body limit: the route has its own."""
    acme = supplier([card_sku])
    body = {
        "batch_id": "big",
        "sku": card_sku,
        "codes": [{"code": f"{card_sku}-{n:06d}-" + "x" * 90} for n in range(10_000)],
    }
    answer = acme.push(body)
    assert answer.status_code == 202, answer.text
    assert done(acme, "big")["imported"] == 10_000
    settles_at(api, card_sku, 10_000)


def test_counted_stock_is_the_sum_over_usable_suppliers(api, supplier, counted_sku, engine):
    acme, bolt = supplier([counted_sku]), supplier([counted_sku])
    assert acme.push({"batch_id": "a1", "sku": counted_sku, "stock": 10}).status_code == 202
    assert bolt.push({"batch_id": "b1", "sku": counted_sku, "stock": 5}).status_code == 202
    assert done(acme, "a1")["status"] == done(bolt, "b1")["status"] == "done"
    settles_at(api, counted_sku, 15)
    assert acme.push({"batch_id": "a2", "sku": counted_sku, "stock": 3}).status_code == 202  # replaces its 10
    done(acme, "a2")
    settles_at(api, counted_sku, 8)
    announce_availability(engine, bolt.id, usable=False)
    settles_at(api, counted_sku, 3)
    assert_error(bolt.push({"batch_id": "b2", "sku": counted_sku, "stock": 50}), 403, "forbidden")
    announce_availability(engine, bolt.id, usable=True)
    settles_at(api, counted_sku, 8)


def test_openapi_shows_the_signed_routes(api):
    spec = api.get("/openapi.json").json()
    push = spec["paths"][PUSH]["post"]
    assert push["security"] == [{"signedCall": []}] and {"202", "401", "403", "422"} <= set(push["responses"])
    assert spec["paths"][PUSH + "/{batch_id}"]["get"]["security"] == [{"signedCall": []}]
