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
