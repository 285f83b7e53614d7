"""易支付 (epay) V1, the protocol most 卡网 use.

- Pay: the buyer's browser is sent to `<KAMENG_EPAY_URL>/submit.php?pid, out_trade_no, notify_url,
  return_url, name, money, sign, sign_type=MD5` (no `type`: the buyer picks Alipay/WeChat/QQ on
  the epay cashier).
- Sign: MD5 over every non-empty field except `sign` and `sign_type`, sorted by key, joined
  `k=v&`, the merchant key appended; lower-case hex.
- Notify: GET (query) or POST (form) to `/api/v1/payments/epay/notify` with `pid, trade_no,
  out_trade_no, type, name, money, trade_status, sign, sign_type`; verified here (signature,
  sign_type MD5, our pid, trade_status TRADE_SUCCESS, a well-formed amount); our out_trade_no and
  the amount are checked by `settle`. Reply: the body `success`, or `fail`.
- Query: `GET api.php?act=order&pid&key&out_trade_no` -> `{"code": 1, "trade_no", "out_trade_no",
  "money", "status": 1 when paid}`; `code` other than 1: unknown order.
- Refund: `POST api.php?act=refund` with `pid, key, out_trade_no, money, out_refund_no` ->
  `{"code": 1}` refunded, anything else failed (`msg`). `out_refund_no` makes a retry harmless on
  the epay deployments that honour it.
"""

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from services.common.money import format_minor, parse_minor
from services.payment.channels import ChannelError, Http, Notice, Refused, Urls, register, required
from services.payment.models import Payment

SIGNED_NOTIFY = ("pid", "trade_no", "out_trade_no", "money", "trade_status", "sign")


def sign(fields: Mapping[str, Any], key: str) -> str:
    """epay V1 MD5 signature of `fields` (a dict of str)."""
    text = "&".join(
        f"{k}={fields[k]}" for k in sorted(fields) if k not in ("sign", "sign_type") and fields[k] not in ("", None)
    )
    return hashlib.md5((text + key).encode("utf-8")).hexdigest()


class Epay:
    name = "epay"

    def __init__(self, pid: str | int, key: str, url: str, http: Http | None = None) -> None:
        self.pid, self.key, self.url = str(pid), key, url.rstrip("/")
        self.http = http or Http()

    def start_payment(self, payment: Payment, urls: Urls) -> dict[str, Any]:
        fields = {
            "pid": self.pid,
            "out_trade_no": payment.payment_no,
            "notify_url": urls.notify_url,
            "return_url": urls.return_url,
            "name": f"kameng {payment.order_no}",
            "money": format_minor(payment.amount),
        }
        fields["sign"], fields["sign_type"] = sign(fields, self.key), "MD5"
        return {"pay_url": f"{self.url}/submit.php?{urlencode(fields)}"}

    def verify_notify(self, request: dict[str, Any]) -> Notice:
        fields = (
            request.get("form") if request.get("method") == "POST" and request.get("form") else request.get("query")
        ) or {}
        missing = [k for k in SIGNED_NOTIFY if not fields.get(k)]
        if missing:
            raise Refused("missing " + ", ".join(missing))
        if fields.get("sign_type", "MD5") != "MD5":
            raise Refused("sign_type is not MD5")
        if not hmac.compare_digest(str(fields["sign"]).lower().encode(), sign(fields, self.key).encode()):
            raise Refused("bad signature")
        if fields["pid"] != self.pid:
            raise Refused("another merchant's pid")
        if fields["trade_status"] != "TRADE_SUCCESS":
            raise Refused(f"trade_status {fields['trade_status'][:32]}")
        return Notice(
            payment_no=fields["out_trade_no"], amount=_amount(fields["money"]), trade_no=fields["trade_no"], paid=True
        )

    def reply(self, ok: bool) -> tuple[int, dict[str, str], str]:
        return 200, {"Content-Type": "text/plain; charset=utf-8"}, "success" if ok else "fail"

    def query(self, payment: Payment) -> Notice | None:
        answer = self.http.json(
            "GET",
            f"{self.url}/api.php",
            params={"act": "order", "pid": self.pid, "key": self.key, "out_trade_no": payment.payment_no},
        )
        if str(answer.get("code")) != "1":
            return None
        if str(answer.get("out_trade_no")) != payment.payment_no or str(answer.get("pid", self.pid)) != self.pid:
            raise ChannelError("epay answered about another order")
        try:
            amount = _amount(str(answer.get("money")))
        except Refused:
            raise ChannelError("epay answered a malformed amount") from None
        return Notice(
            payment_no=payment.payment_no,
            amount=amount,
            trade_no=answer.get("trade_no"),
            paid=str(answer.get("status")) == "1",
        )

    def refund(self, payment: Payment, refund_no: str, amount: int, reason: str) -> dict[str, Any]:
        answer = self.http.json(
            "POST",
            f"{self.url}/api.php?act=refund",
            data={
                "pid": self.pid,
                "key": self.key,
                "out_trade_no": payment.payment_no,
                "trade_no": payment.channel_trade_no or "",
                "money": format_minor(amount),
                "out_refund_no": refund_no,
            },
        )
        if str(answer.get("code")) == "1":
            return {"status": "refunded", "channel_refund_no": answer.get("refund_no")}
        return {"status": "failed", "error": str(answer.get("msg") or "refused by epay")[:200]}


def _amount(text: str) -> int:
    try:
        return parse_minor(text)
    except ValueError:
        raise Refused("malformed money") from None


@register("epay")
def build(config: Mapping[str, Any]) -> Epay:
    pid, key, url = required(config, "epay", "EPAY_PID", "EPAY_KEY", "EPAY_URL")
    return Epay(pid, key, url)
