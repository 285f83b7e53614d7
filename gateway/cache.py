"""A tiny per-process TTL cache for public reads that every visitor asks for (the product list).
Entries live `ttl` seconds, so stock shown is at most that stale; the size is bounded."""
import time


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


# the public catalog reads; admin writes through this gateway clear them at once, other replicas
# see a change within the TTL
listing = TtlCache(ttl=1.0)
product = TtlCache(ttl=1.0)


def invalidate_catalog():
    listing.clear()
    product.clear()


# what every storefront page asks for and that changes rarely
categories = TtlCache(ttl=10.0, max_entries=4)

# the order service's states (a long poll's `status` must be one): they change only with a release
order_states = TtlCache(ttl=60.0, max_entries=1)
