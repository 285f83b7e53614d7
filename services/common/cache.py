"""A tiny per-process TTL cache for reads that every request asks for and that may be a little
stale (the gateway's product list, the channels the payment service says take a currency).
Entries live `ttl` seconds; the size is bounded."""
import time

from nameko.extensions import DependencyProvider


class TtlCache:
    def __init__(self, ttl=1.0, max_entries=1024):
        self.ttl, self.max_entries, self.entries = ttl, max_entries, {}

    def get_or_set(self, key, compute):
        now = time.monotonic()
        hit = self.entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = compute()
        if len(self.entries) >= self.max_entries:
            self.entries = {k: v for k, v in self.entries.items() if v[0] > now}
            if len(self.entries) >= self.max_entries:
                self.entries.clear()
        self.entries[key] = (now + self.ttl, value)
        return value

    def clear(self):
        self.entries = {}


class Cached(DependencyProvider):
    """A `TtlCache` of one service container (`cache = Cached(ttl=10.0)` on the service class):
    unlike a module's, it goes with its container, settings and all."""

    def __init__(self, ttl=1.0, max_entries=1024):
        self.ttl, self.max_entries = ttl, max_entries

    def setup(self):
        self.cache = TtlCache(self.ttl, self.max_entries)

    def get_dependency(self, worker_ctx):
        return self.cache
