"""The analytics reports as the API and the console show them: fen as yuan strings, basis points
as percentages, and each report's CSV columns (issue 22). No figure is computed here: the
analytics service counts; this only formats."""

from typing import Any

from services.common.money import format_minor

MONEY = ("sales", "refund_amount", "revenue", "unit_cost", "cost", "margin")
# report -> (which rows, columns); a report without rows is one row of its totals
CSV = {
    "heatmap": ("cells", ("dow", "hour", "orders", "paid", "sales")),
    "breakdown": ("items", ("key", "orders", "paid", "sales", "refunds", "refund_amount")),
    "funnel": (None, ("since", "until", "views", "orders", "paid", "completed")),
    "repeat_buyers": (None, ("since", "until", "buyers", "repeat_buyers", "repeat_rate")),
    "margin": (
        "items",
        ("sku", "name", "category", "units", "revenue", "unit_cost", "cost", "margin", "margin_rate"),
    ),
    "refunds_risk": ("items", ("sku", "orders", "refunds", "refund_amount", "risk_rejected")),
    "slow_sellers": ("items", ("sku", "name", "category", "orders", "units", "revenue", "views")),
}
MONEY_COLUMNS = {"sales", "refund_amount", "revenue", "unit_cost", "cost", "margin", "margin_rate", "repeat_rate"}


def percent(numerator: int | None, denominator: int | None = 10000) -> str | None:
    """A rate as a percentage with two places, from integers (no float on the way)."""
    if numerator is None or not denominator:
        return None
    hundredths = (numerator * 10000) // denominator  # of a percent
    sign = "-" if hundredths < 0 else ""
    hundredths = abs(hundredths)
    return f"{sign}{hundredths // 100}.{hundredths % 100:02d}"


def line(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: (format_minor(v) if k in MONEY and v is not None else v) for k, v in row.items()}
    if "margin_bp" in row:  # basis points of the revenue
        del out["margin_bp"]
        out["margin_rate"] = percent(row["margin_bp"], 10000)
    return out


def shown(name: str, report: dict[str, Any]) -> dict[str, Any]:
    out = line({k: v for k, v in report.items() if not isinstance(v, list | dict)})
    out["report"] = name
    for key in ("cells", "items", "categories"):
        if key in report:
            out[key] = [line(r) for r in report[key]]
    if report.get("peak") is not None:
        out["peak"] = line(report["peak"])
    elif "peak" in report:
        out["peak"] = None
    if "repeat_buyers" in report:
        out["repeat_rate"] = percent(report["repeat_buyers"], report["buyers"])
    return out


def csv_rows(name: str, report: dict[str, Any]) -> tuple[list[str], list[list[Any]], tuple[int, ...]]:
    """(header, rows, indexes of the decimal columns) for gateway.csvout."""
    source, columns = CSV[name]
    rows = report[source] if source else [report]
    numeric = tuple(i for i, c in enumerate(columns) if c in MONEY_COLUMNS)
    return list(columns), [[r.get(c) for c in columns] for r in rows], numeric
