"""GET /orders/{no}?status=&wait=: the answer is held while the order stays in `status` and
given as soon as it moves, woken by the order service's hint (not by asking again and again)."""

import time

import eventlet

from services.common.testing import wait_until
from tests.e2e.helpers import assert_error, holding
from tests.e2e.purchase.helpers import buy, card_product, pay


def held(api, order, status, wait, token=None):
    started = time.monotonic()
    response = api.get(
        f"/api/v1/orders/{order['order_no']}",
        params={"status": status, "wait": wait},
        headers={"X-Order-Token": token or order["token"]},
    )
    return response, time.monotonic() - started


def test_a_held_answer_comes_as_soon_as_the_order_moves(api, admin, monkeypatch):
    holds = holding(monkeypatch)
    order = buy(api, card_product(admin)).json()
    assert order["status"] == "awaiting_payment"
    waiting = eventlet.spawn(held, api, order, "awaiting_payment", 15)
    wait_until(lambda: holds(order["order_no"]), message="the gateway to hold the GET")
    assert not waiting.dead
    assert pay(api, order).status_code == 200
    response, seconds = waiting.wait()
    assert response.status_code == 200 and response.json()["status"] in ("paid", "delivering", "completed")
    assert seconds < 5  # woken by the hint, long before the 15 s

    done = response  # a card the order delivers at once is hinted once, completed (not paid)
    if response.json()["status"] != "completed":
        done, seconds = held(api, order, response.json()["status"], 15)
        assert done.json()["status"] == "completed" and seconds < 5
    assert done.json()["items"]  # the codes come with the answer


def test_an_order_that_does_not_move_is_answered_at_the_deadline(api, admin):
    order = buy(api, card_product(admin)).json()
    response, seconds = held(api, order, "awaiting_payment", 1.5)
    assert response.status_code == 200 and response.json()["status"] == "awaiting_payment"
    assert 1.4 <= seconds < 4


def test_an_order_already_elsewhere_is_answered_at_once(api, admin):
    order = buy(api, card_product(admin)).json()
    response, seconds = held(api, order, "paid", 15)
    assert response.json()["status"] == "awaiting_payment" and seconds < 2


def test_the_token_is_checked_before_anything_is_held(api, admin):
    order = buy(api, card_product(admin)).json()
    response, seconds = held(api, order, "awaiting_payment", 15, token="x" * 32)
    assert_error(response, 404, "not_found")
    assert seconds < 2


def test_bad_hold_parameters_are_a_400(api, admin):
    order = buy(api, card_product(admin)).json()
    for params in (
        {"status": "sleeping", "wait": 5},
        {"status": "paid", "wait": 21},
        {"status": "paid", "wait": -1},
        {"status": "paid", "wait": "soon"},
    ):
        response = api.get(
            f"/api/v1/orders/{order['order_no']}", params=params, headers={"X-Order-Token": order["token"]}
        )
        assert_error(response, 400, "validation_error")
