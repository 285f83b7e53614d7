"""The gateway is one class made of route areas (gateway/service.py): a method name used by two
areas keeps only one of them, and the other route silently answers 404. Every name is unique."""

from collections import Counter


def test_no_two_route_areas_define_the_same_method():
    from gateway.service import GatewayService

    names = Counter(
        name
        for base in GatewayService.__mro__[1:]
        if base.__module__.startswith("gateway.routes.")
        for name, value in vars(base).items()
        if callable(value) and not name.startswith("__")
    )
    assert [name for name, n in names.items() if n > 1] == []
