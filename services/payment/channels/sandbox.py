"""The sandbox channel (dev and tests; `KAMENG_SANDBOX_PAYMENTS=1`): no money moves, but its
notification is signed and verified exactly as a real channel's, with a key derived from the
data key, and it takes the same notify and settle path."""

import hashlib
import hmac
import json
import secrets

from services.payment.channels import Notice, Refused, register


def sandbox_key(data_keys):
    return hashlib.sha256(b"kameng-sandbox-channel:" + data_keys[0].encode()).digest()


class Sandbox:
    name = "sandbox"

    def __init__(self, key):
        self.key = key

    def start_payment(self, payment, urls):
        return {"pay_url": f"{urls.public_url}/pay/{payment.payment_no}"}

    def notification(self, payment):
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

    def verify_notify(self, request):
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

    def reply(self, ok):
        return 200, {"Content-Type": "text/plain; charset=utf-8"}, "success" if ok else "fail"

    def query(self, payment):
        return None  # nothing remote to ask: the sandbox only ever notifies

    def refund(self, payment, refund_no, amount, reason):
        return {"status": "refunded", "channel_refund_no": "SBXR" + refund_no}

    def _sign(self, body):
        unsigned = {k: v for k, v in body.items() if k != "sign"}
        return hmac.new(self.key, json.dumps(unsigned, sort_keys=True).encode(), hashlib.sha256).hexdigest()


@register("sandbox")
def build(config):
    return Sandbox(sandbox_key(config["DATA_KEYS"]))
