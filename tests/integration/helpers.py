"""Shared by integration tests of more than one service (fixtures live in conftest.py)."""

from datetime import UTC, datetime, timedelta

from services.common.testing import make_envelope

# Transactions of other connections open for more than 0.4 s: what a call to another system made
# inside a transaction would leave behind while that system is slow.
OPEN_TRANSACTIONS = """SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database()
    AND backend_type = 'client backend' AND pid <> pg_backend_pid()
    AND xact_start < clock_timestamp() - interval '0.4 seconds'"""


def payment_request(order_no, channel="wechat", amount=990):
    """The order service's payment_requested event for one order, due in 15 minutes."""
    expires = (datetime.now(UTC) + timedelta(minutes=15)).isoformat()
    return make_envelope(
        "payment_requested",
        order_no=order_no,
        amount=amount,
        currency="CNY",
        channel=channel,
        subject="SKU",
        expires_at=expires,
    )
