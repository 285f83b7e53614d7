import io
from datetime import date

import pytest

from gateway import imports
from services.catalog.domain.codes import parse_line
from services.common.cache import TtlCache


def test_parse_line_forms():
    assert parse_line("ABC-123", ",") == ("ABC-123", None, None)
    assert parse_line(" ABC-123 , pw1 ", ",") == ("ABC-123", "pw1", None)
    assert parse_line("ABC----pw----2027-01-31", "----") == ("ABC", "pw", date(2027, 1, 31))
    assert parse_line("ABC,,2027-01-31", ",") == ("ABC", None, date(2027, 1, 31))
    assert parse_line("卡密-中文", ",") == ("卡密-中文", None, None)


@pytest.mark.parametrize(
    "line,reason",
    [(",secret", "empty code"), ("A,b,31/01/2027", "expiry"), ("A\x00B", "control"), ("x" * 513, "too long")],
)
def test_parse_line_rejections(line, reason):
    with pytest.raises(ValueError, match=reason):
        parse_line(line, ",")


def test_read_lines_numbers_from_one_and_rejects_unreadable_lines():
    body = b"\xef\xbb\xbfA1\r\nA2\n\n\xff\xfe\n" + b"L" * 10_000 + b"\nA3"
    lines = list(imports.read_lines(io.BytesIO(body)))
    assert lines == [
        (1, "A1", None),
        (2, "A2", None),
        (3, None, "empty line"),
        (4, None, "not valid UTF-8"),
        (5, None, "line too long"),
        (6, "A3", None),
    ]


def test_trailing_blank_lines_are_no_lines_but_blank_lines_between_codes_are_rejected():
    lines = list(imports.read_lines(io.BytesIO(b"A1\n\n \nA2\n\n\r\n  \n")))
    assert lines == [(1, "A1", None), (2, None, "empty line"), (3, None, "empty line"), (4, "A2", None)]
    assert list(imports.read_lines(io.BytesIO(b"\n\n"))) == []


def test_an_endless_line_is_skipped_in_bounded_reads():
    class Endless(io.RawIOBase):
        served, ended = 0, False

        def readline(self, size=-1):
            assert 0 < size <= 65536  # never an unbounded read
            if self.ended:
                return b""
            self.served += size
            self.ended = self.served >= 50 << 20
            return b"x\n" if self.ended else b"x" * size

    assert list(imports.read_lines(Endless())) == [(1, None, "line too long")]


def test_rejections_keep_the_first_thousand_and_count_all():
    rejections = imports.Rejections()
    for n in range(3000):
        rejections.add([{"line": n, "reason": "x"}])
    assert len(rejections.shown) == imports.MAX_REJECTED_SHOWN and rejections.total == 3000


def test_ttl_cache_expires_and_stays_bounded(monkeypatch):
    now = [100.0]
    monkeypatch.setattr("services.common.cache.time.monotonic", lambda: now[0])
    cache, calls = TtlCache(ttl=1.0, max_entries=3), []
    compute = lambda: calls.append(1) or len(calls)  # noqa: E731
    assert cache.get_or_set("a", compute) == 1 and cache.get_or_set("a", compute) == 1
    now[0] += 1.01
    assert cache.get_or_set("a", compute) == 2
    for key in "bcdef":
        cache.get_or_set(key, compute)
    assert len(cache.entries) <= 3
