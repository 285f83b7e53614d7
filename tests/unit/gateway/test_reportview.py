"""The analytics reports as shown (gateway/reportview.py): fen as yuan strings, rates from
integers with two places, each report's CSV columns."""

from gateway import csvout, reportview


def test_rates_are_percentages_with_two_places_from_integers():
    assert reportview.percent(1234, 10000) == "12.34"
    assert reportview.percent(1, 3) == "33.33"
    assert reportview.percent(-55, 10000) == "-0.55"
    assert reportview.percent(3, 0) is None and reportview.percent(None) is None


def test_amounts_become_yuan_and_margins_rates():
    shown = reportview.shown(
        "margin",
        {
            "since": "2026-11-01",
            "until": "2026-11-30",
            "items": [
                {
                    "sku": "A",
                    "units": 3,
                    "revenue": 2970,
                    "unit_cost": 500,
                    "cost": 1500,
                    "margin": 1470,
                    "margin_bp": 4949,
                },
                {
                    "sku": "B",
                    "units": 1,
                    "revenue": 990,
                    "unit_cost": None,
                    "cost": None,
                    "margin": None,
                    "margin_bp": None,
                },
            ],
            "categories": [],
        },
    )
    a, b = shown["items"]
    assert (a["revenue"], a["cost"], a["margin"], a["margin_rate"]) == ("29.70", "15.00", "14.70", "49.49")
    assert "margin_bp" not in a and (b["cost"], b["margin_rate"]) == (None, None)
    header, rows, numeric = reportview.csv_rows("margin", shown)
    text = csvout.render(header, rows, numeric)
    assert text.splitlines()[1] == "A,,,3,29.70,5.00,15.00,14.70,49.49"


def test_repeat_rate_and_a_report_without_rows_is_one_csv_row():
    shown = reportview.shown(
        "repeat_buyers", {"since": "2026-11-01", "until": "2026-11-02", "buyers": 8, "repeat_buyers": 3}
    )
    assert shown["repeat_rate"] == "37.50"
    header, rows, _ = reportview.csv_rows("repeat_buyers", shown)
    assert header == ["since", "until", "buyers", "repeat_buyers", "repeat_rate"]
    assert rows == [["2026-11-01", "2026-11-02", 8, 3, "37.50"]]
