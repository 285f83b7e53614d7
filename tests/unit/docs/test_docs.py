"""The docs say what the code does: docs/architecture.md's saga table is saga.TRANSITIONS and its
settings table is config.DEFAULTS; the docs explain themselves (no link leaves the repository)."""

import re
from pathlib import Path

from services.common.config import DEFAULTS
from services.order import saga

ROOT = Path(__file__).resolve().parents[3]
ARCHITECTURE = ROOT / "docs" / "architecture.md"
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def table(name):
    """The rows of the Markdown table between <!-- name:start --> and <!-- name:end -->, as lists
    of cells with their backticks removed (the header and the rule left out)."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    body = text.split(f"<!-- {name}:start -->", 1)[1].split(f"<!-- {name}:end -->", 1)[0]
    rows = [line.strip().strip("|").split("|") for line in body.strip().splitlines()]
    return [[cell.strip().replace("`", "") for cell in row] for row in rows[2:]]


def test_the_saga_table_is_the_code():
    documented = {}
    for state, event, to, requests in table("saga-table"):
        assert (state, event) not in documented, (state, event, "twice")
        documented[(state, event)] = (to, tuple(r.strip() for r in requests.split(",")) if requests != "—" else ())
    assert documented == {key: (step.to, tuple(step.requests)) for key, step in saga.TRANSITIONS.items()}


def test_every_setting_is_documented_with_its_default():
    documented = {name: default for name, default, _meaning in table("settings")}
    assert set(documented) == set(DEFAULTS), sorted(set(documented) ^ set(DEFAULTS))
    for name, (default, _meaning) in DEFAULTS.items():
        assert documented[name] == (default or "(empty)"), name


def test_the_docs_explain_themselves():
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    assert ARCHITECTURE in pages
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "DESIGN.md" not in text and "shared/" not in text, page
        for target in LINK.findall(text):
            if not re.match(r"^[a-z]+:", target):  # http(s):, mailto: leave on purpose
                assert (page.parent / target).exists(), (page.name, target)
