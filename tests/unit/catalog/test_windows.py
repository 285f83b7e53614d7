"""The weekly window rule (services/catalog/domain/windows.py) at its edges."""

from datetime import UTC, datetime, time, timedelta
from types import SimpleNamespace

from services.catalog.domain import windows
from services.catalog.domain.pricing import promotion_applies


def weekly(**kw):
    base = {
        "weekdays": [6, 7],
        "starts": time(20, 0),
        "ends": time(22, 0),
        "timezone": "Asia/Shanghai",
        "valid_from": None,
        "valid_until": None,
        "active": True,
    }
    base.update(kw)
    return SimpleNamespace(**base)


def sh(y, m, d, hh, mm=0, ss=0):
    """A Shanghai wall time as a UTC instant (UTC+8 all year, no DST)."""
    return datetime(y, m, d, hh, mm, ss, tzinfo=UTC) - timedelta(hours=8)


SAT = (2026, 11, 28)  # a Saturday
SUN = (2026, 11, 29)
FRI = (2026, 11, 27)
MON = (2026, 11, 30)


def test_weekend_evening_edges():
    s = weekly()
    assert windows.current(s, sh(*SAT, 19, 59, 59)) is None
    w = windows.current(s, sh(*SAT, 20))
    assert w == windows.Window(sh(*SAT, 20), sh(*SAT, 22))
    assert windows.current(s, sh(*SAT, 21, 59, 59)) == w
    assert windows.current(s, sh(*SAT, 22)) is None  # the end is exclusive
    assert windows.current(s, sh(*SUN, 20)) == windows.Window(sh(*SUN, 20), sh(*SUN, 22))
    assert windows.current(s, sh(*FRI, 20, 30)) is None
    assert windows.current(s, sh(*MON, 20, 30)) is None


def test_window_across_midnight_belongs_to_its_start_day():
    s = weekly(weekdays=[6], starts=time(23, 0), ends=time(1, 0))  # Saturday 23:00 - Sunday 01:00
    w = windows.Window(sh(*SAT, 23), sh(*SUN, 1))
    assert windows.current(s, sh(*SAT, 22, 59, 59)) is None
    assert windows.current(s, sh(*SAT, 23)) == w
    assert windows.current(s, sh(*SUN, 0)) == w  # after midnight: still Saturday's window
    assert windows.current(s, sh(*SUN, 0, 59, 59)) == w
    assert windows.current(s, sh(*SUN, 1)) is None
    assert windows.current(s, sh(*SAT, 0, 30)) is None  # Friday is not listed: no window ends here
    assert windows.current(s, sh(*SUN, 23, 30)) is None  # Sunday is not listed


def test_start_equal_to_end_is_an_empty_window():
    s = weekly(weekdays=[1, 2, 3, 4, 5, 6, 7], starts=time(0), ends=time(0))
    assert windows.current(s, sh(*SAT, 0)) is None
    assert windows.current(s, sh(*SAT, 23, 59, 59)) is None
    assert windows.next_start(s, sh(*SAT, 12), timedelta(days=7)) is None
    assert not promotion_applies(s, sh(*MON, 12))


def test_validity_dates_cut_the_window():
    s = weekly(valid_from=sh(*SAT, 21), valid_until=sh(*SUN, 21))
    assert windows.current(s, sh(*SAT, 20, 30)) is None
    assert windows.current(s, sh(*SAT, 21)) == windows.Window(sh(*SAT, 21), sh(*SAT, 22))
    assert windows.current(s, sh(*SUN, 20, 30)) == windows.Window(sh(*SUN, 20), sh(*SUN, 21))
    assert windows.current(s, sh(*SUN, 21)) is None


def test_an_instant_in_any_zone_is_the_same_instant():
    s = weekly()
    tokyo = sh(*SAT, 20).astimezone(__import__("zoneinfo").ZoneInfo("Asia/Tokyo"))  # 21:00 in Tokyo
    assert windows.current(s, tokyo) == windows.Window(sh(*SAT, 20), sh(*SAT, 22))


def test_dst_zone_keeps_local_wall_times():
    # Europe/Berlin leaves summer time on Sunday 25 October 2026 at 03:00 -> 02:00
    s = weekly(weekdays=[6, 7], starts=time(20), ends=time(22), timezone="Europe/Berlin")
    sat = windows.current(s, datetime(2026, 10, 24, 18, 30, tzinfo=UTC))  # 20:30 CEST (UTC+2)
    assert sat == windows.Window(datetime(2026, 10, 24, 18, tzinfo=UTC), datetime(2026, 10, 24, 20, tzinfo=UTC))
    sun = windows.current(s, datetime(2026, 10, 25, 19, 30, tzinfo=UTC))  # 20:30 CET (UTC+1)
    assert sun == windows.Window(datetime(2026, 10, 25, 19, tzinfo=UTC), datetime(2026, 10, 25, 21, tzinfo=UTC))
    night = weekly(weekdays=[6], starts=time(23), ends=time(4), timezone="Europe/Berlin")  # 6 hours that night
    w = windows.current(night, datetime(2026, 10, 25, 1, tzinfo=UTC))
    assert w is not None and w.ends_at - w.starts_at == timedelta(hours=6)


def test_next_start_within_a_day():
    s = weekly()
    assert windows.next_start(s, sh(*SAT, 19), timedelta(hours=24)) == windows.Window(sh(*SAT, 20), sh(*SAT, 22))
    assert windows.next_start(s, sh(*SAT, 20), timedelta(hours=24)) == windows.Window(sh(*SUN, 20), sh(*SUN, 22))
    assert windows.next_start(s, sh(*FRI, 20), timedelta(hours=24)) == windows.Window(sh(*SAT, 20), sh(*SAT, 22))
    assert windows.next_start(s, sh(*FRI, 19, 59, 59), timedelta(hours=24)) is None  # 24 h and a second away
    assert windows.next_start(s, sh(*MON, 12), timedelta(days=7)) == windows.Window(
        sh(2026, 12, 5, 20), sh(2026, 12, 5, 22)
    )
    assert windows.next_start(weekly(valid_until=sh(*SAT, 12)), sh(*SAT, 10), timedelta(hours=24)) is None


def test_promotion_applies_asks_the_window_rule():
    s = weekly(weekdays=[6], starts=time(23, 0), ends=time(1, 0))
    assert promotion_applies(s, sh(*SUN, 0, 30))
    assert not promotion_applies(
        weekly(weekdays=[6], starts=time(23, 0), ends=time(1, 0), active=False), sh(*SUN, 0, 30)
    )
