"""The order saga (DESIGN §3): the one transition table, the timeouts the sweeper reads, and the
only code that writes `orders.status`.

Events from participants (risk, catalog, payment, delivery) and the order's own decisions
(window expired, cancel, admin refund) all go through `apply`. A pair missing from the table is
a late or repeated event: the order stays as it is, and that is recorded in the log only."""

import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, NamedTuple, overload

from prometheus_client import Counter, Histogram
from sqlalchemy import RowMapping, func, or_, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from services.common import hints, outbox, sql
from services.common.db import after_commit, each
from services.common.errors import Conflict, NotFound
from services.order import points, views  # a module import: views reads this module's sets in turn
from services.order.models import Order, Transition

log = logging.getLogger(__name__)


class Step(NamedTuple):
    to: str
    requests: tuple[str, ...] = ()


RELEASE, CLOSE, REFUND = "stock_release_requested", "payment_close_requested", "refund_requested"
RESERVE, DELIVER = "stock_reservation_requested", "delivery_requested"
REFUNDED = "order_refunded"  # news, not a request: the account service gives a wallet's money back
WALLET = "wallet"  # the payment channel of an agent's order, paid from its wallet at creation

# the table reads as one: the formatter leaves its columns aligned
# fmt: off
TRANSITIONS = {
    ("pending", "risk_approved"):                 Step("reserving", (RESERVE,)),
    ("pending", "risk_rejected"):                 Step("rejected"),
    # review: the stock is held (a genuine big buyer keeps it) until an admin decides or the window ends
    ("pending", "risk_review"):                   Step("review", (RESERVE,)),
    ("review", "stock_reservation_failed"):       Step("rejected"),
    ("review", "review_approved"):                Step("reserving", (RESERVE,)),   # a repeat: answered as held
    ("review", "review_rejected"):                Step("rejected", (RELEASE,)),
    ("review", "review_expired"):                 Step("rejected", (RELEASE,)),
    ("review", "cancel_requested"):               Step("cancelled", (RELEASE,)),
    ("review", "payment_succeeded"):              Step("refunding", (RELEASE, REFUND)),
    ("pending", "cancel_requested"):              Step("cancelled"),
    # an agent's order (open API): reserved and paid from its wallet at creation, no risk decision
    ("pending", "wallet_paid"):                   Step("paid", (DELIVER,)),
    # the pay link was fixed at acceptance: the payment service makes the intent when it is opened
    ("reserving", "stock_reserved"):              Step("awaiting_payment"),
    ("reserving", "stock_reservation_failed"):    Step("rejected"),
    ("reserving", "cancel_requested"):            Step("cancelled", (RELEASE,)),
    ("awaiting_payment", "payment_intent_created"): Step("awaiting_payment"),
    ("awaiting_payment", "payment_succeeded"):    Step("paid", (DELIVER,)),
    ("awaiting_payment", "payment_window_expired"): Step("expired", (RELEASE, CLOSE)),
    ("awaiting_payment", "cancel_requested"):     Step("cancelled", (RELEASE, CLOSE)),
    # a reservation that lands after the order gave up is handed back
    ("cancelled", "stock_reserved"):              Step("cancelled", (RELEASE,)),
    ("rejected", "stock_reserved"):               Step("rejected", (RELEASE,)),
    ("expired", "stock_reserved"):                Step("expired", (RELEASE,)),
    # a payment after expiry or cancel: reserve again and deliver, or refund
    ("expired", "payment_succeeded"):             Step("paid", (RESERVE,)),
    ("cancelled", "payment_succeeded"):           Step("paid", (RESERVE,)),
    ("rejected", "payment_succeeded"):            Step("refunding", (REFUND,)),
    ("paid", "stock_reserved"):                   Step("paid", (DELIVER,)),
    ("paid", "stock_reservation_failed"):         Step("refunding", (REFUND,)),
    ("paid", "delivery_started"):                 Step("delivering"),
    ("paid", "delivery_completed"):               Step("completed", ("order_completed",)),
    ("delivering", "delivery_completed"):         Step("completed", ("order_completed",)),
    ("paid", "delivery_failed"):                  Step("refunding", (REFUND,)),
    ("delivering", "delivery_failed"):            Step("refunding", (REFUND,)),
    # refunded before its codes were committed: they go back to stock (a commit already done keeps them sold)
    ("paid", "refund_ordered"):                   Step("refunding", (RELEASE, REFUND)),
    ("delivering", "refund_ordered"):             Step("refunding", (RELEASE, REFUND)),
    ("completed", "refund_ordered"):              Step("refunding", (REFUND,)),
    ("refunding", "refund_completed"):            Step("refunded", (REFUNDED,)),
    # a wallet-paid order's refund: the account service credits the wallet on `order_refunded`
    ("refunding", "wallet_refunded"):             Step("refunded", (REFUNDED,)),
}
# fmt: on

