"""GET /api/v1/admin/integrity (and `make audit`): the services' records compared, for real."""

from sqlalchemy import create_engine, text

from tests.e2e.helpers import assert_error
from tests.e2e.purchase.helpers import buy, card_product, pay, wait_status


def test_after_real_purchases_everything_holds_and_a_broken_record_is_found(api, admin, database_url):
    sku = card_product(admin, codes=3)
    sold = buy(api, sku, quantity=2).json()
    pay(api, sold)
    wait_status(api, sold, "completed")
    buy(api, sku)  # awaiting payment: nothing owed
    report = admin.get("/api/v1/admin/integrity").json()
    assert report["ok"], report["problems"]
    assert report["counted"]["codes_sold"] >= 2 and report["counted"]["paid_orders"] >= 1

    engine = create_engine(database_url)  # break a promise behind its back
    with engine.begin() as conn:
        code_id = conn.execute(
            text("SELECT min(id) FROM catalog.codes WHERE order_no = :no"), {"no": sold["order_no"]}
        ).scalar_one()
        conn.execute(
            text("UPDATE catalog.codes SET status = 'available', order_no = NULL WHERE id = :id"), {"id": code_id}
        )
    try:
        report = admin.get("/api/v1/admin/integrity").json()
        assert not report["ok"]
        assert {"check": "completed_without_its_codes", "order_no": sold["order_no"], "sold": 1, "bought": 2} in report[
            "problems"
        ]
    finally:  # mended: later tests audit this database too
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE catalog.codes SET status = 'sold', order_no = :no WHERE id = :id"),
                {"id": code_id, "no": sold["order_no"]},
            )
        engine.dispose()


def test_integrity_is_for_admins_and_checks_its_parameters(api, admin):
    assert_error(api.get("/api/v1/admin/integrity"), 401, "unauthorized")
    assert_error(admin.get("/api/v1/admin/integrity", params={"days": 0}), 400, "validation_error")
    assert_error(admin.get("/api/v1/admin/integrity", params={"grace_s": "x"}), 400, "validation_error")
