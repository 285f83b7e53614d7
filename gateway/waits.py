"""Answers held until an order moves: POST /orders waits for its pay_url, GET /orders/{no}?wait=
for the next status. Woken by the order service's `order_changed` hints (services/common/hints.py),
which every gateway receives on a queue of its own, instead of asking the order service again
and again. Hints are best effort: a waiter whose hint never came reads the order itself once its
deadline passes, so nothing depends on them but speed.

A hint that arrives before its waiter is kept for RECENT_S, so an order that moved between the
waiter's read and its registration is not missed."""

import time
from collections import OrderedDict, defaultdict

import eventlet
from eventlet.event import Event
from nameko.events import BROADCAST, EventHandler
from nameko.extensions import DependencyProvider

from services.common.broker import QueueConsumer, predeclared

RECENT_S = 30.0


class Board:
    """order_no -> waiting green threads, and the latest hint per order for RECENT_S."""

    def __init__(self, limit):
        self.limit = limit  # at most this many held answers at once
        self.waiting = defaultdict(set)
        self.recent = OrderedDict()  # order_no -> (received, view), oldest first

    def post(self, view):
        order_no, now = view["order_no"], time.monotonic()
        self.recent.pop(order_no, None)
        self.recent[order_no] = (now, view)
        while self.recent and next(iter(self.recent.values()))[0] < now - RECENT_S:
            self.recent.popitem(last=False)
        for event in self.waiting.get(order_no, ()):
            if not event.ready():
                event.send(view)

    def latest(self, order_no):
        seen = self.recent.get(order_no)
        return seen[1] if seen and seen[0] >= time.monotonic() - RECENT_S else None

    def busy(self):
        return sum(len(events) for events in self.waiting.values()) >= self.limit

    def wait(self, order_no, done, timeout):
        """The first view of `order_no` for which `done(view)` holds, hinted within `timeout`
        seconds (or seen in the last RECENT_S); None if none came (or too many wait already)."""
        deadline = time.monotonic() + timeout
        view = self.latest(order_no)
        if view is not None and done(view):
            return view
        if self.busy():
            return None
        event = Event()
        self.waiting[order_no].add(event)
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                with eventlet.Timeout(left, False):
                    view = event.wait()
                    if done(view):
                        return view
                    event.reset()
                    continue
                return None
        finally:
            self.waiting[order_no].discard(event)
            if not self.waiting[order_no]:
                del self.waiting[order_no]


class OrderBoard(DependencyProvider):
    """One Board per gateway process, shared by all its workers."""

    def setup(self):
        self.board = Board(limit=int(self.container.config.get("max_workers", 200)) // 2)

    def get_dependency(self, worker_ctx):
        return self.board


class HintHandler(EventHandler):
    """nameko's event handler on the house consumer: an ack lost with the broker connection does
    not kill the gateway. In production the source's events exchange is the broker's to make
    (`predeclared`)."""

    queue_consumer = QueueConsumer()

    def setup(self):
        super().setup()
        predeclared(self.queue, self.container.config)


class OrderHints:
    """Mixed into the gateway: each gateway instance gets every hint on its own exclusive queue,
    which disappears with it (`reliable_delivery=False`)."""

    orders_moving: Board  # GatewayService's OrderBoard

    @HintHandler.decorator("order", "order_changed", handler_type=BROADCAST, reliable_delivery=False)
    def on_order_changed(self, hint):
        self.orders_moving.post(hint["data"])
