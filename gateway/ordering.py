"""POST /api/v1/orders at the gateway: create, then wait a short bounded time for the saga to
reach the payment step (or an end), so most buyers get their pay_url in the first answer."""
import logging
import time

import eventlet

from gateway import schemas
from services.common.errors import Unavailable

log = logging.getLogger(__name__)

WAIT_S = 3.0
CREATE_TIMEOUT_S = 20.0
SETTLED = {"awaiting_payment", "paid", "delivering", "completed", "rejected", "expired", "cancelled",
           "refunding", "refunded", "review"}


def settled(order):
    return order["status"] in SETTLED and (order["status"] != "awaiting_payment" or order["payment"])


def wait(order_rpc, order, wait_s):
    """The order once settled, or as it is when `wait_s` has passed. A busy order service never
    turns into an error here: the order exists, the buyer gets it (pending) and polls."""
    delay, started = 0.03, time.monotonic()   # the saga takes a few hops: look rarely, then less often
    while not settled(order):
        left = wait_s - (time.monotonic() - started)
        if left <= 0:
            break
        eventlet.sleep(min(delay, left))
        delay = min(delay * 2, 0.4)
        try:
            order = order_rpc.order_status.timed(max(left, 0.5))(order["order_no"])
        except Unavailable:
            break
    return order


def answer(order, token):
    """(status, body): a sold-out answer is a clean 409, anything else the order with its token."""
    if order["status"] == "rejected" and order.get("reason") == "out_of_stock":
        return 409, {"error": {"code": "out_of_stock", "message": "sold out",
                               "details": {"order_no": order["order_no"]}}}
    return 201, schemas.CreatedOrder().dump({**order, "token": token, "items": []})


def place(order_rpc, body, signals, key, wait_s=WAIT_S):
    # a flash sale queues creates behind each other: a generous deadline beats a 503
    placed = order_rpc.create_order.timed(CREATE_TIMEOUT_S)(body, signals, key)
    if "replay" in placed:
        return placed["replay"]["status"], placed["replay"]["body"]
    status, body = answer(wait(order_rpc, placed["order"], wait_s), placed["token"])
    if key:
        try:
            order_rpc.remember_answer(key, {"status": status, "body": body})
        except Unavailable:      # the order stands; a replay of this key answers 409 until it expires
            log.warning("could not keep the answer for an Idempotency-Key")
    return status, body
