"""Under a stream of buyers: the broker stopped and started, database connections cut. Every
answer is clean (2xx, or 409/503 in DESIGN's error shape, never a 500), no accepted order is
lost or delivered twice, and the integrity check passes at the end. Each test prints what it
checked and counted."""

import collections
import time

import eventlet
import pytest
import requests
from sqlalchemy import create_engine, text

from services.common.testing import wait_until
from tests.e2e.helpers import WORKERS, Api, start_system
from tests.e2e.purchase.helpers import card_product

CLEAN = {200, 201, 409, 503}

# a stream, then up to 90 s to pay and 90 s to complete: the test's own deadlines, with the orders
# they wait for named, come before pytest-timeout's (120 s by default), which only dumps stacks
pytestmark = pytest.mark.timeout(300)


class Buyers:
    """Buyers in green threads: buy, pay, and (as a real buyer does) try again later when an
    answer was 503. Keeps every answer and every order accepted."""

    def __init__(self, base_url, sku):
        self.base_url, self.sku = base_url, sku
        self.answers = collections.Counter()
        self.bad = []
        self.orders = {}  # order_no -> order (with token) for every 201
        self.paid = set()

    def call(self, http, method, path, **kwargs):
        try:
            response = http.request(method, path, timeout=15, **kwargs)
        except requests.RequestException as exc:
            self.answers["no answer"] += 1
            self.bad.append(f"{method} {path}: {exc}")
            return None
        self.answers[response.status_code] += 1
        if response.status_code not in CLEAN or (response.status_code >= 400 and "error" not in response.json()):
            self.bad.append(f"{method} {path}: {response.status_code} {response.text[:200]}")
        return response

    def buyer(self, n, until):
        with Api(self.base_url) as http:
            while time.monotonic() < until:
                created = self.call(
                    http,
                    "POST",
                    "/api/v1/orders",
                    json={
                        "sku": self.sku,
                        "quantity": 1,
                        "contact": f"chaos{n}@example.com",
                        "payment_channel": "sandbox",
                    },
                )
                if created is not None and created.status_code == 201:
                    order = created.json()
                    self.orders[order["order_no"]] = order
                    self.pay(http, order)
                eventlet.sleep(0.05)

    def pay(self, http, order):
        if order["order_no"] in self.paid:
            return True
        if not order.get("payment"):
            view = self.call(
                http, "GET", f"/api/v1/orders/{order['order_no']}", headers={"X-Order-Token": order["token"]}
            )
            if view is None or view.status_code != 200 or not view.json().get("payment"):
                return False
            order.update(view.json())
        paid = self.call(http, "POST", f"/api/v1/payments/sandbox/{order['payment']['payment_no']}/pay")
        if paid is not None and paid.status_code == 200:
            self.paid.add(order["order_no"])
            return True
        return False

    def run(self, seconds, buyers=8):
        until = time.monotonic() + seconds
        pool = [eventlet.spawn(self.buyer, n, until) for n in range(buyers)]
        return pool

    def settle(self, timeout=90):
        """Pay what is still unpaid (after the outage), then wait for every order to complete."""
        with Api(self.base_url) as http:

            def all_paid():
                return all(self.pay(http, o) for o in self.orders.values())

            wait_until(all_paid, timeout=timeout, interval=0.5, message="every accepted order to be paid")

            found = {}

            def statuses():
                for order in self.orders.values():
                    view = http.get(f"/api/v1/orders/{order['order_no']}", headers={"X-Order-Token": order["token"]})
                    found[order["order_no"]] = view.json()["status"] if view.status_code == 200 else view.status_code
                return set(found.values()) <= {"completed"}

            wait_until(
                statuses,
                timeout=timeout,
                interval=1,
                message=lambda: (
                    "every accepted order to complete; not "
                    f"completed: { {no: status for no, status in found.items() if status != 'completed'} }"
                ),
            )
            codes = []
            for order in self.orders.values():
                view = http.get(f"/api/v1/orders/{order['order_no']}", headers={"X-Order-Token": order["token"]})
                codes += [item["code"] for item in view.json()["items"]]
            return codes


