"""What a buyer (and the gateway's waiters) may see of an order, and what the gateway decides on."""

from typing import Any

from services.common.envelope import isoformat
from services.order import saga  # a module import: the saga's hints carry this view in turn


def view(order: Any) -> dict[str, Any]:
    """The order as DESIGN §6 shows it (money in minor units; the gateway formats)."""
    payment = None
    # the pay link is fixed at acceptance; shown once it may be used (or was)
    if order.pay_url and (order.status in saga.PAYABLE or order.paid_at is not None):
        payment = {"channel": order.payment_channel, "payment_no": order.payment_no, "pay_url": order.pay_url}
    return {
        "order_no": order.order_no,
        "status": order.status,
        "amount": order.amount,
        "currency": order.currency,
        "expires_at": isoformat(order.expires_at),
        "payment": payment,
        "sku": order.sku,
        "quantity": order.quantity,
        "reason": _buyer_reason(order),
        "coupon": order.coupon,
        "discount": ((order.price_rule or {}).get("coupon") or {}).get("discount"),
        "points_used": getattr(order, "points_used", None) or 0,
        **flags(order),
    }


def flags(order):
    """What a page or an answer decides on, from the saga's table: the gateway knows no states
    (DESIGN §2). Not part of the public JSON (the gateway's schemas leave them out).
    - terminal: nothing more will happen by itself (the order page stops watching);
    - settled: the answer a buyer waits for is here (a pay link, or an end);
    - can_cancel / can_refund: the buyer's cancel / a merchant's refund would be taken;
    - delivered: the goods were handed over (an order ended without them offers to buy again)."""
    status = order.status
    return {
        "terminal": status in saga.TERMINAL,
        "settled": saga.newsworthy(order),
        "can_cancel": status in saga.CANCELLABLE,
        "can_refund": status in saga.REFUNDABLE,
        "delivered": status in saga.DELIVERED,
    }


def _buyer_reason(order):
    """Neutral words for the buyer: never a risk rule's name."""
    if order.status == "rejected":
        return "out_of_stock" if order.reason == "out_of_stock" else "not_accepted"
    return None
