"""USDT on TRON (TRC20).

Why TRC20 and not ERC20: it is what card-shop buyers hold and send (fees of cents instead of
dollars, a transfer final in about a minute), and TronGrid's indexed API answers "transfers to
this address" directly, without running a node or scanning logs.

- Each payment gets a unique amount: the order's CNY amount at KAMENG_USDT_CNY_RATE, rounded up
  to micro-USDT, plus an offset below 0.01 USDT that no other open USDT payment of the last day
  has (`domain` allocates it under an advisory lock). The buyer sends exactly that amount to our
  one address (KAMENG_USDT_ADDRESS); the pay page shows both and a `tron:` QR text.
- There are no notifications: the watcher is reconciliation (`watch_every_s`): for each open
  USDT payment it asks the chain client for transfers of the USDT contract to our address since
  the payment was created, takes the one of exactly the payment's amount, and calls it paid once
  it has KAMENG_USDT_CONFIRMATIONS confirmations; `settle` does the rest, as for every channel.
- The chain client is pluggable (KAMENG_USDT_CHAIN_CLIENT): `trongrid` (the default, TronGrid's
  HTTP API through the one `Http` helper) or `module:attribute` naming an object with
  `transfers(address, contract, since_ms) -> [{"txid", "to", "value", "contract"}]` (value in
  micro-USDT, contract the token's own contract address: the watcher checks it equals
  KAMENG_USDT_CONTRACT rather than trusting the query's filter) and `confirmations(txid) -> int`.
  TronGrid's client reads every page (`fingerprint`), so a busy address cannot hide a payment
  behind newer transfers. Tests plug a fake chain there and nothing else.
- Refunds cannot be sent without a hot wallet: they fail (`refund_failed`, reported) for a
  person to pay out.
"""

import importlib
import math
from collections.abc import Mapping
from typing import Any, NoReturn, Protocol, cast

from services.common.money import parse_minor
from services.payment.channels import ChannelError, Http, Misconfigured, Notice, Refused, Urls, register, required
from services.payment.models import Payment

MICRO = 1_000_000
PAGE_SIZE = 200  # TronGrid's largest page
MAX_PAGES = 100  # 20,000 transfers since the oldest open payment: past that, refuse rather than guess
OFFSETS = 9999  # unique part: 0.000001 .. 0.009999 USDT


def format_micro(micro: int) -> str:
    whole, frac = divmod(micro, MICRO)
    return f"{whole}.{frac:06d}"


class Chain(Protocol):
    """What the watcher asks of a chain client (TronGrid, or one KAMENG_USDT_CHAIN_CLIENT names)."""

    def transfers(self, address: str, contract: str, since_ms: int) -> list[dict[str, Any]]: ...

    def confirmations(self, txid: str) -> int: ...


