"""Risk counters in Redis, shared by every risk replica.

Why Redis, not PostgreSQL: every order touches several counters (IP, device, contact, recharge
account, category) and popular keys (one office IP, one big buyer) are hot. In PostgreSQL each
would be a row update (row locks queue concurrent orders, plus WAL and vacuum on the hot path);
in Redis one MULTI/EXEC round trip updates and reads them all, atomically, in well under a
millisecond, and keys expire with their window.

Each counter is a sorted set of order numbers scored by time (a sliding window, exact at its
boundary). In one MULTI/EXEC per order: ZADD NX (a redelivered assessment does not count twice),
drop what is older than the longest window, ZCOUNT each window. MULTI/EXEC runs as one step, so
concurrent orders see 1, 2, 3, ... and never the same count: no read-modify-write race, with any
number of replicas. Unpaid orders per contact are a sorted set scored by the end of the payment
window; a payment, a release of the order's stock (cancel, expiry, review rejected) or a reject
removes the order, anything else ages out when its window ends (an order held for review: its
review window and a payment window).
"""

import logging
import time
from collections.abc import Sequence
from typing import Any

import redis
from nameko.extensions import DependencyProvider

from services.risk.rules import Series

log = logging.getLogger(__name__)


class Counters:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client, self.prefix = client, prefix

    def observe(
        self,
        order_no: str,
        wanted: Sequence[Series],
        contact: str | None = None,
        hold_s: float = 0,
        now: float | None = None,
    ) -> tuple[dict[Series, int], int]:
        """({Series: count}, unpaid count) with this order counted in each."""
        now = time.time() if now is None else now
        longest: dict[str, float] = {}
        for s in wanted:
            longest[s.key] = max(longest.get(s.key, 0), s.window_s)
        pipe = self.client.pipeline(transaction=True)
        for key, window in longest.items():
            k = f"{self.prefix}:{key}"
            pipe.zadd(k, {order_no: now}, nx=True)
            pipe.zremrangebyscore(k, "-inf", now - window)
            pipe.expire(k, int(window) + 1)
        for s in wanted:
            pipe.zcount(f"{self.prefix}:{s.key}", now - s.window_s, "+inf")
        if contact:
            k = self.unpaid_key(contact)
            pipe.zremrangebyscore(k, "-inf", now)
            pipe.zadd(k, {order_no: now + hold_s}, nx=True)
            pipe.expire(k, int(hold_s) + 1)
            pipe.zcard(k)
        replies = pipe.execute()
        counts_at = 3 * len(longest)
        counts = dict(zip(wanted, replies[counts_at : counts_at + len(wanted)], strict=True))
        return counts, (replies[-1] if contact else 0)

    def hold(self, contact: str, order_no: str, hold_s: float, now: float | None = None) -> None:
        """An order held for review stays unpaid for its review and payment windows."""
        now = time.time() if now is None else now
        pipe = self.client.pipeline(transaction=True)
        pipe.zadd(self.unpaid_key(contact), {order_no: now + hold_s}, xx=True)
        pipe.expire(self.unpaid_key(contact), int(hold_s) + 1, gt=True)
        pipe.execute()

    def settled(self, contact: str, order_no: str) -> None:
        """The order is paid or will never be: it no longer counts as unpaid."""
        self.client.zrem(self.unpaid_key(contact), order_no)

    def unpaid_key(self, contact: str) -> str:
        return f"{self.prefix}:unpaid:{contact.lower()}"


class RiskCounters(DependencyProvider):
    """`counters = RiskCounters()` on the risk service (REDIS_URL, RISK_COUNTER_PREFIX)."""

    def setup(self) -> None:
        config = self.container.config
        client = redis.Redis.from_url(
            config.get("REDIS_URL", "redis://127.0.0.1:6379/0"), socket_timeout=0.5, socket_connect_timeout=0.5
        )
        self.counters = Counters(client, config.get("RISK_COUNTER_PREFIX", "kameng:risk"))

    def get_dependency(self, worker_ctx: Any) -> Counters:
        return self.counters
