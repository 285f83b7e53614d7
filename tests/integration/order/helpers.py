"""Orders stored directly (no saga behind them), for tests of what the saga does to them."""

from datetime import UTC, datetime

from services.common.db import transaction
from services.common.testing import unique
from services.order.models import Order, metadata


def stored_order(engine, status, order_no=None, **fields):
    """An order of one code in `status`, written as it stands; `fields` override the defaults.
    Answers its number."""
    order_no = order_no or unique("KSTORED").replace("-", "").upper()
    with transaction(engine, metadata) as s:
        s.add(
            Order(
                **{
                    "order_no": order_no,
                    "token_hash": b"x",
                    "status": status,
                    "sku": "S",
                    "delivery": "card",
                    "quantity": 1,
                    "unit_price": 100,
                    "amount": 100,
                    "currency": "CNY",
                    "price_rule": {},
                    "contact": "a@b.c",
                    "payment_channel": "sandbox",
                    "late": False,
                    "attempts": 0,
                    "last_requests": [],
                    "expires_at": datetime.now(UTC),
                    **fields,
                }
            )
        )
    return order_no
