"""What a buyer (and the gateway's waiters) may see of an order."""
from typing import Any

from services.common.envelope import isoformat


def view(order: Any) -> dict[str, Any]:
    """The order as DESIGN §6 shows it (money in minor units; the gateway formats)."""
    payment = None
    if order.payment_no:
        payment = {"channel": order.payment_channel, "payment_no": order.payment_no, "pay_url": order.pay_url}
    return {"order_no": order.order_no, "status": order.status, "amount": order.amount,
            "currency": order.currency, "expires_at": isoformat(order.expires_at), "payment": payment,
            "sku": order.sku, "quantity": order.quantity, "reason": _buyer_reason(order)}


def _buyer_reason(order):
    """Neutral words for the buyer: never a risk rule's name."""
    if order.status == "rejected":
        return "out_of_stock" if order.reason == "out_of_stock" else "not_accepted"
    return None
