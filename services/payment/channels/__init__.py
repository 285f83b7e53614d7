"""Payment channels: one small interface, one registry, one outbound HTTP helper.

A channel turns the channel's wire format into a verified `Notice` and back; everything about
money and state (our payment number, the amount, paid once) is `domain.settle`'s, the one settle
path of every channel. A channel module defines a class with the methods of `Channel` and
registers a factory with `@register("name")`; `build(config)` returns the enabled channels.

The interface (keep it stable -- every channel module implements it):

- `name`: the channel's name as in `POST /api/v1/orders` `payment_channel` and in the notify URL
  `/api/v1/payments/<name>/notify`.
- `start_payment(payment, urls) -> dict`: what the buyer is sent to: `{"pay_url": ...}` (a URL
  the browser opens), optionally `"qr_code"` (text to show as a QR code). `payment` is the
  `models.Payment` row (payment_no, order_no, channel, amount in fen, currency, channel_trade_no,
  chain_amount, created_at; read it, never write it); `urls` is
  `Urls(public_url, notify_url, return_url)`.
- `verify_notify(request) -> Notice`: `request` is the plain dict the gateway builds from the
  HTTP request: `{"method": "GET"|"POST", "headers": {lower-case name: value}, "query": {k: v},
  "form": {k: v} (urlencoded bodies), "body": bytes}`. Raise `Refused` for anything that does not
  verify (signature, merchant/app id, trade status, missing or malformed fields). Checking that
  the payment is ours, on this channel, and of this amount is NOT the channel's job: settle does it.
- `reply(ok) -> (status, headers, body)`: the answer in the channel's own format (`ok` is True
  when the notification verified, also for a repeat). `body` is str or bytes.
- `query(payment) -> Notice | None`: ask the channel about one payment (reconciliation); None when
  the channel does not know it. Raise `ChannelError` when the channel cannot be reached.
- `refund(payment, refund_no, amount, reason) -> {"status": "refunded"|"pending"|"failed", ...}`:
  refund `amount` fen of a paid payment. `refund_no` is our idempotency key: the same refund_no
  is sent again on every retry, so the channel must be asked with it (out_refund_no /
  out_request_no). "pending": accepted, not final yet (asked again later). "failed": the channel
  said no (add "error"). Raise `ChannelError` when the outcome is unknown (network): retried.

Optional, for channels paid by a transfer rather than a redirect (USDT): `base_amount(payment)
-> int` (the amount in the channel's own units; the payment service adds an offset that makes it
unique among open payments and stores it as `payment.chain_amount` before `start_payment`), and
`watch_every_s` (reconciliation asks `query` this often from the start instead of waiting).

`Misconfigured` is raised by `build` when a channel is enabled (`KAMENG_PAYMENT_CHANNELS`) but
one of its settings is empty: the payment service then refuses to start rather than run a channel
that cannot verify anything.
"""

import importlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, TypeVar

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from services.common.config import enabled_payment_channels
from services.payment.models import Payment

log = logging.getLogger(__name__)


class Refused(Exception):
    """A notification (or a channel's answer) that does not verify. The message says why."""


class Misconfigured(Exception):
    """A channel is enabled but a setting it needs is empty."""


class ChannelError(Exception):
    """The channel could not be reached, or answered something we cannot read: try again later."""


@dataclass(frozen=True)
class Notice:
    """What a channel vouches for: our payment number, the amount in fen, the channel's own
    trade number, and whether the money has arrived."""

    payment_no: str
    amount: int
    trade_no: str | None
    paid: bool


class Urls(NamedTuple):
    public_url: str  # the platform's base URL (KAMENG_PUBLIC_URL)
    notify_url: str
    return_url: str


class Channel(Protocol):
    name: str

    def start_payment(self, payment: Payment, urls: Urls) -> dict[str, Any]: ...

    def verify_notify(self, request: dict[str, Any]) -> Notice: ...

    def reply(self, ok: bool) -> tuple[int, dict[str, str], str | bytes]: ...

    def query(self, payment: Payment) -> Notice | None: ...

    def refund(self, payment: Payment, refund_no: str, amount: int, reason: str) -> dict[str, Any]: ...


