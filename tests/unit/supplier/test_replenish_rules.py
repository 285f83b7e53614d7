"""Auto-replenishment's arithmetic: how many codes refill a SKU, and what the hourly cap allows."""

import pytest

from services.supplier.replenish import MAX_BATCH, affordable, wanted


@pytest.mark.parametrize(
    "available,threshold,expected",
    [(4, 5, 6), (0, 5, 10), (9, 5, 1), (-2, 5, 10), (0, 0, 2), (0, 1, 2)],
)
def test_a_refill_reaches_twice_the_threshold_and_buys_at_least_one(available, threshold, expected):
    assert wanted(available, threshold) == expected


@pytest.mark.parametrize(
    "quantity,unit,cap,spent,expected",
    [
        (10, 100, 10_000, 0, 10),  # well under the cap
        (10, 100, 1_000, 500, 5),  # only what is left of the cap
        (10, 100, 1_000, 1_000, 0),  # cap spent
        (10, 100, 1_000, 1_900, 0),  # overspent (a cap lowered since): never negative
        (10, 300, 1_000, 0, 3),  # whole codes only
        (10, 0, 0, 0, 10),  # free codes cost nothing against the cap
    ],
)
def test_the_cap_allows_only_what_is_left_of_it(quantity, unit, cap, spent, expected):
    assert affordable(quantity, unit, cap, spent) == expected


def test_one_purchase_is_at_most_a_push_batch():
    assert MAX_BATCH == 10_000
