"""Helpers shared by the end-to-end tests (the whole system started in-process, driven over HTTP)."""

import re

import requests

from gateway.service import GatewayService
from gateway.waits import Board
from services.common.testing import unique
from tools.runner import ALL, service_class

WORKERS = [service_class(name) for name in ALL if name != "gateway"]


def start_system(config, runner_factory, workers=WORKERS):
    """Every service (or those given) and the gateway, in-process, on the test vhost and database.
    Answers the workers' runner; its `gateway` is the gateway's (stop that first)."""
    runner = runner_factory(config, *workers)
    runner.start()
    gateway = runner_factory({**config, "max_workers": 200}, GatewayService)
    gateway.start()
    runner.gateway = gateway
    return runner


class Api(requests.Session):
    def __init__(self, base_url):
        super().__init__()
        self.base_url = base_url

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("timeout", 10)
        return super().request(method, self.base_url + url, *args, **kwargs)


def assert_error(response, status, code):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and "Traceback" not in response.text
    assert response.headers["X-Request-Id"]
    return body["error"]


def new_product(**fields):
    product = {
        "sku": unique("SKU"),
        "name": "测试卡 50",
        "category": "测试",
        "price": "9.90",
        "delivery": "card",
        "min_quantity": 1,
        "max_quantity": 5,
        "description": "x",
        "low_stock_threshold": 3,
    }
    product.update(fields)
    return product


def csrf_of(page):
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def admin_session(api):
    page = api.get("/admin/login")
    signed_in = api.post(
        "/admin/login", data={"token": "dev-admin-token", "csrf": csrf_of(page)}, allow_redirects=False
    )
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == "/admin"
    return signed_in


def holding(monkeypatch):
    """`held = holding(monkeypatch)`; then `held(order_no)` tells whether the gateway is holding an
    answer about the order now, waiting for it to move (gateway/waits.py): its Board, seen through
    a pass-through wrapper around Board.wait."""
    boards, wait = set(), Board.wait

    def recorded(board, *args, **kwargs):
        boards.add(board)
        return wait(board, *args, **kwargs)

    monkeypatch.setattr(Board, "wait", recorded)
    return lambda order_no: any(order_no in board.waiting for board in boards)


def opened(api, order):
    """The order as its buyer has it after opening the pay link (the gateway's /pay/ page, which
    has the payment service make the intent): `payment.pay_url` becomes the channel's cashier
    where the gateway redirects to one, and stays the page that shows a QR code otherwise."""
    page = api.get("/" + order["payment"]["pay_url"].split("/", 3)[3], allow_redirects=False)
    assert page.status_code in (200, 303), page.text
    if page.status_code == 303:
        return {**order, "payment": {**order["payment"], "pay_url": page.headers["Location"]}}
    return order
