"""A payment confirmed by hand on an order whose window has passed: a late payment, as when the
channel's own notification comes late (issue 24)."""

import pytest

from tests.e2e.payment.helpers import buy_epay
from tests.e2e.payment.test_confirm_by_hand import confirm
from tests.e2e.purchase.helpers import wait_status


@pytest.fixture(scope="module")
def system_settings(system_settings):
    return lambda config: {**system_settings(config), "PAYMENT_WINDOW_S": 2}  # the late payment below


def test_on_an_expired_order_it_is_a_late_payment(api, admin, epay):
    order = buy_epay(api, admin, epay)
    wait_status(api, order, "expired")
    assert confirm(admin, order, trade_no="EPAY-LATE-1").status_code == 200  # trade numbers are unique in the run
    assert wait_status(api, order, "completed")["items"]  # re-reserved and delivered, as a late payment is