Factory = Callable[[Mapping[str, Any]], Channel]
F = TypeVar("F", bound=Factory)
T = TypeVar("T")

FACTORIES: dict[str, Factory] = {}


def register(name: str) -> Callable[[F], F]:
    """`@register("epay")` on a factory `f(config) -> Channel` (config: the nameko config dict)."""

    def decorate(factory: F) -> F:
        FACTORIES[name] = factory
        return factory

    return decorate


def build(config: Mapping[str, Any]) -> dict[str, Channel]:
    """{name: Channel} of the channels enabled by the settings. Raises Misconfigured for an
    enabled channel with an empty setting, or an unknown channel name."""
    _load_modules()
    channels: dict[str, Channel] = {}
    for name in enabled_payment_channels(config):
        if name not in FACTORIES:
            raise Misconfigured(f"unknown payment channel {name!r} in KAMENG_PAYMENT_CHANNELS")
        channels[name] = FACTORIES[name](config)
    return channels


def required(config: Mapping[str, Any], name: str, *keys: str) -> list[Any]:
    """The values of `keys` in config; Misconfigured names every empty one."""
    missing = [k for k in keys if not str(config.get(k) or "").strip()]
    if missing:
        raise Misconfigured(
            f"payment channel {name} is enabled but " + ", ".join(f"KAMENG_{k}" for k in missing) + " is empty"
        )
    return [config[k] for k in keys]


def read_pem(name: str, path: str, loader: Callable[[bytes], T]) -> T:
    """`loader(bytes)` of the PEM file a setting names (a key or a certificate); Misconfigured
    when it cannot be read or parsed."""
    try:
        with open(path, "rb") as f:
            return loader(f.read())
    except (OSError, ValueError, TypeError) as exc:
        raise Misconfigured(f"payment channel {name}: cannot load {path}: {type(exc).__name__}") from None


# the buyer's way back from the channel's cashier: the order page then never offers to pay again
# while the payment is being confirmed (gateway/routes/pages.py)
RETURNED = "returned=1"


def urls_for(public_url: str, channel: str, payment: Payment) -> Urls:
    return Urls(
        public_url=public_url,
        notify_url=f"{public_url}/api/v1/payments/{channel}/notify",
        return_url=f"{public_url}/orders/{payment.order_no}?{RETURNED}",
    )


class Http:
    """The one outbound HTTP client of every channel: connect/read timeouts, a bounded number of
    retries with backoff on connection errors and 502/503/504 (POSTs included: every channel call
    that changes something carries our idempotency key), and ChannelError for every failure."""

    def __init__(self, connect_s: float = 3.0, read_s: float = 10.0, retries: int = 2, backoff_s: float = 0.2) -> None:
        self.timeout = (connect_s, read_s)
        retry = Retry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            backoff_factor=backoff_s,
            status_forcelist=(502, 503, 504),
            allowed_methods=frozenset({"GET", "POST"}),
            raise_on_status=False,
        )
        self.session = requests.Session()
        adapter = HTTPAdapter(max_retries=retry, pool_maxsize=20)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        try:
            response = self.session.request(method, url, timeout=self.timeout, allow_redirects=False, **kwargs)
        except requests.RequestException as exc:
            raise ChannelError(f"{method} {url.split('?')[0]}: {type(exc).__name__}") from None
        if response.status_code >= 500:
            raise ChannelError(f"{method} {url.split('?')[0]}: HTTP {response.status_code}")
        return response

    def json(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        response = self.request(method, url, **kwargs)
        try:
            data = response.json()
        except ValueError:
            raise ChannelError(f"{method} {url.split('?')[0]}: not JSON (HTTP {response.status_code})") from None
        if not isinstance(data, dict):
            raise ChannelError(f"{method} {url.split('?')[0]}: not a JSON object")
        return data


MODULES = ("sandbox", "epay", "usdt", "alipay", "wechat")  # each registers itself when imported


def _load_modules() -> None:
    for module in MODULES:
        importlib.import_module(f"services.payment.channels.{module}")
