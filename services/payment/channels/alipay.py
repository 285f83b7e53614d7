"""Alipay open platform, RSA2: the wire protocol, free of any service or transport.

- Requests (page/wap pay URL, `alipay.trade.query`, `alipay.trade.refund`) carry the common
  parameters (app_id, method, charset, sign_type=RSA2, timestamp, version, biz_content) signed with
  our app private key: SHA256withRSA (PKCS#1 v1.5) over every parameter except `sign` (so
  `sign_type` is signed too), sorted by key, empty ones left out, joined `k=v&k=v`.
- The async notify is verified with Alipay's public key over the string built the same way from
  what was received, but with both `sign` and `sign_type` left out (Alipay's rule for notifies);
  `sign_type` must still say RSA2 (no downgrade to SHA-1 "RSA").
- A synchronous answer `{"<method>_response": {...}, "sign": "..."}` is signed over the exact
  text of the `<method>_response` object as received, so it is cut out of the raw body rather
  than re-serialised.

Money crosses as decimal strings in yuan ("9.90") and is turned into integer fen with
`services.common.money`; a float never appears."""

import base64
import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from services.common.money import format_minor, parse_minor
from services.payment.channels import (
    ChannelError,
    Http,
    Misconfigured,
    Notice,
    Refused,
    Urls,
    read_pem,
    register,
    required,
)
from services.payment.models import Payment

SIGN_TYPE = "RSA2"
PAID = ("TRADE_SUCCESS", "TRADE_FINISHED")
UNPAID = ("WAIT_BUYER_PAY", "TRADE_CLOSED")  # authentic notices of no money: acknowledged, nothing changes
BEIJING = timezone(timedelta(hours=8))  # Alipay's timestamps are Beijing time
SUCCESS_CODE = "10000"


@dataclass(frozen=True)
class Config:
    app_id: str
    seller_id: str
    private_key: rsa.RSAPrivateKey  # ours: signs requests
    alipay_public_key: rsa.RSAPublicKey  # Alipay's: verifies notifies and answers
    url: str  # the gateway, e.g. https://openapi.alipay.com/gateway.do


def load_config(config: Mapping[str, Any]) -> Config:
    """From the settings KAMENG_ALIPAY_* (keys as PEM file paths). Anything empty, unreadable or
    not RSA is Misconfigured: the channel refuses to start rather than accept what it cannot verify."""
    app_id, seller_id, private_key_path, public_key_path, url = required(
        config, "alipay", "ALIPAY_APP_ID", "ALIPAY_SELLER_ID", "ALIPAY_PRIVATE_KEY", "ALIPAY_PUBLIC_KEY", "ALIPAY_URL"
    )
    private_key = read_pem("alipay", private_key_path, lambda pem: serialization.load_pem_private_key(pem, None))
    public_key = read_pem("alipay", public_key_path, serialization.load_pem_public_key)
    if not isinstance(private_key, rsa.RSAPrivateKey) or not isinstance(public_key, rsa.RSAPublicKey):
        raise Misconfigured("payment channel alipay: keys must be RSA")
    return Config(str(app_id), str(seller_id), private_key, public_key, url)


# -- signatures ---------------------------------------------------------------------------------


def sign_content(params: Mapping[str, Any], leave_out: Collection[str] = ("sign",)) -> str:
    """The signed string: the non-empty parameters but those left out, sorted by key, `k=v&k=v`.
    Requests leave out `sign`; notifies `sign` and `sign_type` (NOTIFY_LEAVE_OUT)."""
    return "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in leave_out and v not in (None, ""))


NOTIFY_LEAVE_OUT = ("sign", "sign_type")


