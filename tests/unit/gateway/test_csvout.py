"""CSV downloads: quoting by the csv module, and text cells a spreadsheet would run as formulas
prefixed with a single quote (numbers written as numbers)."""

import csv
import io

from gateway import csvout


def test_formula_cells_are_defused_and_quoting_survives_a_round_trip():
    rows = [
        [1, "=1+2", "+SUM(A1)", "-cmd", "@x", "\tTAB", 'a "quoted", text\nwith a line', None, "-9.90"],
        [2, "plain", "中文", "", "ok=1", "x-y", "x", None, "12.00"],
    ]
    text = csvout.render(["id", "a", "b", "c", "d", "e", "f", "g", "amount"], rows, numeric=(8,))
    assert text.startswith("\ufeffid,") and "\r\n" in text
    read = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert read[1] == [
        "1",
        "'=1+2",
        "'+SUM(A1)",
        "'-cmd",
        "'@x",
        "'\tTAB",
        'a "quoted", text\nwith a line',
        "",
        "-9.90",
    ]
    assert read[2] == ["2", "plain", "中文", "", "ok=1", "x-y", "x", "", "12.00"]


def test_a_numeric_column_is_written_as_given_and_other_negatives_are_guarded():
    assert csvout.cell(-5) == -5 and csvout.cell("-5") == "'-5" and csvout.cell(None) == ""
