"""Weekly time windows (promotions and campaigns): weekdays (ISO 1 = Monday .. 7) and a start
and end time of day in a time zone, optionally within dates. The one place that decides whether a
window is open at an instant; pricing (`pricing.promotion_applies`) and campaigns both ask it.

- A window belongs to the weekday it STARTS on: Saturday 23:00–01:00 runs from Saturday 23:00
  to Sunday 01:00 local time, and not on Saturday 00:00–01:00 unless Friday is listed too.
- `ends` < `starts` means the window crosses midnight; `ends` == `starts` is an empty window (never
  open: what promotions have always meant by it, tests/e2e/gateway/test_admin_catalog.py).
- Start inclusive, end exclusive. `valid_from` / `valid_until` cut the window (instants).
- Local times become instants through the zone (zoneinfo), and instants are compared in UTC:
  two aware datetimes with the same tzinfo object compare their wall times, which a DST change
  would make wrong; a DST-free zone such as Asia/Shanghai is a fixed offset all year."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Weekly(Protocol):
    """What a promotion and a campaign have in common (read-only)."""

    @property
    def weekdays(self) -> Sequence[int]: ...
    @property
    def starts(self) -> time: ...
    @property
    def ends(self) -> time: ...
    @property
    def timezone(self) -> str: ...
    @property
    def valid_from(self) -> datetime | None: ...
    @property
    def valid_until(self) -> datetime | None: ...


@dataclass(frozen=True)
class Window:
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC, exclusive


def _on(day: date, schedule: Weekly) -> Window:
    zone = ZoneInfo(schedule.timezone)
    start = datetime.combine(day, schedule.starts, zone)
    end_day = day if schedule.ends > schedule.starts else day + timedelta(days=1)
    end = datetime.combine(end_day, schedule.ends, zone)
    return Window(start.astimezone(UTC), end.astimezone(UTC))


def _windows(schedule: Weekly, around: datetime, days: range) -> Iterator[Window]:
    """The windows of the local days `around` + `days`, in order, cut by the validity dates."""
    today = around.astimezone(ZoneInfo(schedule.timezone)).date()
    for offset in days:
        day = today + timedelta(days=offset)
        if day.isoweekday() not in schedule.weekdays or schedule.starts == schedule.ends:
            continue
        w = _on(day, schedule)
        starts_at = max(w.starts_at, schedule.valid_from) if schedule.valid_from else w.starts_at
        ends_at = min(w.ends_at, schedule.valid_until) if schedule.valid_until else w.ends_at
        if starts_at < ends_at:
            yield Window(starts_at.astimezone(UTC), ends_at.astimezone(UTC))


def current(schedule: Weekly, at: datetime) -> Window | None:
    """The window open at `at` (start <= at < end), or None."""
    at = at.astimezone(UTC)
    for w in _windows(schedule, at, range(-1, 1)):  # yesterday's may run past midnight
        if w.starts_at <= at < w.ends_at:
            return w
    return None


def next_start(schedule: Weekly, at: datetime, within: timedelta) -> Window | None:
    """The next window starting after `at` and no later than `at + within` (at most 7 days)."""
    at = at.astimezone(UTC)
    for w in _windows(schedule, at, range(9)):
        if at < w.starts_at <= at + within:
            return w
    return None
