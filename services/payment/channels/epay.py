"""易支付 (epay), the protocol most 卡网 use, in its two versions: V1 (MD5 with the merchant key)
and V2 (RSA), one chosen per deployment by KAMENG_EPAY_VERSION (1 or 2). Both versions sign the
same string and send the same notification; they differ in the signer (`Md5`, `Rsa`) and in the
endpoints (`Epay` is V1, `EpayV2` overrides the calls).

The signed string, both versions: every non-empty field except `sign` and `sign_type` (and any
that is not a plain value, in a V2 JSON answer), sorted by key, joined `k=v&k=v`.

V1:
- Sign: MD5 of the signed string with the merchant key appended; lower-case hex.
- Pay: the buyer's browser is sent to `<KAMENG_EPAY_URL>/submit.php?pid, out_trade_no,
  notify_url, return_url, name, money, sign, sign_type=MD5` (no `type`: the buyer picks
  Alipay/WeChat/QQ on the epay cashier).
- Query: `GET api.php?act=order&pid&key&out_trade_no` -> `{"code": 1, "trade_no", "out_trade_no",
  "money", "status": 1 when paid}`; `code` other than 1: unknown order.
- Refund: `POST api.php?act=refund` with `pid, key, out_trade_no, money, out_refund_no` ->
  `{"code": 1}` refunded, anything else failed (`msg`). `out_refund_no` makes a retry harmless on
  the epay deployments that honour it.

V2 (`api/pay/*`, every request a form POST carrying `pid`, a 10-digit unix `timestamp`,
`sign_type=RSA` and `sign`):
- Sign: SHA256WithRSA (PKCS#1 v1.5) of the signed string with the merchant's private key
  (KAMENG_EPAY_PRIVATE_KEY), base64. Answers and notifications are verified with the platform's
  public key (KAMENG_EPAY_PLATFORM_PUBLIC_KEY).
- Pay: `api/pay/create` (server-side, when the buyer opens our pay link; no transaction is open
  then) with `method=jump` -> `{"code": 0, "trade_no", "pay_type", "pay_info", sign...}`:
  `jump`/`urlscheme` send the buyer to `pay_info` (the epay cashier), `qrcode` shows it on our pay
  page. The trade is opened at once, so the cashier link does not age with the request's
  timestamp the way a stored `api/pay/submit` link would.
- Query: `api/pay/query` with `out_trade_no` -> `{"code": 0, "trade_no", "out_trade_no",
  "money", "status": 1 when paid, sign...}`; `code` other than 0: unknown order.
- Refund: `api/pay/refund` with `out_trade_no, money, out_refund_no` -> `{"code": 0}` refunded.

Notify, both: GET (query) or POST (form) to `/api/v1/payments/epay/notify` with `pid, trade_no,
out_trade_no, type, name, money, trade_status, sign, sign_type` (V2: and `timestamp`, and more
fields as the deployment pleases: whatever comes is signed and accepted); verified here
(signature, sign_type of the version, our pid, trade_status TRADE_SUCCESS, a well-formed amount,
V2 a 10-digit timestamp); our out_trade_no and the amount are checked by `settle`. Reply: the
body `success`, or `fail`.
"""

import base64
import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from typing import Any, Protocol
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

SIGNED_NOTIFY = ("pid", "trade_no", "out_trade_no", "money", "trade_status", "sign")
TIMESTAMP = re.compile(r"[0-9]{10}")
VERSIONS = ("1", "2")


def content(fields: Mapping[str, Any]) -> str:
    """The signed string of both versions: the non-empty plain fields but `sign` and `sign_type`,
    sorted by key, `k=v&k=v` (a nested value in a JSON answer is left out, as epay does)."""
    return "&".join(
        f"{k}={_text(fields[k])}"
        for k in sorted(fields)
        if k not in ("sign", "sign_type") and fields[k] not in ("", None) and not isinstance(fields[k], dict | list)
    )


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"  # PHP's string of true; epay never sends false
    return str(value)


def sign(fields: Mapping[str, Any], key: str) -> str:
    """epay V1 MD5 signature of `fields` (a dict of str)."""
    return hashlib.md5((content(fields) + key).encode("utf-8")).hexdigest()


class Signer(Protocol):
    sign_type: str

    def sign(self, fields: Mapping[str, Any]) -> str: ...

    def verify(self, fields: Mapping[str, Any], signature: str) -> bool: ...


