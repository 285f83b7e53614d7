"""The sandbox channel (dev and tests; `KAMENG_SANDBOX_PAYMENTS=1`): no money moves, but its
notification is signed and verified exactly as a real channel's, with a key derived from the
data key, and it takes the same notify and settle path."""

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from services.payment.channels import Notice, Refused, Urls, register
from services.payment.models import Payment


def sandbox_key(data_keys: Sequence[str]) -> bytes:
    return hashlib.sha256(b"kameng-sandbox-channel:" + data_keys[0].encode()).digest()


class Sandbox:
    name = "sandbox"

    def __init__(self, key: bytes) -> None:
        self.key = key

    def start_payment(self, payment: Payment, urls: Urls) -> dict[str, Any]:
        return {"pay_url": f"{urls.public_url}/pay/{payment.payment_no}"}

    def notification(self, payment: Payment) -> dict[str, Any]:
        """The request the sandbox 'channel' sends when a buyer pays."""
        body = {
            "payment_no": payment.payment_no,
            "amount": payment.amount,
            "trade_no": "SBX" + secrets.token_hex(8),
            "trade_status": "TRADE_SUCCESS",
        }
        body["sign"] = self._sign(body)
        return {
            "method": "POST",
            "headers": {"content-type": "application/json"},
            "query": {},
            "form": {},
            "body": json.dumps(body).encode(),
        }

    def verify_notify(self, request: dict[str, Any]) -> Notice:
        try:
            raw = json.loads(request.get("body") or b"null")
        except ValueError:
            raise Refused("malformed body") from None
        if not isinstance(raw, dict) or not hmac.compare_digest(
            str(raw.get("sign", "")).encode(), self._sign(raw).encode()
        ):
            raise Refused("bad signature")
        if raw.get("trade_status") != "TRADE_SUCCESS":
            raise Refused("trade not successful")
        return Notice(payment_no=raw["payment_no"], amount=raw["amount"], trade_no=raw["trade_no"], paid=True)

    def reply(self, ok: bool) -> tuple[int, dict[str, str], str]:
        return 200, {"Content-Type": "text/plain; charset=utf-8"}, "success" if ok else "fail"

    def query(self, payment: Payment) -> Notice | None:
        return None  # nothing remote to ask: the sandbox only ever notifies

    def refund(self, payment: Payment, refund_no: str, amount: int, reason: str) -> dict[str, Any]:
        return {"status": "refunded", "channel_refund_no": "SBXR" + refund_no}

    def _sign(self, body: Mapping[str, Any]) -> str:
        unsigned = {k: v for k, v in body.items() if k != "sign"}
        return hmac.new(self.key, json.dumps(unsigned, sort_keys=True).encode(), hashlib.sha256).hexdigest()


@register("sandbox")
def build(config: Mapping[str, Any]) -> Sandbox:
    return Sandbox(sandbox_key(config["DATA_KEYS"]))
