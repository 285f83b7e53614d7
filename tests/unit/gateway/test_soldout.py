"""The gateway's sold-out shelf: hints and the list read every second, in either order."""

import time

from gateway.soldout import Shelf


def test_a_list_replaces_what_was_heard_before_it_was_asked_for():
    shelf = Shelf()
    shelf.mark("A", True)
    shelf.replace([], time.monotonic())  # asked after the hint: the list knows better
    assert not shelf.sold_out("A")


def test_a_hint_heard_while_the_list_was_being_read_wins_over_it():
    shelf = Shelf()
    asked_at = time.monotonic()
    shelf.replace(["A"], asked_at)
    asked_at = time.monotonic()
    shelf.mark("A", False)  # stock came back while the next read was under way
    shelf.mark("B", True)
    shelf.replace(["A"], asked_at)  # that read answered from before the import
    assert not shelf.sold_out("A")
    assert shelf.sold_out("B")
    shelf.replace(["A"], time.monotonic())  # a later read that still says so is believed
    assert shelf.sold_out("A")
    assert not shelf.sold_out("B")


def test_a_list_not_read_for_a_while_is_not_trusted():
    shelf = Shelf()
    shelf.replace(["A"], time.monotonic())
    assert shelf.sold_out("A")
    shelf.read_at -= 10
    assert not shelf.sold_out("A")


def test_creates_waiting_in_line_when_the_sku_sells_out_are_answered_at_the_door_not_sent():
    import eventlet
    import pytest

    from gateway.ordering import place
    from gateway.waits import Board
    from services.common.batching import Batcher
    from services.common.errors import OutOfStock

    sent = []

    class Orders:
        class create_order_all:  # as nameko's proxy spells it
            @staticmethod
            def timed(seconds):
                def send(calls):
                    sent.append([call["cmd"]["contact"] for call in calls])
                    eventlet.sleep(0.05)
                    order = {"order_no": "K1", "status": "rejected", "reason": "out_of_stock", "settled": True}
                    return [{"ok": {"order": order, "token": "t"}} for _ in calls]

                return send

    shelf, creates, board = Shelf(), Batcher(lanes=1), Board(limit=10)
    shelf.replace([], time.monotonic())
    body = lambda n: {"sku": "A", "quantity": 1, "contact": f"b{n}@example.com"}  # noqa: E731
    first = eventlet.spawn(place, Orders, creates, board, body(0), {}, None, shelf=shelf)
    eventlet.sleep(0.01)
    queued = [eventlet.spawn(place, Orders, creates, board, body(n), {}, None, shelf=shelf) for n in (1, 2)]
    eventlet.sleep(0.01)
    shelf.mark("A", True)  # the catalog's hint, while they wait in line
    assert first.wait()[0] == 409
    for green in queued:
        with pytest.raises(OutOfStock):
            green.wait()
    assert sent == [["b0@example.com"]]
