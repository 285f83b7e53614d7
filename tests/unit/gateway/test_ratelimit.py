import pytest

from gateway import ratelimit


def test_parse_limits():
    assert ratelimit.parse("orders=30/m, lookup=5/s,notify=1000/h") == {
        "orders": (30, 60),
        "lookup": (5, 1),
        "notify": (1000, 3600),
    }
    assert ratelimit.parse("off") == {} and ratelimit.parse("") == {}
    for bad in ("orders=30", "orders=x/m", "orders=3/d", "Orders=3/m"):
        with pytest.raises(ValueError):
            ratelimit.parse(bad)


def test_password_guarding_limits_fail_closed_when_redis_is_down():
    import redis

    from services.common.errors import Unavailable
    from services.common.testing import free_port

    down = redis.Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_timeout=0.2, socket_connect_timeout=0.2)
    limit = ratelimit.Limiter(down, ratelimit.parse("orders=1/m,login=1/m,contact_lookup=1/h"), "kameng-test")
    for _ in range(3):
        limit("orders", None, subject="198.51.100.7")  # selling beats refusing: let through
    for name in ("login", "contact_lookup"):
        with pytest.raises(Unavailable):
            limit(name, None, subject="198.51.100.7")
