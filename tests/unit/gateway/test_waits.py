"""The gateway's board of held answers (gateway/waits.py)."""

import time

import eventlet

from gateway.waits import Board


def moved(status):
    return lambda view: view["status"] != status


def test_a_waiter_is_woken_by_a_hint_that_satisfies_it_and_not_by_one_that_does_not():
    board = Board(limit=10)
    waiter = eventlet.spawn(board.wait, "K1", moved("awaiting_payment"), 5)
    eventlet.sleep(0)
    board.post({"order_no": "K1", "status": "awaiting_payment"})  # not what it waits for
    eventlet.sleep(0.01)
    assert not waiter.dead
    board.post({"order_no": "K2", "status": "paid"})  # another order
    eventlet.sleep(0.01)
    assert not waiter.dead
    board.post({"order_no": "K1", "status": "paid"})
    assert waiter.wait() == {"order_no": "K1", "status": "paid"}
    assert board.waiting == {}  # nothing left behind


def test_a_hint_that_came_before_the_waiter_is_not_missed():
    board = Board(limit=10)
    board.post({"order_no": "K1", "status": "paid"})
    assert board.wait("K1", moved("awaiting_payment"), 5) == {"order_no": "K1", "status": "paid"}


def test_no_hint_means_none_at_the_deadline():
    board = Board(limit=10)
    started = time.monotonic()
    assert board.wait("K1", moved("awaiting_payment"), 0.2) is None
    assert 0.19 <= time.monotonic() - started < 1
    assert board.waiting == {}


def test_beyond_the_limit_nobody_more_is_held():
    board = Board(limit=2)
    held = [eventlet.spawn(board.wait, f"K{n}", moved("x"), 5) for n in range(2)]
    eventlet.sleep(0)
    started = time.monotonic()
    assert board.wait("K9", moved("x"), 5) is None and time.monotonic() - started < 0.1
    for n in range(2):
        board.post({"order_no": f"K{n}", "status": "paid"})
    assert [h.wait()["status"] for h in held] == ["paid", "paid"]


def test_old_hints_are_forgotten(monkeypatch):
    board = Board(limit=10)
    board.post({"order_no": "K1", "status": "paid"})
    now = time.monotonic()
    monkeypatch.setattr("gateway.waits.time.monotonic", lambda: now + 31)
    board.post({"order_no": "K2", "status": "paid"})
    assert list(board.recent) == ["K2"] and board.latest("K1") is None


class Orders:
    """The order service's `get_order` as the gateway calls it: counts the calls."""

    def __init__(self, *answers):
        self.answers, self.calls = list(answers), 0

    def get_order(self, order_no, token):
        self.calls += 1
        return self.answers.pop(0)


def test_a_held_look_answers_from_the_hint_unless_the_order_has_codes_to_show():
    from gateway.ordering import look

    board = Board(limit=10)
    waiting = {"order_no": "K1", "status": "awaiting_payment", "delivered": False, "items": []}
    orders = Orders(waiting)
    held = eventlet.spawn(look, orders, board, "K1", "t", "awaiting_payment", 5)
    eventlet.sleep(0.01)
    board.post({"order_no": "K1", "status": "paid", "delivered": False})
    assert held.wait() == {"order_no": "K1", "status": "paid", "delivered": False, "items": []}
    assert orders.calls == 1  # the token checked once; the hint is the order as it committed
    done = {"order_no": "K1", "status": "completed", "delivered": True, "items": [{"code": "C"}]}
    orders = Orders({**waiting, "status": "paid"}, done)
    held = eventlet.spawn(look, orders, board, "K1", "t", "paid", 5)
    eventlet.sleep(0.01)
    board.post({"order_no": "K1", "status": "completed", "delivered": True})
    assert held.wait() == done and orders.calls == 2  # the codes come from the order service