def sign(private_key: rsa.RSAPrivateKey, content: str) -> str:
    return base64.b64encode(private_key.sign(content.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def verify_signature(public_key: rsa.RSAPublicKey, content: str, signature: str) -> bool:
    try:
        raw = base64.b64decode(signature, validate=True)
        public_key.verify(raw, content.encode(), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


# -- requests -----------------------------------------------------------------------------------


def signed_params(
    cfg: Config, method: str, biz_content: Mapping[str, Any], now: datetime | None = None, **extra: str | None
) -> dict[str, str]:
    """The common parameters plus `extra` (notify_url, return_url), signed with our key."""
    now = (now or datetime.now(UTC)).astimezone(BEIJING)
    params = {
        "app_id": cfg.app_id,
        "method": method,
        "format": "JSON",
        "charset": "utf-8",
        "sign_type": SIGN_TYPE,
        "timestamp": now.strftime("%Y-%m-%d %H:%M:%S"),
        "version": "1.0",
        "biz_content": json.dumps(biz_content, separators=(",", ":"), ensure_ascii=False),
    }
    params.update({k: v for k, v in extra.items() if v})
    params["sign"] = sign(cfg.private_key, sign_content(params))
    return params


def pay_url(
    cfg: Config,
    payment_no: str,
    amount: int,
    subject: str,
    notify_url: str,
    return_url: str | None = None,
    wap: bool = False,
    timeout_express: str = "15m",
    now: datetime | None = None,
) -> str:
    """The URL the buyer is sent to: alipay.trade.page.pay (desktop) or alipay.trade.wap.pay (phone)."""
    method, product = (
        ("alipay.trade.wap.pay", "QUICK_WAP_PAY") if wap else ("alipay.trade.page.pay", "FAST_INSTANT_TRADE_PAY")
    )
    biz = {
        "out_trade_no": payment_no,
        "total_amount": format_minor(amount),
        "subject": subject[:256],
        "product_code": product,
        "timeout_express": timeout_express,
    }
    params = signed_params(cfg, method, biz, now=now, notify_url=notify_url, return_url=return_url)
    return f"{cfg.url}?{urlencode(params)}"


def query_request(cfg: Config, payment_no: str, now: datetime | None = None) -> tuple[str, dict[str, str]]:
    """(url, form) for alipay.trade.query by our number."""
    return cfg.url, signed_params(cfg, "alipay.trade.query", {"out_trade_no": payment_no}, now=now)


def refund_request(
    cfg: Config, payment_no: str, amount: int, refund_no: str, reason: str = "", now: datetime | None = None
) -> tuple[str, dict[str, str]]:
    """(url, form) for alipay.trade.refund; `refund_no` (out_request_no) makes it idempotent and
    is what allows several partial refunds of one trade."""
    biz = {"out_trade_no": payment_no, "refund_amount": format_minor(amount), "out_request_no": refund_no}
    if reason:
        biz["refund_reason"] = reason[:256]
    return cfg.url, signed_params(cfg, "alipay.trade.refund", biz, now=now)


# -- answers ------------------------------------------------------------------------------------


def response_node(raw: str, node: str) -> str | None:
    """The exact text of `"<node>": {...}` in a raw JSON answer (strings respected), or None."""
    key = f'"{node}"'
    at = raw.find(key)
    if at < 0:
        return None
    start = raw.find("{", at + len(key))
    depth, in_string, escaped = 0, False, False
    for i in range(start, len(raw)):
        c = raw[i]
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
            continue
        if c == '"':
            in_string = True
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return raw[start : i + 1]
    return None


def verified_answer(cfg: Config, method: str, raw: str) -> dict[str, Any]:
    """The `<method>_response` object of a synchronous answer, after checking Alipay's signature
    over its exact text. An unsigned or wrongly signed answer is Refused (nothing is believed)."""
    node = method.replace(".", "_") + "_response"
    try:
        answer = json.loads(raw)
    except ValueError:
        raise Refused("alipay answer is not JSON") from None
    text = response_node(raw, node) if isinstance(answer, dict) else None
    if text is None:
        error = answer.get("error_response") if isinstance(answer, dict) else None
        raise Refused(f"alipay answered no {node}: {(error or {}).get('sub_code') or (error or {}).get('code')}")
    if not verify_signature(cfg.alipay_public_key, text, str(answer.get("sign", ""))):
        raise Refused("alipay answer signature invalid")
    return json.loads(text)


def parse_query(cfg: Config, raw: str) -> dict[str, Any]:
    """alipay.trade.query answer -> {"status": "paid" | "open" | "closed" | "unknown", "amount",
    "trade_no", "payment_no"}; a trade Alipay does not know (ACQ.TRADE_NOT_EXIST) is "unknown"."""
    node = verified_answer(cfg, "alipay.trade.query", raw)
    if node.get("code") != SUCCESS_CODE:
        if node.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
            return {"status": "unknown", "payment_no": None, "amount": None, "trade_no": None}
        raise Refused(f"alipay query failed: {node.get('sub_code') or node.get('code')}")
    status = node.get("trade_status")
    return {
        "status": "paid" if status in PAID else "closed" if status == "TRADE_CLOSED" else "open",
        "payment_no": node.get("out_trade_no"),
        "trade_no": node.get("trade_no"),
        "amount": _amount(node.get("total_amount")),
    }


def parse_refund(cfg: Config, raw: str) -> dict[str, Any]:
    """alipay.trade.refund answer -> {"status": "refunded" | "failed", "reason", "trade_no"}.
    Alipay refunds synchronously: code 10000 means the money went back (fund_change Y, or N for a
    repeat of an out_request_no already refunded: the same refund, still done)."""
    node = verified_answer(cfg, "alipay.trade.refund", raw)
    if node.get("code") == SUCCESS_CODE:
        return {"status": "refunded", "reason": None, "trade_no": node.get("trade_no")}
    return {"status": "failed", "reason": node.get("sub_code") or node.get("code"), "trade_no": None}


# -- the async notify ---------------------------------------------------------------------------


def verify_notify(cfg: Config, params: Mapping[str, Any]) -> Notice:
    """A notify's form fields -> the Notice that settlement checks against our payment (our
    number, channel, amount, state), or Refused with the reason. Alipay also notifies
    TRADE_CLOSED (an unpaid trade timed out, or a paid one wholly refunded): a Notice with
    paid=False, which settlement acknowledges without changing anything, so Alipay stops retrying."""
    if not isinstance(params, dict) or not all(isinstance(v, str) for v in params.values()):
        raise Refused("alipay notify: not a flat form")
    if params.get("sign_type") != SIGN_TYPE:
        raise Refused("alipay notify: sign_type is not RSA2")
    if not verify_signature(cfg.alipay_public_key, sign_content(params, NOTIFY_LEAVE_OUT), params.get("sign", "")):
        raise Refused("alipay notify: signature invalid")
    for field in ("app_id", "seller_id", "out_trade_no", "trade_no", "total_amount", "trade_status"):
        if not params.get(field):
            raise Refused(f"alipay notify: {field} missing")
    if params["app_id"] != cfg.app_id:
        raise Refused("alipay notify: another app's")
    if params["seller_id"] != cfg.seller_id:
        raise Refused("alipay notify: another seller's")
    if params["trade_status"] not in PAID + UNPAID:
        raise Refused(f"alipay notify: trade_status {params['trade_status'][:32]}")
    amount = _amount(params["total_amount"])
    if amount is None:
        raise Refused("alipay notify: total_amount is not an amount")
    return Notice(
        payment_no=params["out_trade_no"],
        amount=amount,
        trade_no=params["trade_no"],
        paid=params["trade_status"] in PAID,
    )


def _amount(text: Any) -> int | None:
    """A JSON value or a form field: parse_minor refuses (ValueError) anything but an amount string."""
    try:
        return parse_minor(text)
    except ValueError:
        return None


REPLY_OK = "success"  # Alipay stops retrying on exactly this body
REPLY_FAIL = "failure"  # anything else makes it retry (8 times over about 25 hours)


# -- the channel --------------------------------------------------------------------------------


class Alipay:
    """The `Channel` (see channels/__init__.py) over the functions above and the one Http helper.
    The buyer is sent to alipay.trade.wap.pay: most buyers are on phones (DESIGN §1), and the wap
    cashier also works in a desktop browser."""

    name = "alipay"

    def __init__(self, cfg: Config, window_s: float = 900, http: Http | None = None) -> None:
        self.cfg, self.http = cfg, http or Http()
        self.timeout_express = f"{max(1, int(window_s) // 60)}m"

    def start_payment(self, payment: Payment, urls: Urls) -> dict[str, Any]:
        return {
            "pay_url": pay_url(
                self.cfg,
                payment.payment_no,
                payment.amount,
                f"kameng {payment.order_no}",
                urls.notify_url,
                urls.return_url,
                wap=True,
                timeout_express=self.timeout_express,
            )
        }

    def verify_notify(self, request: dict[str, Any]) -> Notice:
        if request.get("method") != "POST":
            raise Refused("alipay notify: not a POST")
        return verify_notify(self.cfg, dict(request.get("form") or {}))

    def reply(self, ok: bool) -> tuple[int, dict[str, str], str]:
        return 200, {"Content-Type": "text/plain; charset=utf-8"}, REPLY_OK if ok else REPLY_FAIL

    def query(self, payment: Payment) -> Notice | None:
        found = self._ask(parse_query, *query_request(self.cfg, payment.payment_no))
        if found["status"] == "unknown":
            return None
        if found["payment_no"] != payment.payment_no or found["amount"] is None:
            raise ChannelError("alipay answered about another trade, or without an amount")
        return Notice(
            payment_no=payment.payment_no,
            amount=found["amount"],
            trade_no=found["trade_no"],
            paid=found["status"] == "paid",
        )

    def refund(self, payment: Payment, refund_no: str, amount: int, reason: str) -> dict[str, Any]:
        done = self._ask(parse_refund, *refund_request(self.cfg, payment.payment_no, amount, refund_no, reason))
        if done["status"] == "refunded":
            return {"status": "refunded", "channel_refund_no": done["trade_no"]}
        return {"status": "failed", "error": f"alipay: {done['reason']}"}

    def _ask(self, parse: Callable[[Config, str], dict[str, Any]], url: str, form: Mapping[str, str]) -> dict[str, Any]:
        """POST a signed request; an answer that does not verify is a ChannelError (nothing is
        believed, the caller tries again later: refunds repeat their out_request_no)."""
        response = self.http.request("POST", url, data=form)
        try:
            return parse(self.cfg, response.content.decode("utf-8"))
        except (Refused, UnicodeDecodeError) as exc:
            raise ChannelError(str(exc)) from None


@register("alipay")
def build(config: Mapping[str, Any]) -> Alipay:
    return Alipay(load_config(config), window_s=config.get("PAYMENT_WINDOW_S", 900))
