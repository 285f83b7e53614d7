"""Which channels take a currency is the payment service's rule (services/payment/currencies.py):
the order service and the gateway ask it (`channels_for`), neither holds nor imports it."""

import ast
from pathlib import Path

from services.common import config
from services.payment import currencies

ROOT = Path(__file__).resolve().parents[3]


def test_yuan_channels_take_only_yuan_and_the_sandbox_takes_any():
    enabled = ["sandbox", "epay", "alipay", "wechat", "usdt"]
    assert currencies.channels_for(enabled, "CNY") == enabled
    assert currencies.channels_for(enabled, "USD") == ["sandbox"]


def test_the_rule_lives_in_payment_only():
    assert not hasattr(config, "CHANNEL_CURRENCIES") and not hasattr(config, "channel_takes")
    for path in [*(ROOT / "gateway").rglob("*.py"), *(ROOT / "services" / "order").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else ([node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            )
            assert not any(n.startswith("services.payment") for n in names), path


def test_the_currencies_a_channel_takes_none_meaning_any():
    """The order passes these to the catalog, which refuses another currency before it reserves."""
    assert currencies.currencies_of("epay") == currencies.currencies_of("usdt") == ["CNY"]
    assert currencies.currencies_of("sandbox") is None