class Md5:
    """V1: one shared merchant key signs both ways."""

    sign_type = "MD5"

    def __init__(self, key: str) -> None:
        self.key = key

    def sign(self, fields: Mapping[str, Any]) -> str:
        return sign(fields, self.key)

    def verify(self, fields: Mapping[str, Any], signature: str) -> bool:
        return hmac.compare_digest(signature.lower().encode("utf-8", "replace"), self.sign(fields).encode())


class Rsa:
    """V2: our private key signs what we send; the platform's public key verifies what it sends."""

    sign_type = "RSA"

    def __init__(self, private_key: rsa.RSAPrivateKey, platform_key: rsa.RSAPublicKey) -> None:
        self.private_key, self.platform_key = private_key, platform_key

    def sign(self, fields: Mapping[str, Any]) -> str:
        signature = self.private_key.sign(content(fields).encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode()

    def verify(self, fields: Mapping[str, Any], signature: str) -> bool:
        try:
            raw = base64.b64decode(signature, validate=True)
            self.platform_key.verify(raw, content(fields).encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError, TypeError):
            return False
        return True


class Epay:
    """V1, and what V2 shares with it (the notification, the reply, the answers' checks)."""

    name = "epay"
    version = "1"
    required_notify: tuple[str, ...] = SIGNED_NOTIFY

    def __init__(self, pid: str | int, signer: Signer, url: str, http: Http | None = None) -> None:
        self.pid, self.signer, self.url = str(pid), signer, url.rstrip("/")
        self.http = http or Http()

    @property
    def key(self) -> str:
        assert isinstance(self.signer, Md5)
        return self.signer.key

    def order_fields(self, payment: Payment, urls: Urls) -> dict[str, str]:
        return {
            "pid": self.pid,
            "out_trade_no": payment.payment_no,
            "notify_url": urls.notify_url,
            "return_url": urls.return_url,
            "name": f"kameng {payment.order_no}",
            "money": format_minor(payment.amount),
        }

    def signed(self, fields: dict[str, str]) -> dict[str, str]:
        fields["sign"], fields["sign_type"] = self.signer.sign(fields), self.signer.sign_type
        return fields

    def start_payment(self, payment: Payment, urls: Urls) -> dict[str, Any]:
        fields = self.signed(self.order_fields(payment, urls))
        return {"pay_url": f"{self.url}/submit.php?{urlencode(fields)}"}

    def verify_notify(self, request: dict[str, Any]) -> Notice:
        fields = notify_fields(request)
        missing = [k for k in self.required_notify if not fields.get(k)]
        if missing:
            raise Refused("missing " + ", ".join(missing))
        if fields.get("sign_type", self.signer.sign_type) != self.signer.sign_type:
            raise Refused(f"sign_type is not {self.signer.sign_type}")
        if not self.signer.verify(fields, str(fields["sign"])):
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
        return self.found(payment, answer)

    def found(self, payment: Payment, answer: Mapping[str, Any]) -> Notice:
        """A query's answer about `payment` (its code said found)."""
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
        return _refund_failed(answer)


class EpayV2(Epay):
    """V2: RSA, `api/pay/create`, `api/pay/query`, `api/pay/refund`; the notify also carries a
    10-digit timestamp."""

    version = "2"
    required_notify = (*SIGNED_NOTIFY, "timestamp")

    def __init__(self, pid: str | int, signer: Rsa, url: str, pay_type: str = "", http: Http | None = None) -> None:
        super().__init__(pid, signer, url, http)
        self.pay_type = pay_type.strip()

    def verify_notify(self, request: dict[str, Any]) -> Notice:
        notice = super().verify_notify(request)  # the timestamp is signed: checked once it verified
        if not TIMESTAMP.fullmatch(str(notify_fields(request).get("timestamp"))):
            raise Refused("timestamp is not 10 digits")
        return notice

    def call(self, path: str, fields: dict[str, str]) -> dict[str, Any]:
        """A signed V2 request; the answer, its signature verified when it says `code` 0 (an
        error answer is not always signed, and is only ever read as "no")."""
        request = self.signed({"pid": self.pid, "timestamp": str(int(time.time())), **fields})
        answer = self.http.json("POST", f"{self.url}/api/pay/{path}", data=request)
        if _code(answer) == 0:
            if answer.get("sign_type", self.signer.sign_type) != self.signer.sign_type:
                raise ChannelError(f"epay api/pay/{path}: the answer's sign_type is not RSA")
            if not self.signer.verify(answer, str(answer.get("sign") or "")):
                raise ChannelError(f"epay api/pay/{path}: the answer's signature does not verify")
        return answer

    def start_payment(self, payment: Payment, urls: Urls) -> dict[str, Any]:
        fields = {**self.order_fields(payment, urls), "method": "jump", "type": self.pay_type}
        answer = self.call("create", {k: v for k, v in fields.items() if k != "pid" and v})
        if _code(answer) != 0:
            raise ChannelError(f"epay api/pay/create refused: {str(answer.get('msg') or '')[:100]}")
        pay_type, pay_info = str(answer.get("pay_type") or ""), str(answer.get("pay_info") or "")
        if not pay_info:
            raise ChannelError("epay api/pay/create answered no pay_info")
        if pay_type in ("jump", "urlscheme"):
            return {"pay_url": pay_info}
        if pay_type == "qrcode":
            return {"pay_url": f"{urls.public_url}/pay/{payment.payment_no}", "qr_code": pay_info}
        raise ChannelError(f"epay api/pay/create answered pay_type {pay_type[:32]!r}, which we cannot show")

    def query(self, payment: Payment) -> Notice | None:
        answer = self.call("query", {"out_trade_no": payment.payment_no})
        if _code(answer) != 0:
            return None
        return self.found(payment, answer)

    def refund(self, payment: Payment, refund_no: str, amount: int, reason: str) -> dict[str, Any]:
        fields = {
            "out_trade_no": payment.payment_no,
            "trade_no": payment.channel_trade_no or "",
            "money": format_minor(amount),
            "out_refund_no": refund_no,
        }
        answer = self.call("refund", {k: v for k, v in fields.items() if v})
        if _code(answer) == 0:
            return {"status": "refunded", "channel_refund_no": answer.get("refund_no")}
        return _refund_failed(answer)


def notify_fields(request: Mapping[str, Any]) -> dict[str, Any]:
    """A notify's fields: the form of a POST that has one, else the query (epay sends either)."""
    form = request.get("form") if request.get("method") == "POST" else None
    return dict(form or request.get("query") or {})


def _code(answer: Mapping[str, Any]) -> int | None:
    try:
        return int(str(answer.get("code")))
    except ValueError:
        return None


def _refund_failed(answer: Mapping[str, Any]) -> dict[str, Any]:
    return {"status": "failed", "error": str(answer.get("msg") or "refused by epay")[:200]}


def _amount(text: str) -> int:
    try:
        return parse_minor(text)
    except ValueError:
        raise Refused("malformed money") from None


def load_key(setting: str, value: str, loader: Any) -> Any:
    """A key setting: the PEM text itself, or the path of a PEM file."""
    if "-----BEGIN" in value:
        try:
            return loader(value.strip().encode())
        except (ValueError, TypeError) as exc:
            why = type(exc).__name__
            raise Misconfigured(f"payment channel epay: KAMENG_{setting} is not a PEM key: {why}") from None
    return read_pem("epay", value.strip(), loader)


@register("epay")
def build(config: Mapping[str, Any]) -> Epay:
    version = str(config.get("EPAY_VERSION") or "1").strip()
    if version not in VERSIONS:
        raise Misconfigured(f"payment channel epay: KAMENG_EPAY_VERSION must be 1 or 2, not {version[:8]!r}")
    if version == "1":
        pid, key, url = required(config, "epay", "EPAY_PID", "EPAY_KEY", "EPAY_URL")
        return Epay(pid, Md5(key), url)
    pid, url, private_path, public_path = required(
        config, "epay", "EPAY_PID", "EPAY_URL", "EPAY_PRIVATE_KEY", "EPAY_PLATFORM_PUBLIC_KEY"
    )
    private_key = load_key("EPAY_PRIVATE_KEY", private_path, lambda pem: serialization.load_pem_private_key(pem, None))
    public_key = load_key("EPAY_PLATFORM_PUBLIC_KEY", public_path, serialization.load_pem_public_key)
    if not isinstance(private_key, rsa.RSAPrivateKey) or not isinstance(public_key, rsa.RSAPublicKey):
        raise Misconfigured("payment channel epay: V2 keys must be RSA")
    if private_key.public_key().public_numbers() == public_key.public_numbers():
        raise Misconfigured(
            "payment channel epay: KAMENG_EPAY_PLATFORM_PUBLIC_KEY is our own public key, not the platform's"
        )
    return EpayV2(pid, Rsa(private_key, public_key), url, str(config.get("EPAY_TYPE") or ""))
