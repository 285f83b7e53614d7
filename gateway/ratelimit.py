"""Per-client-IP rate limits (DESIGN §6/§7), counted in Redis so every gateway replica shares them.

KAMENG_RATE_LIMITS = "orders=30/m,lookup=60/m,notify=600/m,supplier=600/m,open=600/m,contact_lookup=20/h,
login=10/m,auth=20/m" (or "off"); `open`: the agents' open API;
`contact_lookup` counts per contact ("find my order" by contact + password), the others per IP.
`auth` counts failed credentials of any kind (bearer tokens, console sessions, passwords, TOTP codes): a
caller `peek`s before checking one (429 once over) and counts only when it was wrong. A fixed window per
limit: INCR a key named after the limit, the client and the window, which expires with the window.
Redis down: the request goes through (selling beats refusing), and that is logged — except for the
limits in FAIL_CLOSED, which guard passwords (sign-in, finding orders by contact and password):
without their counters they would allow unlimited guessing, so they answer 503 `unavailable`."""

import logging
import re
import time

import redis
from nameko.extensions import DependencyProvider

from gateway.http import client_ip
from services.common.errors import RateLimited, Unavailable

log = logging.getLogger(__name__)

DEFAULT_LIMITS = (
    "orders=30/m,lookup=60/m,notify=600/m,supplier=600/m,open=600/m,contact_lookup=20/h,login=10/m,auth=20/m"
)
UNITS = {"s": 1, "m": 60, "h": 3600}
FAIL_CLOSED = frozenset({"login", "contact_lookup"})  # password guessing: refused when uncounted
RULE = re.compile(r"^([a-z_]+)=(\d+)/([smh])$")


def parse(text):
    """{"orders": (30, 60), ...}; {} for "off". A malformed setting is a configuration error."""
    if not text or text.strip() == "off":
        return {}
    limits = {}
    for part in text.split(","):
        match = RULE.match(part.strip())
        if not match:
            raise ValueError(f"KAMENG_RATE_LIMITS: cannot read {part!r} (name=count/s|m|h)")
        limits[match.group(1)] = (int(match.group(2)), UNITS[match.group(3)])
    return limits


class Limiter:
    def __init__(self, client, limits, prefix, trusted_proxies=()):
        self.client, self.limits, self.prefix = client, limits, prefix
        self.trusted_proxies = tuple(trusted_proxies)

    def __call__(self, name, request, subject=None):
        """Count one `name` request of this client IP (or of `subject`, e.g. a contact)."""
        self._count(name, request, subject, counting=True)

    def peek(self, name, request, subject=None):
        """RateLimited when this client has used up `name` already; counts nothing."""
        self._count(name, request, subject, counting=False)

    def _count(self, name, request, subject, counting):
        if name not in self.limits:
            return
        ip = subject if subject is not None else client_ip(request, self.trusted_proxies)
        count, seconds = self.limits[name]
        now = time.time()
        window = int(now // seconds)
        key = f"{self.prefix}:{name}:{ip}:{window}"
        try:
            if counting:
                pipe = self.client.pipeline()
                pipe.incr(key)
                pipe.expire(key, seconds + 1)
                used = pipe.execute()[0]
            else:
                used = int(self.client.get(key) or 0) + 1
        except redis.RedisError:
            if name in FAIL_CLOSED:
                log.warning("rate limits unavailable (Redis); %s refused until they are back", name)
                raise Unavailable("try again in a moment", {"limit": name}) from None
            log.warning("rate limits unavailable (Redis); request let through")
            return
        if used > count:
            retry_after = max(1, int((window + 1) * seconds - now))
            raise RateLimited("too many requests", {"limit": name, "retry_after": retry_after})


class RateLimits(DependencyProvider):
    """`limit = RateLimits()` on the gateway; `self.limit("orders", request)` raises RateLimited (429)."""

    def setup(self):
        config = self.container.config
        self.limiter = Limiter(
            redis.Redis.from_url(
                config.get("REDIS_URL", "redis://127.0.0.1:6379/0"), socket_timeout=0.5, socket_connect_timeout=0.5
            ),
            parse(config.get("RATE_LIMITS", DEFAULT_LIMITS)),
            config.get("RATE_LIMIT_PREFIX", "kameng:rl"),
            config.get("TRUSTED_PROXIES", ()),
        )

    def get_dependency(self, worker_ctx):
        return self.limiter
