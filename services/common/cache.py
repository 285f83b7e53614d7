"""A tiny per-process TTL cache for reads that every request asks for and that may be a little
stale (the gateway's product list, the channels the payment service says take a currency).
Entries live `ttl` seconds; the size is bounded."""

import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from nameko.extensions import DependencyProvider

T = TypeVar("T")


class TtlCache:
    def __init__(self, ttl: float = 1.0, max_entries: int = 1024) -> None:
        self.ttl, self.max_entries = ttl, max_entries
        self.entries: dict[Hashable, tuple[float, Any]] = {}

    def get_or_set(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The value cached under `key`, or `compute()`'s, kept `ttl` seconds."""
        now = time.monotonic()
        hit = self.entries.get(key)
        if hit is not None and hit[0] > now:
            value: T = hit[1]
            return value
        value = compute()
        if len(self.entries) >= self.max_entries:
            self.entries = {k: v for k, v in self.entries.items() if v[0] > now}
            if len(self.entries) >= self.max_entries:
                self.entries.clear()
        self.entries[key] = (now + self.ttl, value)
        return value

    def clear(self) -> None:
        self.entries = {}


class Cached(DependencyProvider):
    """A `TtlCache` of one service container (`cache = Cached(ttl=10.0)` on the service class):
    unlike a module's, it goes with its container, settings and all."""

    def __init__(self, ttl: float = 1.0, max_entries: int = 1024) -> None:
        self.ttl, self.max_entries = ttl, max_entries

    def setup(self) -> None:
        self.cache = TtlCache(self.ttl, self.max_entries)

    def get_dependency(self, worker_ctx: Any) -> TtlCache:
        return self.cache
