"""The gateway's caches of public reads that every visitor asks for (the product list): entries
live `ttl` seconds, so stock shown is at most that stale."""

from services.common.cache import TtlCache

# the public catalog reads; admin writes through this gateway clear them at once, other replicas
# see a change within the TTL
listing = TtlCache(ttl=1.0)
product = TtlCache(ttl=1.0)


def invalidate_catalog():
    listing.clear()
    product.clear()
    campaigns.clear()


# the timed campaigns running or starting soon (issue 22): shown at most this stale; a window's
# start and end are instants the pages count down to, so a stale entry only delays the banner
campaigns = TtlCache(ttl=2.0, max_entries=1)

# what every storefront page asks for and that changes rarely
categories = TtlCache(ttl=10.0, max_entries=4)

# the order service's states (a long poll's `status` must be one): they change only with a release
order_states = TtlCache(ttl=60.0, max_entries=1)

# the storefront's announcement (issue 23): a console change through this gateway clears it
announcement = TtlCache(ttl=10.0, max_entries=1)
