"""Business metrics of the saga (the services run in this test process, so their metrics are here)."""

from prometheus_client import REGISTRY

from tests.e2e.purchase.helpers import buy, card_product, pay, wait_status


def sample(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0


def test_a_purchase_counts_its_arrivals_and_times_its_states(api, admin):
    before = {s: sample("kameng_orders_total", status=s) for s in ("pending", "awaiting_payment", "paid", "completed")}
    waited = sample("kameng_saga_step_duration_seconds_count", state="awaiting_payment")
    order = buy(api, card_product(admin)).json()
    pay(api, order)
    wait_status(api, order, "completed")
    after = {s: sample("kameng_orders_total", status=s) for s in before}
    assert {s: after[s] - before[s] for s in before} == {"pending": 1, "awaiting_payment": 1, "paid": 1, "completed": 1}
    assert sample("kameng_saga_step_duration_seconds_count", state="awaiting_payment") == waited + 1