def integrity(admin, orders):
    """The integrity report, its problems narrowed to `orders` and to those that name no order: the
    database is shared by the run, and an earlier failing test must not fail this one too."""
    report = wait_until(
        lambda: (r := admin.get("/api/v1/admin/integrity", params={"grace_s": 0})).status_code == 200 and r.json(),
        timeout=30,
        message="the integrity report",
    )
    report["problems"] = [p for p in report["problems"] if "order_no" not in p or p["order_no"] in orders]
    report["ok"] = not report["problems"]
    return report


class Stream:
    """An admin session, a product with 400 codes and buyers streaming at it for `seconds`;
    `finish()` waits for them, settles every accepted order and runs the integrity check."""

    def __init__(self, config, seconds):
        self.admin = Api(config["BASE_URL"])
        self.admin.headers["Authorization"] = f"Bearer {config['ADMIN_TOKEN']}"
        self.buyers = Buyers(config["BASE_URL"], card_product(self.admin, codes=400, max_quantity=1))
        self.pool = self.buyers.run(seconds)

    def finish(self):
        for green in self.pool:
            green.wait()
        codes = self.buyers.settle()
        report = integrity(self.admin, self.buyers.orders)
        self.admin.close()
        return codes, report


def test_broker_stopped_and_started_under_a_stream_of_orders(config, private_broker, runner_factory, seeded):
    cfg = {**config, "AMQP_URI": private_broker.uri, "RPC_TIMEOUT_S": 3}
    start_system(cfg, runner_factory)
    stream = Stream(cfg, seconds=12)
    buyers = stream.buyers
    eventlet.sleep(4)
    accepted_before = len(buyers.orders)
    private_broker.stop_app()  # the broker is gone for 4 seconds
    assert not private_broker.listening()
    eventlet.sleep(4)
    private_broker.start_app()
    codes, report = stream.finish()
    print(
        f"\nbroker outage: answers {dict(buyers.answers)}; accepted {len(buyers.orders)} orders "
        f"({accepted_before} before the outage), all completed; {len(codes)} codes, {len(set(codes))} distinct; "
        f"integrity {report['counted']}"
    )
    assert buyers.bad == []
    assert accepted_before > 0 and len(buyers.orders) > accepted_before  # orders flowed again after it
    assert len(codes) == len(set(codes)) == len(buyers.orders)  # one code each, none twice
    assert report["ok"], report["problems"]


def test_database_connections_cut_under_a_stream_of_orders(system, database_url):
    stream = Stream(system, seconds=10)
    buyers = stream.buyers
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    cut = 0
    with engine.connect() as conn:
        for _ in range(3):  # every service loses every connection, 3 times
            eventlet.sleep(2.5)
            cut += conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar()
    engine.dispose()
    codes, report = stream.finish()
    print(
        f"\ndatabase connections cut: {cut} connections terminated in 3 rounds; answers {dict(buyers.answers)}; "
        f"accepted {len(buyers.orders)} orders, all completed; {len(codes)} codes, {len(set(codes))} distinct"
    )
    assert cut > 0 and buyers.bad == []
    assert len(codes) == len(set(codes)) == len(buyers.orders) > 0
    assert report["ok"], report["problems"]


def test_orchestrator_killed_mid_saga_under_a_stream_of_orders(config, runner_factory, seeded):
    """The order service (the saga's orchestrator) dies abruptly -- workers killed mid-transaction,
    unacked messages back to the broker -- and a new one starts: every accepted order completes."""
    order_cls = next(cls for cls in WORKERS if cls.name == "order")
    running = start_system(config, runner_factory)
    stream = Stream(config, seconds=10)
    buyers = stream.buyers
    eventlet.sleep(3)
    accepted_before = len(buyers.orders)
    next(c for c in running.containers if c.service_name == "order").kill()
    eventlet.sleep(2)
    runner_factory(config, order_cls).start()
    codes, report = stream.finish()
    print(
        f"\norchestrator killed: answers {dict(buyers.answers)}; accepted {len(buyers.orders)} orders "
        f"({accepted_before} before the kill), all completed; {len(codes)} codes, {len(set(codes))} distinct"
    )
    assert buyers.bad == []
    assert accepted_before > 0 and len(buyers.orders) > accepted_before
    assert len(codes) == len(set(codes)) == len(buyers.orders)
    assert report["ok"], report["problems"]