# seconds a state may last before the sweeper re-sends its requests (awaiting_payment has the
# order's own expiry instead); after MAX_ATTEMPTS it compensates
TIMEOUTS = {"pending": 30, "reserving": 30, "paid": 60, "delivering": 120, "refunding": 300}
MAX_ATTEMPTS = 5
GIVE_UP = {
    "pending": Step("rejected"),
    "reserving": Step("rejected", (RELEASE,)),
    # codes not committed yet go back to stock, so they cannot be both sold and refunded
    "paid": Step("refunding", (RELEASE, REFUND)),
    "delivering": Step("refunding", (RELEASE, REFUND)),
}
FIRST_REQUEST = "risk_assessment_requested"
TERMINAL = {"rejected", "expired", "cancelled", "completed", "refunded"}
# states a buyer waits for (the gateway holds answers until one of them): each arrival is hinted
NEWS = TERMINAL | {"awaiting_payment", "paid", "delivering", "refunding", "review"}
# What the gateway decides on, read off the table (every order view carries them as flags,
# services/order/views.py): a new state or arrow changes the table and nothing else.
STATES = tuple(dict.fromkeys([state for state, _ in TRANSITIONS] + [step.to for step in TRANSITIONS.values()]))
CANCELLABLE = frozenset(state for state, event in TRANSITIONS if event == "cancel_requested")
REFUNDABLE = frozenset(state for state, event in TRANSITIONS if event == "refund_ordered")
DELIVERED = frozenset(step.to for (_, event), step in TRANSITIONS.items() if event == "delivery_completed")
# states whose payment is taken (and delivered): the pay link may be opened
PAYABLE = frozenset(
    state for (state, event), step in TRANSITIONS.items() if (event, step.to) == ("payment_succeeded", "paid")
)
# states that end at the order's own deadline (expires_at) rather than after a step timeout
DEADLINES = {"awaiting_payment": "payment_window_expired", "review": "review_expired"}


