"""CSV downloads (the agent's statement): RFC 4180 quoting by Python's csv module, and no cell a
spreadsheet would run as a formula -- a text cell starting with = + - @ (or a tab or carriage
return) is prefixed with a single quote. Signed amounts are written as numbers ("-9.90"), which
spreadsheets read as numbers, not formulas; only text is guarded."""

import csv
import io

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    if value is None:
        return ""
    if isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def render(header, rows, numeric=()):
    """CSV text (CRLF line ends, UTF-8 BOM for spreadsheets) of `rows` (lists of cells);
    columns whose index is in `numeric` hold decimal strings written as they are."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([cell(h) for h in header])
    for row in rows:
        writer.writerow([v if i in numeric and v is not None else cell(v) for i, v in enumerate(row)])
    return out.getvalue()
