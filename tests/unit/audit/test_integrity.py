"""The integrity check's comparisons (services/audit/integrity.py), one broken promise at a time."""

from services.audit.integrity import check

CLEAN = {
    "order": [
        ["K1", "completed", 2, "card", True, 900.0],
        ["K2", "awaiting_payment", 1, "card", False, 10.0],
        ["K3", "refunded", 1, "card", True, 900.0],
        ["K4", "paid", 1, "card", True, 20.0],
    ],
    "catalog": {"sold": {"K1": 2}, "sold_without_order": 0, "stored_twice": []},
    "payment": [["P1", "K1", "paid", 1000, 0], ["P3", "K3", "refunded", 500, 500], ["P4", "K4", "paid", 500, 0]],
}


def kinds(report):
    return [p["check"] for p in report["problems"]]


def changed(**parts):
    facts = {k: (v.copy() if isinstance(v, dict) else [row[:] for row in v]) for k, v in CLEAN.items()}
    facts.update(parts)
    return facts


def test_clean_records_pass_and_are_counted():
    report = check(CLEAN)
    assert report["ok"] and report["problems"] == []
    assert report["counted"] == {
        "orders": 4,
        "paid_orders": 3,
        "payments_with_money": 3,
        "orders_with_codes": 1,
        "codes_sold": 2,
        "orders_with_loop_codes": 0,
    }


def test_more_codes_than_bought_and_a_code_stored_twice():
    report = check(changed(catalog={"sold": {"K1": 3}, "sold_without_order": 1, "stored_twice": [["SKU", 2]]}))
    assert sorted(kinds(report)) == [
        "code_sold_without_order",
        "code_stored_twice",
        "codes_oversold",
        "completed_without_its_codes",
    ]


def test_a_paid_order_left_undelivered_past_the_grace_period():
    facts = changed(order=[*CLEAN["order"][:3], ["K4", "paid", 1, "card", True, 301.0]])
    assert kinds(check(facts)) == ["paid_not_delivered"]
    assert check(facts, grace_s=600)["ok"]


def test_money_without_an_order_and_an_order_without_money():
    facts = changed(payment=[*CLEAN["payment"][:2], ["P9", "K2", "paid", 100, 0]])
    assert sorted(kinds(check(facts))) == ["paid_order_without_payment", "payment_without_paid_order"]


def test_a_refunded_order_whose_money_was_kept():
    facts = changed(payment=[CLEAN["payment"][0], ["P3", "K3", "paid", 500, 0], CLEAN["payment"][2]])
    assert kinds(check(facts)) == ["refunded_order_money_kept"]


LEDGER = {"unbalanced": [], "drifted": [], "total": 0, "transactions": 12, "accounts": 5}


def test_the_agents_ledger_balances_or_says_where_it_does_not():
    report = check(changed(account=LEDGER))
    assert report["ok"] and report["counted"]["ledger_transactions"] == 12
    broken = {"unbalanced": [[7, 1]], "drifted": [["agent:3:wallet", 100, 90]], "total": 1, "transactions": 12}
    report = check(changed(account={**LEDGER, **broken}))
    assert kinds(report) == ["ledger_transaction_unbalanced", "ledger_balance_drifted", "ledger_out_of_balance"]
    assert report["problems"][1] == {"check": "ledger_balance_drifted", "account": "agent:3:wallet", "balance": 100,
                                     "entries": 90}  # fmt: skip


LOOP_ORDERS = [  # paid from a wallet: no payment row needed
    ["L1", "completed", 1, "loop", True, 900.0, "wallet"],
    ["L2", "completed", 3, "loop", True, 900.0, "wallet"],
]


def test_a_loop_code_held_by_many_orders_is_not_a_code_sold_twice():
    catalog = {**CLEAN["catalog"], "loop_given": {"L1": 2, "L2": 2}, "single_sale_given_by_loop": []}
    report = check(changed(order=CLEAN["order"] + LOOP_ORDERS, catalog=catalog))
    assert report["ok"], report["problems"]
    assert report["counted"]["orders_with_loop_codes"] == 2 and report["counted"]["codes_sold"] == 2


def test_a_completed_loop_order_given_nothing():
    catalog = {**CLEAN["catalog"], "loop_given": {"L1": 1}, "single_sale_given_by_loop": []}
    report = check(changed(order=CLEAN["order"] + LOOP_ORDERS, catalog=catalog))
    assert report["problems"] == [{"check": "completed_without_its_codes", "order_no": "L2", "given": 0, "bought": 3}]


def test_a_single_sale_code_given_by_the_loop_path_is_sold_twice():
    strays = [
        {"code_id": 7, "sku": "CARD", "sold_to": "K1", "given_to": "L1"},
        {"code_id": 7, "sku": "CARD", "sold_to": "K1", "given_to": "L2"},
        {"code_id": 9, "sku": "CARD", "sold_to": None, "given_to": "L1"},
    ]
    catalog = {**CLEAN["catalog"], "loop_given": {"L1": 2, "L2": 1}, "single_sale_given_by_loop": strays}
    report = check(changed(order=CLEAN["order"] + LOOP_ORDERS, catalog=catalog))
    assert report["problems"] == [
        {"check": "code_sold_twice", "code_id": 7, "sku": "CARD", "orders": ["K1", "L1", "L2"]},
        {"check": "single_sale_code_given_as_loop", "code_id": 9, "sku": "CARD", "orders": ["L1"]},
    ]
