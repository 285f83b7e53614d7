"""POST /api/v1/orders at the gateway: create, then wait a short bounded time for the saga to
reach the payment step (or an end), so most buyers get their pay_url in the first answer."""
import eventlet

from gateway import schemas

WAIT_S = 3.0
SETTLED = {"awaiting_payment", "paid", "delivering", "completed", "rejected", "expired", "cancelled",
           "refunding", "refunded", "review"}


def settled(order):
    return order["status"] in SETTLED and (order["status"] != "awaiting_payment" or order["payment"])


def wait(order_rpc, order, wait_s):
    delay, waited = 0.03, 0.0          # the saga takes a few hops: look rarely, then less often
    while not settled(order) and waited < wait_s:
        eventlet.sleep(min(delay, wait_s - waited))
        waited += delay
        delay = min(delay * 2, 0.4)
        order = order_rpc.order_status(order["order_no"])
    return order


def answer(order, token):
    """(status, body): a sold-out answer is a clean 409, anything else the order with its token."""
    if order["status"] == "rejected" and order.get("reason") == "out_of_stock":
        return 409, {"error": {"code": "out_of_stock", "message": "sold out",
                               "details": {"order_no": order["order_no"]}}}
    return 201, schemas.CreatedOrder().dump({**order, "token": token, "items": []})


def place(order_rpc, body, signals, key, wait_s=WAIT_S):
    placed = order_rpc.create_order(body, signals, key)
    if "replay" in placed:
        return placed["replay"]["status"], placed["replay"]["body"]
    status, body = answer(wait(order_rpc, placed["order"], wait_s), placed["token"])
    if key:
        order_rpc.remember_answer(key, {"status": status, "body": body})
    return status, body
