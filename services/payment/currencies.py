"""What each payment channel charges in: the payment service's rule, which the order service and
the gateway ask it for (`PaymentService.channels_for`). epay, Alipay and WeChat Pay take yuan;
USDT converts a yuan price at KAMENG_USDT_CNY_RATE. The sandbox takes any currency. A product
priced otherwise is not offered them."""

from collections.abc import Iterable

CHANNEL_CURRENCIES = {"epay": {"CNY"}, "alipay": {"CNY"}, "wechat": {"CNY"}, "usdt": {"CNY"}}


def takes(channel: str, currency: str) -> bool:
    return currency in CHANNEL_CURRENCIES.get(channel, {currency})


def currencies_of(channel: str) -> list[str] | None:
    """The currencies `channel` takes, sorted; None: any (the sandbox)."""
    taken = CHANNEL_CURRENCIES.get(channel)
    return None if taken is None else sorted(taken)


def channels_for(enabled: Iterable[str], currency: str) -> list[str]:
    """The channels of `enabled` (names, in order) that take `currency`."""
    return [name for name in enabled if takes(name, currency)]
