"""POST /api/v1/orders at the gateway: create, then wait a short bounded time for the saga to
reach the payment step (or an end), so most buyers get their pay_url in the first answer."""

import logging

from marshmallow import ValidationError

from gateway import cache, schemas
from services.common.errors import Unavailable

log = logging.getLogger(__name__)

WAIT_S = 3.0
# A create's deadline. Generous for a flash sale, whose creates queue behind each other (the
# bench's: p95 1.2-1.6 s here, 3-7 s on a box three times slower), and within a buyer's patience
# when the broker goes down: a request it took unconfirmed just before it stopped is never
# answered, and its buyer (and those queued behind it) get 503 at this deadline, not after they
# gave up (the broker-outage test waits 15 s for any answer; at 20 s one buyer waited longer).
CREATE_TIMEOUT_S = 12.0


def settled(order):
    """The order service says when the answer a buyer waits for is here (services/order/views.py)."""
    return order["settled"]


def wait(order_rpc, board, order, wait_s):
    """The order once settled, or as it is when `wait_s` has passed. Woken by the order
    service's hint; without one by the deadline, the order service is asked once. A busy order
    service never turns into an error here: the order exists, the buyer gets it and polls."""
    if settled(order) or wait_s <= 0:
        return order
    moved = board.wait(order["order_no"], settled, wait_s)
    if moved is not None:
        return moved
    try:
        return order_rpc.order_status.timed(1.0)(order["order_no"])
    except Unavailable:
        return order


def held_status(order_rpc, hold):
    """The `status` a long poll holds on (or None): one of the order service's states, else a 400."""
    status = hold.get("status")
    if status is not None and status not in cache.order_states.get_or_set("all", order_rpc.order_states):
        raise ValidationError({"status": ["not an order state"]})
    return status


def look(order_rpc, board, order_no, token, status=None, wait_s=0):
    """GET /orders/{no}: the buyer's view (codes once delivered). With `status` and `wait_s`:
    while the order is still in `status`, hold up to `wait_s` for a hint that it moved."""
    order = order_rpc.get_order(order_no, token)  # the token is checked first, every time
    if not (status and wait_s > 0 and order["status"] == status):
        return order
    moved = board.wait(order_no, lambda seen: seen["status"] != status, wait_s)
    if moved is None:
        return order
    if not moved["delivered"]:  # the hint is the order's view as it committed: no codes to add
        return {**moved, "items": []}
    return order_rpc.get_order(order_no, token)  # its codes, from the catalog through the order


def answer(order, token):
    """(status, body): a sold-out answer is a clean 409, anything else the order with its token."""
    if order["status"] == "rejected" and order.get("reason") == "out_of_stock":
        return 409, {
            "error": {"code": "out_of_stock", "message": "sold out", "details": {"order_no": order["order_no"]}}
        }
    return 201, schemas.CREATED_ORDER.dump({**order, "token": token, "items": []})


def place(order_rpc, creates, board, body, signals, key, wait_s=WAIT_S, shelf=None, buyer=None, via_agent=None):
    """`creates`: the gateway's `Batched` of the order service's `create_order_all` (requests at
    once share a round trip). `shelf`: the SKUs sold out (gateway/soldout.py), answered 409 here, and
    again when the create, having waited in line, is about to go; not for a request with an
    Idempotency-Key, whose first answer may have to be replayed.
    `buyer`: the signed-in buyer as the account service describes them (gateway/members.py), None
    for a guest. `via_agent`: {"agent_id", "top_level"} of the sub-store or buy link
    (gateway/storefronts.py)."""
    if shelf is not None and not key:
        shelf.refuse(body["sku"])
    if buyer is not None:
        signals = {**signals, "member_id": buyer["id"]}
    call = {"cmd": body, "signals": signals, "idempotency_key": key, "buyer": buyer, "via_agent": via_agent}
    screen = None if shelf is None or key else (lambda: shelf.refuse(body["sku"]))  # sold out while it waited
    placed = creates.call(order_rpc.create_order_all.timed(CREATE_TIMEOUT_S), call, screen)
    if "replay" in placed:
        return placed["replay"]["status"], placed["replay"]["body"]
    status, body = answer(wait(order_rpc, board, placed["order"], wait_s), placed["token"])
    if key:
        try:
            order_rpc.remember_answer(key, {"status": status, "body": body})
        except Unavailable:  # the order stands; a replay of this key answers 409 until it expires
            log.warning("could not keep the answer for an Idempotency-Key")
    return status, body
