"""Money is integer minor units (fen) everywhere inside; JSON shows decimal strings with two places."""

import re

_AMOUNT = re.compile(r"^(0|[1-9]\d{0,11})(\.\d{1,2})?$")


def format_minor(minor: int) -> str:
    """1990 -> "19.90". Raises TypeError for anything but an int (a float is a bug)."""
    if not isinstance(minor, int) or isinstance(minor, bool):
        raise TypeError(f"money must be integer minor units, got {type(minor).__name__}")
    sign = "-" if minor < 0 else ""
    whole, fen = divmod(abs(minor), 100)
    return f"{sign}{whole}.{fen:02d}"


def parse_minor(text: str) -> int:
    """ "19.9" / "19.90" / "19" -> 1990. Raises ValueError for anything else (no floats, no signs)."""
    if not isinstance(text, str) or not _AMOUNT.match(text):
        raise ValueError(f"not an amount: {text!r}")
    whole, _, frac = text.partition(".")
    return int(whole) * 100 + int((frac + "00")[:2])