class TronGrid:
    """TronGrid: GET /v1/accounts/{address}/transactions/trc20 (indexed TRC20 transfers) and the
    full node's /wallet/gettransactioninfobyid and /wallet/getnowblock for confirmations."""

    def __init__(self, url: str, api_key: str = "", http: Http | None = None) -> None:
        self.url, self.http = url.rstrip("/"), http or Http()
        self.headers = {"TRON-PRO-API-KEY": api_key} if api_key else {}

    def transfers(self, address: str, contract: str, since_ms: int) -> list[dict[str, Any]]:
        """Every transfer to `address` since `since_ms`, page after page (TronGrid's `fingerprint`):
        a busy address cannot push a payment off the first page."""
        params: dict[str, Any] = {
            "only_to": "true",
            "contract_address": contract,
            "min_timestamp": since_ms,
            "limit": PAGE_SIZE,
        }
        transfers: list[dict[str, Any]] = []
        for _ in range(MAX_PAGES):
            answer = self.http.json(
                "GET", f"{self.url}/v1/accounts/{address}/transactions/trc20", headers=self.headers, params=params
            )
            if answer.get("success") is False:
                raise ChannelError("TronGrid refused the query")
            transfers.extend(self._page(answer))
            fingerprint = (answer.get("meta") or {}).get("fingerprint")
            if not fingerprint:
                return transfers
            params = {**params, "fingerprint": fingerprint}
        raise ChannelError(f"more than {MAX_PAGES * PAGE_SIZE} transfers to read: not deciding on a part of them")

    @staticmethod
    def _page(answer: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            return [
                {
                    "txid": t["transaction_id"],
                    "to": t["to"],
                    "value": int(t["value"]),
                    "contract": (t.get("token_info") or {}).get("address"),
                }
                for t in answer.get("data", [])
                if t.get("type", "Transfer") == "Transfer"
            ]
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ChannelError("TronGrid answered a malformed transfer") from None

    def confirmations(self, txid: str) -> int:
        info = self.http.json(
            "POST", f"{self.url}/wallet/gettransactioninfobyid", json={"value": txid}, headers=self.headers
        )
        block = info.get("blockNumber")
        if not block or info.get("receipt", {}).get("result", "SUCCESS") != "SUCCESS":
            return 0
        head = self.http.json("POST", f"{self.url}/wallet/getnowblock", headers=self.headers)
        return int(head["block_header"]["raw_data"]["number"]) - int(block) + 1


class Usdt:
    name = "usdt"

    def __init__(
        self, address: str, contract: str, rate_fen: int, confirmations: int, chain: Chain, watch_every_s: float = 5.0
    ) -> None:
        self.address, self.contract, self.rate_fen = address, contract, rate_fen
        self.confirmations, self.chain = confirmations, chain
        self.watch_every_s = watch_every_s  # reconciliation asks the chain this often about open payments

    def base_amount(self, payment: Payment) -> int:
        """micro-USDT of the payment's CNY amount, rounded up (the buyer never pays less)."""
        return math.ceil(payment.amount * MICRO / self.rate_fen)

    def start_payment(self, payment: Payment, urls: Urls) -> dict[str, Any]:
        amount = format_micro(cast(int, payment.chain_amount))  # set before (intents.create: base_amount)
        return {
            "pay_url": f"{urls.public_url}/pay/{payment.payment_no}",
            "qr_code": f"tron:{self.address}?token={self.contract}&amount={amount}",
        }

    def verify_notify(self, request: dict[str, Any]) -> NoReturn:
        raise Refused("USDT has no notifications: the watcher reads the chain")

    def reply(self, ok: bool) -> tuple[int, dict[str, str], str]:
        return 200, {"Content-Type": "text/plain; charset=utf-8"}, "success" if ok else "fail"

    def query(self, payment: Payment) -> Notice | None:
        if not payment.chain_amount:
            return None
        since_ms = int(payment.created_at.timestamp() * 1000) - 60_000
        for transfer in self.chain.transfers(self.address, self.contract, since_ms):
            if (
                transfer["to"] == self.address
                and transfer.get("contract") == self.contract  # the token itself, not only the index's filter
                and transfer["value"] == payment.chain_amount
            ):
                confirmed = self.chain.confirmations(transfer["txid"]) >= self.confirmations
                return Notice(
                    payment_no=payment.payment_no, amount=payment.amount, trade_no=transfer["txid"], paid=confirmed
                )
        return None

    def refund(self, payment: Payment, refund_no: str, amount: int, reason: str) -> dict[str, Any]:
        return {"status": "failed", "error": "USDT refunds are paid out by hand (no hot wallet)"}


def chain_client(config: Mapping[str, Any]) -> Chain:
    name = config.get("USDT_CHAIN_CLIENT") or "trongrid"
    if name == "trongrid":
        return TronGrid(config["USDT_NODE_URL"], config.get("USDT_API_KEY") or "")
    module, _, attribute = name.partition(":")
    return getattr(importlib.import_module(module), attribute)


@register("usdt")
def build(config: Mapping[str, Any]) -> Usdt:
    address, contract, rate, _ = required(
        config, "usdt", "USDT_ADDRESS", "USDT_CONTRACT", "USDT_CNY_RATE", "USDT_NODE_URL"
    )
    try:
        rate_fen = parse_minor(str(rate))
    except ValueError:
        rate_fen = 0
    if rate_fen <= 0:
        raise Misconfigured("KAMENG_USDT_CNY_RATE must be a positive amount such as 7.20")
    return Usdt(
        address,
        contract,
        rate_fen,
        int(config.get("USDT_CONFIRMATIONS") or 20),
        chain_client(config),
        float(config.get("USDT_WATCH_S") or 5),
    )