ORDERS = Counter("kameng_orders_total", "Orders arriving in a status (every arrival counts once)", ["status"])
STEP_SECONDS = Histogram(
    "kameng_saga_step_duration_seconds",
    "Time an order spent in a state before it moved on",
    ["state"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
)
TIMEOUTS_HIT = Counter(
    "kameng_saga_timeouts_total",
    "Sagas the sweeper drove on past a timeout, by state and action (retry, compensate, expire; for a "
    "recharge: complete, or wait while its outcome at the supplier is unknown)",
    ["state", "action"],
)


# The saga's reads and writes are plain SQL (services/common/sql.py): every order passes here
# several times. An order is an `OrderRow`; what the saga changes is written back by `save`.
ORDERS_TABLE = sql.qualified(Order.__table__)
TRANSITIONS_TABLE = sql.qualified(Transition.__table__)
COLUMNS = [c.name for c in Order.__table__.columns]
COLUMN_SET = frozenset(COLUMNS)
JSON_COLUMNS = {c.name for c in Order.__table__.columns if isinstance(c.type, JSONB)}
NOW = func.now()  # a field set to NOW is written as the database's now()
LOCK = f"SELECT {', '.join(COLUMNS)} FROM {ORDERS_TABLE} WHERE order_no = ANY(%(numbers)s) ORDER BY order_no FOR UPDATE"
RECORD = (
    f"INSERT INTO {TRANSITIONS_TABLE} (order_no, from_status, to_status, event, data) "
    "VALUES (%(order_no)s, %(from_status)s, %(to_status)s, %(event)s, %(data)s::jsonb)"
)


class OrderRow:
    """An order's columns as attributes. Fields set are remembered and written by `save` (or all
    of them by `insert`, for a new order)."""

    fields: dict[str, Any]
    changed: set[str]
    unwritten: list[dict[str, Any]] | None  # a new order's transitions, written with it by `insert`

    def __init__(self, fields: Mapping[str, Any] | RowMapping) -> None:
        self.__dict__.update(fields=dict(fields), changed=set(), unwritten=None)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.fields[name]
        except KeyError:
            if name in COLUMN_SET:  # a new order's column not set yet: NULL or its default
                return None
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self.fields[name] = value
        self.changed.add(name)


def _placeholder(column: str, value: Any) -> str:
    if value is NOW:
        return "now()"
    return f"%({column})s::jsonb" if column in JSON_COLUMNS else f"%({column})s"


def _params(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {c: json.dumps(v) if c in JSON_COLUMNS else v for c, v in fields.items() if v is not NOW}


TRANSITION_COLUMNS = ("order_no", "from_status", "to_status", "event", "data")


def insert(session: Session, order: OrderRow) -> None:
    """A new order's row, every field set so far, and the transitions `start` recorded for it:
    one round trip to the database (two statements in one execute) instead of one per row."""
    names = sorted(order.fields)
    statement = (
        f"INSERT INTO {ORDERS_TABLE} ({', '.join(names)}) VALUES "
        f"({', '.join(_placeholder(c, order.fields[c]) for c in names)})"
    )
    params = _params(order.fields)
    rows, order.__dict__["unwritten"] = order.unwritten or [], None
    if rows:
        values = ", ".join(
            f"(%(t{i}_order_no)s, %(t{i}_from_status)s, %(t{i}_to_status)s, %(t{i}_event)s, %(t{i}_data)s::jsonb)"
            for i in range(len(rows))
        )
        statement += f"; INSERT INTO {TRANSITIONS_TABLE} ({', '.join(TRANSITION_COLUMNS)}) VALUES {values}"
        params.update({f"t{i}_{c}": row[c] for i, row in enumerate(rows) for c in TRANSITION_COLUMNS})
    sql.run(session, statement, params)
    order.changed.clear()


def save(session: Session, order: OrderRow) -> None:
    """Write the fields changed since the order was read (one UPDATE, none if nothing changed)."""
    if not order.changed:
        return
    changed = {c: order.fields[c] for c in sorted(order.changed)}
    sql.run(
        session,
        f"UPDATE {ORDERS_TABLE} SET {', '.join(f'{c} = {_placeholder(c, v)}' for c, v in changed.items())} "
        "WHERE order_no = %(order_no)s",
        {**_params(changed), "order_no": order.order_no},
    )
    order.changed.clear()


READ = f"SELECT {', '.join(COLUMNS)} FROM {ORDERS_TABLE} WHERE order_no = %(order_no)s"


def read(session: Session, order_no: str) -> OrderRow | None:
    """The order as an `OrderRow`, without a lock (polling must not queue behind the saga); None
    when there is no such order."""
    row = sql.run(session, READ, {"order_no": order_no}).mappings().first()
    return OrderRow(row) if row is not None else None


BY_PAYMENT_NO = f"SELECT {', '.join(COLUMNS)} FROM {ORDERS_TABLE} WHERE payment_no = %(payment_no)s"


def by_payment_no(session: Session, payment_no: str) -> OrderRow | None:
    """The order a payment number was issued for (no lock), or None."""
    row = sql.run(session, BY_PAYMENT_NO, {"payment_no": payment_no}).mappings().first()
    return OrderRow(row) if row is not None else None


def lock_all(session: Session, numbers: Iterable[str]) -> dict[str, OrderRow]:
    """{order_no: OrderRow} of those orders, row-locked in order_no order (so two callers locking
    overlapping sets cannot deadlock) and read afresh."""
    rows = sql.run(session, LOCK, {"numbers": sorted(set(numbers))}).mappings()
    return {row["order_no"]: OrderRow(row) for row in rows}


@overload
def lock(session: Session, order_no: str, missing_ok: Literal[False] = False) -> OrderRow: ...
@overload
def lock(session: Session, order_no: str, missing_ok: bool) -> OrderRow | None: ...
def lock(session: Session, order_no: str, missing_ok: bool = False) -> OrderRow | None:
    """The order, row-locked and read afresh."""
    order = lock_all(session, [order_no]).get(order_no)
    if order is None and not missing_ok:
        raise NotFound("no such order", {"order_no": order_no})
    return order


def advance_all(session: Session, envelopes: Sequence[dict[str, Any]]) -> list[str]:
    """Event handler body: apply participants' events to their orders (locked in one statement),
    each in turn. An event about an order this service never made (a participant used directly,
    e.g. by an admin tool) is not ours: it is logged and dropped, not retried into the dead-letter
    queue. Answers the orders whose codes the caller delivers itself once this commits
    (`DELIVER_NOW`, `deliver_codes`)."""
    orders = lock_all(session, [env["data"]["order_no"] for env in envelopes])
    deliver_now: list[str] = []
    session.info["deliver_now"] = deliver_now
    for env in each(session, envelopes):
        order = orders.get(env["data"]["order_no"])
        if order is None:
            log.warning("event %s for unknown order %s ignored", env["type"], env["data"]["order_no"])
            continue
        apply(session, order, env["type"], env["data"])
    return deliver_now


def apply(session: Session, order: OrderRow, event_type: str, data: dict[str, Any] | None = None) -> OrderRow:
    """Move `order` (row-locked by `lock`) by the table, or leave it as it is."""
    step = TRANSITIONS.get((order.status, event_type))
    if step is None:
        log.info("order %s ignores %s in state %s", order.order_no, event_type, order.status)
        return order
    _record(session, order, step, event_type, data or {})
    save(session, order)
    return order


# what an answer that creation asked for by RPC stands in for (DESIGN §3: the order asks risk, the
# catalog and the payment service in its creation; what did not answer in time goes by events)
ANSWERS = {
    "risk_approved": FIRST_REQUEST,
    "risk_rejected": FIRST_REQUEST,
    "risk_review": FIRST_REQUEST,
    "stock_reserved": RESERVE,
    "wallet_paid": FIRST_REQUEST,  # an agent's order: known, signed and paid up front, risk is not asked
}

# requests the order answers itself, by payment channel: a wallet cannot refuse its money back, so a
# wallet-paid order is refunded at once, by the event that stands for the refund (no channel is asked)
SELF_ANSWERED = {(WALLET, REFUND): "wallet_refunded"}


def start(
    session: Session, order: OrderRow, signals: dict[str, Any], answers: Sequence[tuple[str, dict[str, Any]]] = ()
) -> None:
    """A new order (an `OrderRow` not inserted yet): pending, and the first request of the saga
    (risk gets the buyer's signals). `answers`: (event type, data) of what its creation asked for
    by RPC and got, applied in turn by the table as the events they stand for; a request whose
    answer is among them is not sent, the others are. No hint: the creator answers the buyer.
    The caller inserts the order, and its transitions with it (`insert`)."""
    answered = frozenset(ANSWERS[event_type] for event_type, _ in answers)
    order.__dict__["unwritten"] = []
    first = Step("pending", (FIRST_REQUEST,))
    _record(session, order, first, "order_created", {"signals": signals}, first=True, answered=answered)
    for event_type, data in answers:
        step = TRANSITIONS.get((order.status, event_type))
        if step is not None:
            _record(session, order, step, event_type, data, answered=answered)


def release_unplaced(session: Session, order_no: str) -> None:
    """A reservation made for an order that was then not placed (its creation refused the
    buyer's choices): given back by the same request as any release."""
    outbox.add(session, RELEASE, {"order_no": order_no})


def require(order: OrderRow, event_type: str) -> None:
    """For commands (cancel, refund): refuse when the table has no move for them."""
    if (order.status, event_type) not in TRANSITIONS:
        raise Conflict(f"not possible while the order is {order.status}", {"status": order.status})


def _record(
    session: Session,
    order: OrderRow,
    step: Step,
    event_type: str,
    data: dict[str, Any],
    first: bool = False,
    answered: frozenset[str] | None = None,
) -> None:
    """Move `order` by `step`. `answered`: the order is being created and these requests were
    answered already (`start`): they are not sent, and nobody waits for a hint yet."""
    before = None if first else order.status
    _absorb(order, event_type, data)
    if step.to != order.status or first:
        _measure(session, order, step.to, first)
        order.status, order.attempts, order.step_started_at = step.to, 0, NOW
        points.follow(session, order, before, step.to)  # a member's points move with the order
    row = {
        "order_no": order.order_no,
        "from_status": before,
        "to_status": step.to,
        "event": event_type,
        "data": json.dumps(_public(data)),
    }
    if order.unwritten is not None:  # a new order's: written with the order (`insert`)
        order.unwritten.append(row)
    else:
        sql.run(session, RECORD, row)
    if (
        answered is None
        and (step.to != before or event_type == "payment_intent_created")
        and newsworthy(order)
        and not _delivered_now(session, order, step)
    ):
        hints.add(session, "order_changed", views.view(order))
    if step.requests:
        order.last_requests = list(step.requests)  # what the sweeper re-sends if stuck
    follow = []
    for request in step.requests:
        if (order.payment_channel, request) in SELF_ANSWERED:
            follow.append(SELF_ANSWERED[(order.payment_channel, request)])
        elif _delivered_now(session, order, step) and request == DELIVER:
            session.info["deliver_now"].append(order.order_no)
        elif answered is None or request not in answered:
            outbox.add(session, request, request_data(order, request, data))
    for event in follow:
        _record(session, order, TRANSITIONS[(order.status, event)], event, {}, answered=answered)


# Deliveries the order makes itself right after the commit that made the order `paid` (an event
# handler's, `advance_all`): the catalog commits the codes of the whole batch in one call and the
# outcome moves the orders on in the next transaction (`deliver_codes`), instead of two events
# through the delivery service (DESIGN §3). Nothing is lost when that call fails or the process
# dies meanwhile: the order stays `paid`, and the sweeper re-sends its `last_requests` by event,
# to the delivery service, as for any stuck step. Direct recharge always goes by event.
DELIVER_NOW = frozenset({"card", "loop"})


def _delivered_now(session: Session, order: OrderRow, step: Step) -> bool:
    """The step asks for a delivery the caller makes itself after this commit (`deliver_codes`):
    its `paid` is not hinted, the buyer's held look wakes once, at `completed` (or at `paid` if
    that call fails)."""
    return DELIVER in step.requests and order.delivery in DELIVER_NOW and "deliver_now" in session.info


def deliver_codes(db: Any, commit_all: Any, numbers: Sequence[str], answer_s: float) -> None:
    """The catalog's commit of `numbers`' codes (outside any transaction, `commit_all` the
    catalog's RPC, waited for `answer_s` at most), then their outcome in one transaction:
    `delivery_completed`, or `delivery_failed` (refunded) for an order whose reservation is gone.
    A call that fails or comes too late leaves them `paid` for the sweeper: the catalog does
    nothing with a request it takes after its deadline."""
    try:
        outcomes = commit_all.timed(answer_s)(list(numbers), deadline=time.time() + answer_s)
    except Exception as exc:
        log.warning("codes of %d paid order(s) not committed now (%s); the sweeper sends them on", len(numbers), exc)
        with db.transaction() as s:  # the `paid` they were not hinted: buyers waiting hear of it now
            for unmoved in lock_all(s, numbers).values():
                if newsworthy(unmoved):
                    hints.add(s, "order_changed", views.view(unmoved))
        return
    with db.transaction() as s:
        orders = lock_all(s, outcomes)
        for order_no, outcome in sorted(outcomes.items()):
            order = orders.get(order_no)
            if order is None:
                continue
            if outcome == "committed":
                apply(s, order, "delivery_completed", {"order_no": order_no, "quantity": order.quantity})
            else:
                apply(s, order, "delivery_failed", {"order_no": order_no, "reason": "reservation_missing"})


def _measure(session: Session, order: OrderRow, to: str, first: bool) -> None:
    """Counted once committed: a batch rolled back and retried does not count its orders twice."""
    step, seconds = order.status, None
    if not first and isinstance(order.step_started_at, datetime):
        seconds = max(0.0, (datetime.now(UTC) - order.step_started_at).total_seconds())

    def count() -> None:
        ORDERS.labels(to).inc()
        if seconds is not None:
            STEP_SECONDS.labels(step).observe(seconds)

    after_commit(session, count)


def newsworthy(order: OrderRow) -> bool:
    """A state a buyer waits for; awaiting_payment only once there is somewhere to pay."""
    return order.status in NEWS and (order.status != "awaiting_payment" or bool(order.pay_url))


def _absorb(order: OrderRow, event_type: str, data: dict[str, Any]) -> None:
    """What an event teaches the order besides its status."""
    if event_type == "payment_intent_created":  # an order's link, fixed at acceptance, stays the link
        order.payment_no, order.pay_url = order.payment_no or data["payment_no"], order.pay_url or data["pay_url"]
    elif event_type == "wallet_paid":
        order.paid_at = NOW
    elif event_type == "payment_succeeded":
        order.paid_at, order.late = NOW, order.status in ("expired", "cancelled", "rejected")
        order.payment_no = order.payment_no or data.get("payment_no")
    elif event_type in (
        "stock_reservation_failed",
        "risk_rejected",
        "delivery_failed",
        "refund_ordered",
        "review_rejected",
        "review_expired",
    ):
        order.reason = data.get("reason") or event_type
    elif event_type == "delivery_completed":
        order.completed_at = NOW
    elif event_type == "risk_review":  # held for the review window
        order.expires_at = datetime.now(UTC) + timedelta(seconds=data["hold_s"])
    elif event_type == "review_approved":  # the payment window starts with the approval
        order.expires_at = datetime.now(UTC) + timedelta(seconds=data["window_s"])


def _public(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in ("token", "items", "codes")}


def request_data(order: OrderRow, request: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    base = {"order_no": order.order_no}
    if request == "risk_assessment_requested":
        return {
            **base,
            **(data or {}).get("signals", {}),
            "sku": order.sku,
            "quantity": order.quantity,
            "amount": order.amount,
            "contact": order.contact,
            "payment_channel": order.payment_channel,
            "recharge_account": order.recharge_account,
        }
    if request == RESERVE:
        left = (order.expires_at - datetime.now(UTC)).total_seconds()
        # outlive the payment window (and a review), so the order, not the catalog's sweeper, releases
        ttl = max(600, int(left) + 300, int((data or {}).get("reserve_s", 0)))
        return {**base, "sku": order.sku, "quantity": order.quantity, "ttl_s": ttl}
    if request == "payment_requested":
        return {
            **base,
            "payment_no": order.payment_no,  # fixed at acceptance
            "amount": order.amount,
            "currency": order.currency,
            "channel": order.payment_channel,
            "subject": order.sku,
            "expires_at": order.expires_at.isoformat(),
        }
    if request == DELIVER:
        return {
            **base,
            "sku": order.sku,
            "quantity": order.quantity,
            "delivery": order.delivery,
            "recharge_account": order.recharge_account,
        }
    if request == REFUND:
        return {**base, "payment_no": order.payment_no, "amount": order.amount, "reason": order.reason or "refund"}
    if request == "order_completed":  # not a request: the news, for the buyer's e-mail
        return {
            **base,
            "contact": order.contact,
            "sku": order.sku,
            "quantity": order.quantity,
            "amount": order.amount,
            "currency": order.currency,
            "buyer_id": order.buyer_id,  # a member's total spent moves (account)
            "agent_id": order.agent_id,  # an agent's order: its pending profit shares are credited (account)
            "via_agent_id": order.via_agent_id,  # sold in an agent's sub-store or through its link: shares
            "top_unit_price": (order.price_rule or {}).get("top_unit_price"),  # the chain's price, for them
            "payment_channel": order.payment_channel,
            "points_earned": order.points_earned or 0,  # a member's level may count them (account)
            "points_earned_value": points.earned_value(order),
        }
    if request == REFUNDED:  # news: a wallet-paid order's money goes back, an agent's shares are cancelled
        return {
            **base,
            "agent_id": order.agent_id,
            "via_agent_id": order.via_agent_id,  # an agent's retail sale: its shares are undone
            "buyer_id": order.buyer_id,
            "sku": order.sku,
            "quantity": order.quantity,
            "amount": order.amount,
            "currency": order.currency,
            "payment_channel": order.payment_channel,
        }
    if request == CLOSE:
        return {**base, "payment_no": order.payment_no}
    return base


def _first_data(session: Session, order: OrderRow, request: str) -> dict[str, Any] | None:
    """A re-sent risk request carries the buyer's signals again (kept with the order's creation)."""
    if request != FIRST_REQUEST:
        return None
    return session.scalar(
        select(Transition.data).where(Transition.order_no == order.order_no, Transition.event == "order_created")
    )


def stuck(session: Session, batch: int = 50, now: Any = None) -> list[OrderRow]:
    """Orders past their state's timeout (or their payment or review window), locked SKIP LOCKED:
    replica-safe. `now`: the clock (the database's own unless a test sets it). An order's window
    is open up to its `expires_at` included and closed right after it."""
    now = func.now() if now is None else now
    late = [
        (Order.status == state) & (Order.step_started_at < now - timedelta(seconds=seconds))
        for state, seconds in TIMEOUTS.items()
    ]
    unpaid = Order.status.in_(tuple(DEADLINES)) & (Order.expires_at < now)
    rows = session.execute(
        select(*Order.__table__.columns)
        .where(or_(unpaid, *late))
        .order_by(Order.step_started_at)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    return [OrderRow(row) for row in rows.mappings()]


def sweep(session: Session, now: Any = None) -> list[str]:
    """Drive stuck orders on: expire unpaid ones and reviews past their window, re-send a stuck
    step's requests, and compensate after MAX_ATTEMPTS. A recharge is never compensated on a timer
    alone (DESIGN §3): its order is left as it is and its number answered, for the caller to ask
    the supplier service after the commit and hand the answers to `settle_recharges`. `now`: see
    `stuck`."""
    ask = []
    for order in stuck(session, now=now):
        if order.status in DEADLINES:
            event = DEADLINES[order.status]
            TIMEOUTS_HIT.labels(order.status, "expire").inc()
            _record(session, order, TRANSITIONS[(order.status, event)], event, {})
        elif order.attempts + 1 >= MAX_ATTEMPTS and order.status in GIVE_UP:
            if order.status in RECHARGE_ASKS and order.delivery == "recharge":
                ask.append(order.order_no)
                continue
            TIMEOUTS_HIT.labels(order.status, "compensate").inc()
            order.reason = order.reason or f"timeout in {order.status}"
            _record(session, order, GIVE_UP[order.status], "step_timed_out", {"state": order.status})
        else:
            TIMEOUTS_HIT.labels(order.status, "retry").inc()
            order.attempts += 1
            order.step_started_at = NOW
            for request in order.last_requests or ():
                outbox.add(session, request, request_data(order, request, _first_data(session, order, request)))
        save(session, order)
    return ask


# states in which a recharge may be at a supplier: past their last retry, the supplier service is
# asked where the recharge stands (its `recharge_status`) instead of compensating
RECHARGE_ASKS = frozenset({"paid", "delivering"})


def ask_suppliers(status_of: Callable[[str], str], numbers: Sequence[str]) -> dict[str, str]:
    """{order_no: succeeded | failed | trying | unknown} from the supplier service, asked outside
    any transaction; a call that fails (the service down, no answer in time) is `unknown`."""
    answers = {}
    for order_no in numbers:
        try:
            answers[order_no] = status_of(order_no)
        except Exception as exc:
            log.warning("could not ask the supplier service about %s (%s)", order_no, type(exc).__name__)
            answers[order_no] = "unknown"
    return answers


def settle_recharges(session: Session, answers: Mapping[str, str]) -> None:
    """What the supplier service said of recharges stuck past their last retry: a definite failure
    compensates as a timeout would, a success completes the order, anything else (still trying, an
    outcome not known) keeps it waiting another timeout, logged as an error and counted for the
    alert (`kameng_saga_timeouts_total{action="wait"}`)."""
    orders = lock_all(session, answers)
    for order_no, answer in answers.items():
        order = orders.get(order_no)
        if order is None or order.status not in RECHARGE_ASKS:
            continue  # moved on meanwhile
        if answer == "failed":
            TIMEOUTS_HIT.labels(order.status, "compensate").inc()
            order.reason = order.reason or "recharge_failed"
            _record(
                session, order, GIVE_UP[order.status], "step_timed_out", {"state": order.status, "supplier": answer}
            )
        elif answer == "succeeded":
            TIMEOUTS_HIT.labels(order.status, "complete").inc()
            _record(session, order, TRANSITIONS[(order.status, "delivery_completed")], "delivery_completed", {})
        else:
            TIMEOUTS_HIT.labels(order.status, "wait").inc()
            log.error("order %s: recharge outcome %s at the supplier; not compensated, still waiting", order_no, answer)
            order.step_started_at = NOW
        save(session, order)
