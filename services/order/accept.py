"""Creating an order (POST /orders), at the cost DESIGN §3 allows: one call from the gateway and
at most four more messages before the buyer has a pay link (here: two).

1. The catalog reserves and prices in one call (`reserve_quoted`): a SKU that cannot meet the
   quantity is answered 409 here, and no order exists (nobody is told 201 and then `rejected`).
2. Risk is asked by RPC with the exact amount the reservation fixed, for at most RISK_ANSWER_S.
3. One transaction records the order and the answers through the saga's table, as the events
   they stand for (`saga.start`): usually straight to `awaiting_payment`.

The payment number and the pay link are fixed here. The link leads through the gateway, which
has the payment service make the intent with the channel when the buyer opens it (or pays in
the sandbox): an order never paid costs no intent (`payment.open_intent`).

An order placed in an agent's sub-store or through its link (`via`: {"agent_id", "top_level"},
resolved by the gateway from the account service) is priced at that agent's retail price: the
catalog prices it at the chain's top agent level (no member price, promotion or coupon applies,
DESIGN §3) and the account service adds the chain's markups and the agent's retail markup
(`store_price`: its agent_store_prices); the order names the agent (`via_agent_id`) and keeps the
top agent's unit price in its price rule, for the shares credited when it completes (one more
call: three messages before the pay link).

A signed-in member's points (issue 22, services/order/points.py) come off the total after the
quote (after any coupon): checked before risk is asked and held in the order's own transaction,
so they cost no message.

No call is made inside a transaction. A risk answer not in time is asked by event from that
transaction's outbox, and the saga goes on as it always did: a slow risk service never refuses
an order. A risk `reject` releases the reservation (the table's `rejected` + `stock_reserved`
arrow); `review` keeps it through the review (its TTL covers one).
"""

import logging
from collections.abc import Callable, Collection
from typing import Any

from services.common.crypto import DataKeys
from services.common.db import Database
from services.common.errors import DomainError, InvalidInput, Unavailable
from services.order import domain, points, saga
from services.order.views import view

log = logging.getLogger(__name__)

Call = Callable[..., Any]


def reservation_ttl(window_s: float, review_s: float) -> int:
    """The reservation outlives the payment window, and a review with its window after it: the
    order, not the catalog's sweeper, releases it (the sweeper is the net under a lost order)."""
    return int(max(600, window_s + 300, review_s + window_s + 300))


def accept(
    db: Database,
    keys: DataKeys,
    cmd: dict[str, Any],
    signals: dict[str, Any],
    key: str | None,
    settings: dict[str, Any],
    reserve: Call,
    assess: Call,
    takes: Callable[[str], Collection[str]],
    buyer: dict[str, Any] | None = None,
    via: dict[str, Any] | None = None,
    store_price: Call | None = None,
    currencies_of: Callable[[str], list[str] | None] | None = None,
) -> dict[str, Any]:
    """{"order", "token"} for a new order, or {"replay": the first answer}. `reserve`, `assess`:
    the catalog's and risk's RPCs (`assess` with its deadline); `takes(currency)`: the channels
    that take it; `currencies_of(channel)`: the currencies it takes (None: any), which the
    catalog checks before it reserves. `buyer`: the signed-in buyer ({"id", "level", "real_name"}) the gateway
    resolved, or None for a guest: the order is theirs, priced at their member level, and the
    catalog refuses a category that needs real-name verification they lack (403)."""
    channels = settings["channels"]
    domain.check_channel(cmd, channels)
    if key:
        with db.transaction() as s:  # the same key through another agent's store is another request
            replay = domain.claim_key(s, keys, key, {**cmd, "via_agent_id": via["agent_id"]} if via else cmd)
        if replay is not None:
            return {"replay": replay}
    try:
        taken = currencies_of(cmd["payment_channel"]) if currencies_of else None
        priced = Pricing(reserve, via, store_price, taken)
        return _accept(db, keys, cmd, signals, key, settings, priced, assess, takes, buyer or {})
    except BaseException:
        if key:  # nothing was made: the same key may try again at once
            with db.transaction() as s:
                domain.drop_key(s, key)
        raise


