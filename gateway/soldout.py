"""Sold out at the door (DESIGN §3): the SKUs the catalog says nobody can buy one of now, so that
POST /orders answers them 409 `out_of_stock` without a call. The catalog hints each change as it
commits (`sold_out_changed`, on a queue of this gateway's own) and is asked for the whole list
every second besides, so a lost hint is corrected within about a second. A list not refreshed
for STALE_S (the catalog unreachable) is not trusted: orders then go on to the order service,
whose reservation answers for itself."""

import contextlib
import time
from typing import Any

from nameko.events import BROADCAST
from nameko.extensions import DependencyProvider
from nameko.timer import timer

from gateway.waits import HintHandler
from services.common import metrics
from services.common.errors import OutOfStock, Unavailable

STALE_S = 5.0


class Shelf:
    """The sold-out SKUs as last heard, and when the whole list was last read.

    A hint heard while a read of the list was under way is newer than that list: the catalog
    may have answered from before the change the hint tells of (stock imported just after it
    read). So a list replaces what was heard before it was asked for, never what was heard after.
    """

    def __init__(self) -> None:
        self.skus: frozenset[str] = frozenset()
        self.read_at = float("-inf")
        self.heard: dict[str, tuple[bool, float]] = {}  # sku -> (sold out, when heard)

    def replace(self, skus, asked_at):
        """The whole list, as the catalog answered a request sent at `asked_at` (monotonic)."""
        fresh = set(skus)
        for sku, (sold_out, heard_at) in self.heard.items():
            if heard_at >= asked_at:
                (fresh.add if sold_out else fresh.discard)(sku)
        self.heard = {sku: h for sku, h in self.heard.items() if h[1] >= asked_at}
        self.skus, self.read_at = frozenset(fresh), time.monotonic()

    def mark(self, sku, sold_out):
        self.heard[sku] = (sold_out, time.monotonic())
        self.skus = self.skus | {sku} if sold_out else self.skus - {sku}

    def sold_out(self, sku):
        return time.monotonic() - self.read_at < STALE_S and sku in self.skus

    def refuse(self, sku):
        if self.sold_out(sku):
            metrics.SOLD_OUT_AT_DOOR.inc()
            raise OutOfStock("sold out", {"sku": sku})


class SoldOut(DependencyProvider):
    """One Shelf per gateway process."""

    def setup(self):
        self.shelf = Shelf()

    def get_dependency(self, worker_ctx):
        return self.shelf


class SoldOutNews:
    """Mixed into the gateway: the catalog's hints, and the list read every second."""

    sold_out: Shelf
    catalog_rpc: Any  # nameko's RPC proxies carry no type hints

    @HintHandler.decorator("catalog", "sold_out_changed", handler_type=BROADCAST, reliable_delivery=False)
    def on_sold_out_changed(self, hint):
        self.sold_out.mark(hint["data"]["sku"], hint["data"]["sold_out"])

    @timer(interval=1)
    def read_sold_out(self):
        with contextlib.suppress(Unavailable):  # kept until STALE_S, then not trusted
            asked_at = time.monotonic()
            self.sold_out.replace(self.catalog_rpc.sold_out.timed(1.0)(), asked_at)
