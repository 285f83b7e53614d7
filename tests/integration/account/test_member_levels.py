"""A buyer moves up by themselves (issue 18): the order service's `order_completed` (and
`order_claimed` for an order claimed after completing) adds the amount to the buyer's total once,
through the inbox, however often the event is delivered. Real broker and database."""

from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_waiter

from services.account.models import Buyer, MemberLevel, metadata
from services.account.service import AccountService
from services.common.db import make_engine, transaction
from services.common.testing import make_envelope, unique


def a_buyer_and_levels(database_url):
    engine = make_engine(database_url)
    with transaction(engine, metadata) as s:
        names = (unique("silver")[:32], unique("gold")[:32])
        s.add_all([MemberLevel(name=names[0], threshold=10_000), MemberLevel(name=names[1], threshold=10_000_000)])
        buyer = Buyer(email=f"{unique('m')}@example.com", password_hash="x")
        s.add(buyer)
        s.flush()
        buyer_id = buyer.id
    engine.dispose()
    return buyer_id, names


def completed(buyer_id, amount, type_="order_completed", **more):
    return make_envelope(
        type_, order_no=unique("K"), contact="m@example.com", sku="S", quantity=1, amount=amount, currency="CNY",
        buyer_id=buyer_id, **more,
    )  # fmt: skip


def test_a_completed_order_counts_once_and_moves_the_buyer_up(config, container_factory, database_url, db):
    buyer_id, (silver, _) = a_buyer_and_levels(database_url)
    container = container_factory(AccountService, config)
    container.start()
    dispatch = event_dispatcher(config)
    first = completed(buyer_id, 6_000)
    for _ in range(2):  # the second delivery is a redelivery
        with entrypoint_waiter(container, "handle_order_completed"):
            dispatch("order", "order_completed", first)
    assert db("SELECT total_spent, level FROM account.buyers WHERE id = :i", i=buyer_id) == [
        {"total_spent": 6_000, "level": None}
    ]
    with entrypoint_waiter(container, "handle_order_claimed"):
        dispatch("order", "order_claimed", completed(buyer_id, 5_000, "order_claimed", completed=True))
    assert db("SELECT total_spent, level FROM account.buyers WHERE id = :i", i=buyer_id) == [
        {"total_spent": 11_000, "level": silver}
    ]
    with entrypoint_waiter(container, "handle_order_completed"):  # a guest's order: nobody's total
        dispatch("order", "order_completed", completed(None, 99_999_999))
    assert db("SELECT total_spent FROM account.buyers WHERE id = :i", i=buyer_id) == [{"total_spent": 11_000}]


def test_points_earned_count_toward_the_level_only_when_the_operator_says_so(
    config, container_factory, database_url, db
):
    """KAMENG_POINTS_COUNT_TOWARD_LEVELS (issue 22): an order's `points_earned_value` counts too."""
    engine = make_engine(database_url)
    with transaction(engine, metadata) as s:
        made = [Buyer(email=f"{unique('p')}@example.com", password_hash="x") for _ in range(2)]
        s.add_all(made)
        s.flush()
        buyer_id, other_id = (b.id for b in made)
    engine.dispose()
    for who, setting in ((buyer_id, "1"), (other_id, "0")):
        container = container_factory(AccountService, {**config, "POINTS_COUNT_TOWARD_LEVELS": setting})
        container.start()
        with entrypoint_waiter(container, "handle_order_completed"):
            event = completed(who, 6_000, points_earned=60, points_earned_value=60)
            event_dispatcher(config)("order", "order_completed", event)
        container.stop()
    totals = db("SELECT id, total_spent FROM account.buyers WHERE id IN (:a, :b)", a=buyer_id, b=other_id)
    assert {r["id"]: r["total_spent"] for r in totals} == {buyer_id: 6_060, other_id: 6_000}