class Pricing:
    """The catalog's reservation with its quote, at a buyer's member level, or at an agent's retail
    price for an order placed in its sub-store or through its link."""

    def __init__(
        self, reserve: Call, via: dict[str, Any] | None, store_price: Call | None, currencies: list[str] | None = None
    ) -> None:
        self.reserve, self.via, self.store_price = reserve, via, store_price
        self.currencies = {"currencies": currencies} if currencies is not None else {}

    def quote(self, order_no: str, cmd: dict[str, Any], ttl_s: int, buyer: dict[str, Any]) -> dict[str, Any]:
        real_name = bool(buyer.get("real_name"))
        # a coupon rides inside the reservation (DESIGN §3); the catalog refuses one on an agent's price
        coupon = {"coupon": cmd["coupon"], "buyer": coupon_buyer(buyer, cmd)} if cmd.get("coupon") else {}
        if self.via is None:
            level = buyer.get("level")
            return self.reserve(
                order_no,
                cmd["sku"],
                cmd["quantity"],
                ttl_s,
                level=level,
                real_name=real_name,
                **coupon,
                **self.currencies,
            )
        top_level = self.via["top_level"]
        return self.reserve(
            order_no,
            cmd["sku"],
            cmd["quantity"],
            ttl_s,
            real_name=real_name,
            agent_level=top_level,
            **coupon,
            **self.currencies,
        )

    def retail(self, cmd: dict[str, Any], quote: dict[str, Any]) -> dict[str, Any]:
        """The quote at the agent's retail price (the chain's top unit price kept in its rule)."""
        if self.via is None or self.store_price is None:
            return quote
        top = quote["unit_price"]
        unit = int(self.store_price(self.via["agent_id"], [{"sku": cmd["sku"], "unit_price": top}])[0]["unit_price"])
        via_agent_id = self.via["agent_id"]
        rule = {"kind": "agent_store", "via_agent_id": via_agent_id, "top_unit_price": top, "top": quote["rule"]}
        return {**quote, "unit_price": unit, "total": unit * cmd["quantity"], "rule": rule}

    def points(
        self, cmd: dict[str, Any], quote: dict[str, Any], buyer: dict[str, Any], settings: dict[str, int]
    ) -> dict[str, Any]:
        """Points after the quote's total (DESIGN §3); none in an agent's store (its retail price)."""
        if self.via is not None:
            if cmd.get("points"):
                raise InvalidInput("points do not apply here", {"fields": {"points": ["not in an agent's store"]}})
            return quote
        return points.apply(quote, cmd.get("points") or 0, buyer.get("id"), settings)


def coupon_buyer(buyer: dict[str, Any], cmd: dict[str, Any]) -> str:
    """Whose use a coupon's per-buyer limit counts: the signed-in member, else the contact e-mail
    (lower case)."""
    if buyer.get("id") is not None:
        return f"member:{buyer['id']}"
    return f"email:{cmd['contact'].strip().lower()}"


def _accept(db, keys, cmd, signals, key, settings, pricing, assess, takes, buyer):
    window_s = settings["window_s"]
    order_no = domain.new_order_no()
    ttl_s = reservation_ttl(window_s, settings["review_s"])
    try:
        quote = pricing.quote(order_no, cmd, ttl_s, buyer)
    except Unavailable:  # no answer in time: a reservation it made anyway goes back
        _release(db, order_no)
        raise
    except InvalidInput as exc:  # a currency the channel does not take: nothing was held
        if "currency" in exc.details:
            domain.check_takes(cmd, exc.details["currency"], settings["channels"], takes(exc.details["currency"]))
        raise
    try:
        quote = pricing.retail(cmd, quote)
        domain.check_quote(cmd, quote, settings["channels"], takes(quote["currency"]))
        quote = pricing.points(cmd, quote, buyer, settings["points"])
        if quote.get("points"):  # more than the member holds: refused before risk is asked
            with db.transaction() as s:
                points.check(s, buyer.get("id"), quote["points"])
    except (DomainError, Unavailable):
        _release(db, order_no)
        raise
    order, token = domain.new_order(cmd, quote, window_s, settings["public_url"], order_no)
    order.buyer_id, order.points_used = buyer.get("id"), quote.get("points", 0)
    order.via_agent_id = pricing.via["agent_id"] if pricing.via else None
    signals = {**signals, "category": quote.get("category")}
    answers: list[tuple[str, dict[str, Any]]] = []
    decision = _ask(assess, saga.request_data(order, saga.FIRST_REQUEST, {"signals": signals}))
    if decision is not None:
        answers.append((decision["type"], decision["data"]))
    answers.append(("stock_reserved", {"order_no": order_no, "expires_at": quote["expires_at"]}))
    _place(db, keys, key, order, token, signals, answers)
    return {"order": view(order), "token": token}


def _place(db, keys, key, order, token, signals, answers):
    """The order, its answers through the saga's table and the member's points it spends: one
    transaction. Points spent meanwhile elsewhere: no order, the reservation goes back."""
    try:
        with db.transaction() as s:
            points.hold(s, order.buyer_id, order.order_no, order.points_used)
            saga.start(s, order, signals, answers)
            saga.insert(s, order)
            if key:
                domain.bind_key(s, keys, key, order, token)
    except DomainError:
        _release(db, order.order_no)
        raise


def _release(db: Database, order_no: str) -> None:
    """A reservation made (or perhaps made) for an order that is not placed: given back by the
    outbox, reliably (the catalog's release is idempotent and a no-op for nothing held)."""
    with db.transaction() as s:
        saga.release_unplaced(s, order_no)


def _ask(call: Call, data: dict[str, Any]) -> dict[str, Any] | None:
    """The answer, or None when there was none in time (the saga then asks by event)."""
    try:
        answer: dict[str, Any] = call(data)
        return answer
    except Unavailable as exc:
        log.info("no answer in time (%s); going on by events", exc)
        return None
    except Exception as exc:  # refused, or a participant's fault: the event path is the safe one
        log.warning("asked at creation, no answer (%s); going on by events", type(exc).__name__)
        return None
