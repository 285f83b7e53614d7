"""WeChat Pay API v3: the wire protocol, free of any service or transport.

- Every request carries `Authorization: WECHATPAY2-SHA256-RSA2048 mchid=..,nonce_str=..,
  signature=..,timestamp=..,serial_no=..`, the signature being SHA256withRSA (PKCS#1 v1.5) with our
  merchant key over `METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n`.
- Every answer and every notify is signed by the platform: `Wechatpay-Signature` over
  `TIMESTAMP\\nNONCE\\nBODY\\n` with the key of the platform certificate named by
  `Wechatpay-Serial` (several certificates may be configured, comma-separated paths, for the
  weeks when WeChat rotates them; or WeChat's platform public key with its `PUB_KEY_ID_...`); a
  stale `Wechatpay-Timestamp` (more than 5 minutes off) is refused.
- A notify's `resource` is AES-256-GCM encrypted with the API v3 key (nonce and associated_data
  given beside the ciphertext).

Amounts are integer fen on the wire already (`amount.total`); they are checked to be ints."""

import base64
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

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

SCHEME = "WECHATPAY2-SHA256-RSA2048"
MAX_SKEW_S = 300
CURRENCY = "CNY"
BEIJING = timezone(timedelta(hours=8))


@dataclass(frozen=True)
class Config:
    mchid: str
    appid: str
    apiv3_key: bytes  # 32 bytes: decrypts notify resources
    private_key: rsa.RSAPrivateKey  # ours: signs requests
    cert_serial: str  # serial of our merchant API certificate
    platform_keys: dict  # the platform's, by certificate serial (or public key id): verify
    url: str  # e.g. https://api.mch.weixin.qq.com


def load_config(config: Mapping[str, Any]) -> Config:
    """From the settings KAMENG_WECHAT_* (key and certificate as PEM file paths). Anything empty or
    unusable is Misconfigured: the channel refuses to start."""
    mchid, appid, apiv3_key, private_key_path, cert_serial, platform_cert_path, url = required(
        config,
        "wechat",
        "WECHAT_MCHID",
        "WECHAT_APPID",
        "WECHAT_APIV3_KEY",
        "WECHAT_PRIVATE_KEY",
        "WECHAT_CERT_SERIAL",
        "WECHAT_PLATFORM_CERT",
        "WECHAT_URL",
    )
    key = str(apiv3_key).encode()
    if len(key) != 32:
        raise Misconfigured("payment channel wechat: KAMENG_WECHAT_APIV3_KEY must be 32 characters")
    private_key = read_pem("wechat", private_key_path, lambda pem: serialization.load_pem_private_key(pem, None))
    platform_keys = dict(
        _platform_key(path.strip(), config.get("WECHAT_PUBLIC_KEY_ID"))
        for path in str(platform_cert_path).split(",")
        if path.strip()
    )
    if not isinstance(private_key, rsa.RSAPrivateKey) or not all(
        isinstance(k, rsa.RSAPublicKey) for k in platform_keys.values()
    ):
        raise Misconfigured("payment channel wechat: keys must be RSA")
    return Config(str(mchid), str(appid), key, private_key, str(cert_serial), platform_keys, url.rstrip("/"))


# -- signatures ---------------------------------------------------------------------------------


def rsa_sign(private_key: rsa.RSAPrivateKey, message: str) -> str:
    return base64.b64encode(private_key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def rsa_verify(public_key: rsa.RSAPublicKey, message: str, signature: str) -> bool:
    try:
        public_key.verify(
            base64.b64decode(signature, validate=True), message.encode(), padding.PKCS1v15(), hashes.SHA256()
        )
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def authorization(
    cfg: Config, method: str, path: str, body: str = "", timestamp: int | str | None = None, nonce: str | None = None
) -> str:
    """The Authorization header of one request (`path` with its query string)."""
    timestamp = str(timestamp if timestamp is not None else int(time.time()))
    nonce = nonce or secrets.token_hex(16).upper()
    signature = rsa_sign(cfg.private_key, f"{method}\n{path}\n{timestamp}\n{nonce}\n{body}\n")
    return (
        f'{SCHEME} mchid="{cfg.mchid}",nonce_str="{nonce}",signature="{signature}",'
        f'timestamp="{timestamp}",serial_no="{cfg.cert_serial}"'
    )


def _header(headers: Mapping[str, Any], name: str) -> str:
    name = name.lower()
    return next((str(v) for k, v in headers.items() if k.lower() == name), "")


def verify_signed(cfg: Config, headers: Mapping[str, Any], body: str, now: float | None = None) -> None:
    """Check the platform's signature headers over `body` (text), or raise Refused."""
    serial, stamp = _header(headers, "Wechatpay-Serial"), _header(headers, "Wechatpay-Timestamp")
    nonce, signature = _header(headers, "Wechatpay-Nonce"), _header(headers, "Wechatpay-Signature")
    if not (serial and stamp and nonce and signature):
        raise Refused("wechat: signature headers missing")
    kind = _header(headers, "Wechatpay-Signature-Type")
    if kind and kind != SCHEME:
        raise Refused(f"wechat: signature type {kind[:40]}")
    platform_key = cfg.platform_keys.get(_key_id(serial))
    if platform_key is None:
        raise Refused("wechat: unknown platform certificate serial")
    if not stamp.isdigit() or abs((now if now is not None else time.time()) - int(stamp)) > MAX_SKEW_S:
        raise Refused("wechat: stale or bad timestamp")
    if not rsa_verify(platform_key, f"{stamp}\n{nonce}\n{body}\n", signature):
        raise Refused("wechat: signature invalid")


def _platform_key(path: str, public_key_id: str | None) -> tuple[int | str, PublicKeyTypes]:
    """(id, public key) of one configured platform file: a certificate (id: its serial number), or
    WeChat's platform public key (PEM "PUBLIC KEY", the mode of merchants registered since 2024;
    id: KAMENG_WECHAT_PUBLIC_KEY_ID, "PUB_KEY_ID_...")."""
    if b"-----BEGIN PUBLIC KEY-----" not in read_pem("wechat", path, bytes):
        cert = read_pem("wechat", path, x509.load_pem_x509_certificate)
        return cert.serial_number, cert.public_key()
    if not public_key_id:
        raise Misconfigured(f"payment channel wechat: {path} is a public key but KAMENG_WECHAT_PUBLIC_KEY_ID is empty")
    return str(public_key_id), read_pem("wechat", path, serialization.load_pem_public_key)


def _key_id(serial: str) -> int | str | None:
    """Wechatpay-Serial as the key of `platform_keys`: a certificate's serial number, or the id
    of a platform public key as it is."""
    if serial.startswith("PUB_KEY_ID_"):
        return serial
    try:
        return int(serial, 16)
    except ValueError:
        return None


# -- requests: (method, path, body) -------------------------------------------------------------


def _json(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def order_request(
    cfg: Config,
    payment_no: str,
    amount: int,
    description: str,
    notify_url: str,
    client_ip: str | None = None,
    time_expire: str | None = None,
) -> tuple[str, str, str]:
    """Native (QR code, answers code_url) or, given the buyer's IP, H5 (answers h5_url)."""
    body = {
        "appid": cfg.appid,
        "mchid": cfg.mchid,
        "description": description[:127],
        "out_trade_no": payment_no,
        "notify_url": notify_url,
        "amount": {"total": amount, "currency": CURRENCY},
    }
    if time_expire:
        body["time_expire"] = time_expire
    kind = "native"
    if client_ip:
        kind = "h5"
        body["scene_info"] = {"payer_client_ip": client_ip, "h5_info": {"type": "Wap"}}
    return "POST", f"/v3/pay/transactions/{kind}", _json(body)


def query_request(cfg: Config, payment_no: str) -> tuple[str, str, str]:
    return "GET", f"/v3/pay/transactions/out-trade-no/{quote(payment_no)}?mchid={quote(cfg.mchid)}", ""


def refund_request(
    cfg: Config, payment_no: str, refund_no: str, amount: int, total: int, reason: str = ""
) -> tuple[str, str, str]:
    """`refund_no` (out_refund_no) makes the refund idempotent and allows partial refunds."""
    body = {
        "out_trade_no": payment_no,
        "out_refund_no": refund_no,
        "amount": {"refund": amount, "total": total, "currency": CURRENCY},
    }
    if reason:
        body["reason"] = reason[:80]
    return "POST", "/v3/refund/domestic/refunds", _json(body)


def refund_query_request(cfg: Config, refund_no: str) -> tuple[str, str, str]:
    return "GET", f"/v3/refund/domestic/refunds/{quote(refund_no)}", ""


def headers_for(
    cfg: Config, method: str, path: str, body: str, timestamp: int | str | None = None, nonce: str | None = None
) -> dict[str, str]:
    return {
        "Authorization": authorization(cfg, method, path, body, timestamp, nonce),
        "Accept": "application/json",
        "Content-Type": "application/json",
        "User-Agent": "kameng (wechatpay v3)",
    }


# -- answers ------------------------------------------------------------------------------------


def verified_answer(
    cfg: Config, status: int, headers: Mapping[str, Any], body: str, now: float | None = None
) -> dict[str, Any]:
    """A 2xx answer is believed only once its signature checks; any other status is the
    platform's {"code", "message"} (returned, not acted on beyond "not done")."""
    if 200 <= status < 300:
        verify_signed(cfg, headers, body, now)
        return json.loads(body) if body else {}
    try:
        error = json.loads(body)
    except ValueError:
        error = {}
    return {"error": str(error.get("code") or status) if isinstance(error, dict) else str(status)}


def parse_order(answer: Mapping[str, Any]) -> str:
    """Native/H5 order answer -> the URL to show (code_url as a QR code, or h5_url)."""
    url = answer.get("code_url") or answer.get("h5_url")
    if not url:
        raise Refused(f"wechat order refused: {answer.get('error', 'no url')}")
    return url


def parse_query(answer: Mapping[str, Any]) -> dict[str, Any]:
    """Order query answer -> {"status": "paid" | "open" | "closed" | "unknown", ...}."""
    if answer.get("error") == "ORDER_NOT_EXIST":
        return {"status": "unknown", "payment_no": None, "amount": None, "trade_no": None}
    if "error" in answer:
        raise Refused(f"wechat query failed: {answer['error']}")
    state: Any = answer.get("trade_state")  # whatever the JSON holds (None, a string, ...)
    status = {"SUCCESS": "paid", "REFUND": "paid", "CLOSED": "closed", "REVOKED": "closed", "PAYERROR": "closed"}.get(
        state, "open"
    )
    total = (answer.get("amount") or {}).get("total")
    return {
        "status": status,
        "payment_no": answer.get("out_trade_no"),
        "trade_no": answer.get("transaction_id"),
        "amount": total if _is_int(total) else None,
    }


def parse_refund(answer: Mapping[str, Any]) -> dict[str, Any]:
    """Refund (or refund query) answer -> {"status": "refunded" | "pending" | "failed", "reason"}."""
    if "error" in answer:
        return {"status": "failed", "reason": answer["error"], "trade_no": None}
    reported: Any = answer.get("status")  # whatever the JSON holds (None, a string, ...)
    status = {"SUCCESS": "refunded", "PROCESSING": "pending"}.get(reported, "failed")
    return {
        "status": status,
        "reason": None if status != "failed" else reported,
        "trade_no": answer.get("refund_id"),
    }


# -- the notify ---------------------------------------------------------------------------------


def decrypt_resource(apiv3_key: bytes, resource: object) -> Any:
    """AEAD_AES_256_GCM: the resource's ciphertext (base64, tag appended) -> its JSON."""
    if not isinstance(resource, dict) or resource.get("algorithm") != "AEAD_AES_256_GCM":
        raise Refused("wechat notify: resource not AEAD_AES_256_GCM")
    try:
        plain = AESGCM(apiv3_key).decrypt(
            str(resource["nonce"]).encode(),
            base64.b64decode(str(resource["ciphertext"]), validate=True),
            str(resource.get("associated_data") or "").encode(),
        )
        return json.loads(plain)
    except (KeyError, ValueError, InvalidTag):
        raise Refused("wechat notify: resource does not decrypt") from None


def verify_notify(cfg: Config, headers: Mapping[str, Any], body: str, now: float | None = None) -> Notice:
    """A notify (its headers and raw body text) -> the Notice that settlement checks against our
    payment (number, channel, amount, state), or Refused with the reason."""
    verify_signed(cfg, headers, body, now)
    try:
        event = json.loads(body)
    except ValueError:
        raise Refused("wechat notify: body is not JSON") from None
    if not isinstance(event, dict) or event.get("event_type") != "TRANSACTION.SUCCESS":
        raise Refused("wechat notify: not TRANSACTION.SUCCESS")
    tx = decrypt_resource(cfg.apiv3_key, event.get("resource"))
    if not isinstance(tx, dict):
        raise Refused("wechat notify: resource is not an object")
    for field in ("mchid", "appid", "out_trade_no", "transaction_id", "trade_state", "amount"):
        if not tx.get(field):
            raise Refused(f"wechat notify: {field} missing")
    if tx["mchid"] != cfg.mchid:
        raise Refused("wechat notify: another merchant's")
    if tx["appid"] != cfg.appid:
        raise Refused("wechat notify: another app's")
    if tx["trade_state"] != "SUCCESS":
        raise Refused(f"wechat notify: trade_state {str(tx['trade_state'])[:20]}")
    amount = tx["amount"] if isinstance(tx["amount"], dict) else {}
    if not _is_int(amount.get("total")) or amount.get("currency", CURRENCY) != CURRENCY:
        raise Refused("wechat notify: amount is not integer CNY fen")
    return Notice(
        payment_no=str(tx["out_trade_no"]), amount=amount["total"], trade_no=str(tx["transaction_id"]), paid=True
    )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def reply(ok: bool, message: str = "") -> tuple[int, dict[str, str], str]:
    """(status, headers, body) per v3: 204 without a body once received; otherwise a 4xx with
    {"code": "FAIL", "message"} so that the platform retries."""
    if ok:
        return 204, {}, ""
    return 400, {"Content-Type": "application/json"}, _json({"code": "FAIL", "message": message[:120] or "FAIL"})


# -- the channel --------------------------------------------------------------------------------


class Wechat:
    """The `Channel` (see channels/__init__.py) over the functions above and the one Http helper.
    Orders are Native: the buyer scans `code_url` (our pay page shows it as a QR code). H5 needs
    the buyer's IP, which the payment intent does not carry (order_request supports it)."""

    name = "wechat"

    def __init__(self, cfg: Config, window_s: float = 900, http: Http | None = None) -> None:
        self.cfg, self.window_s, self.http = cfg, int(window_s), http or Http()

    def start_payment(self, payment: Payment, urls: Urls) -> dict[str, Any]:
        expire = datetime.now(BEIJING) + timedelta(seconds=self.window_s)
        answer = self._call(
            *order_request(
                self.cfg,
                payment.payment_no,
                payment.amount,
                f"kameng {payment.order_no}",
                urls.notify_url,
                time_expire=expire.isoformat(timespec="seconds"),
            )
        )
        try:
            code_url = parse_order(answer)
        except Refused as exc:
            raise ChannelError(str(exc)) from None
        return {"pay_url": f"{urls.public_url}/pay/{payment.payment_no}", "qr_code": code_url}

    def verify_notify(self, request: dict[str, Any]) -> Notice:
        try:
            body = bytes(request.get("body") or b"").decode("utf-8")
        except UnicodeDecodeError:
            raise Refused("wechat notify: body is not UTF-8") from None
        return verify_notify(self.cfg, dict(request.get("headers") or {}), body)

    def reply(self, ok: bool) -> tuple[int, dict[str, str], str]:
        return reply(ok, "" if ok else "notification not accepted")

    def query(self, payment: Payment) -> Notice | None:
        try:
            found = parse_query(self._call(*query_request(self.cfg, payment.payment_no)))
        except Refused as exc:
            raise ChannelError(str(exc)) from None
        if found["status"] == "unknown":
            return None
        if found["payment_no"] != payment.payment_no or found["amount"] is None:
            raise ChannelError("wechat answered about another order, or without an amount")
        return Notice(
            payment_no=payment.payment_no,
            amount=found["amount"],
            trade_no=found["trade_no"],
            paid=found["status"] == "paid",
        )

    def refund(self, payment: Payment, refund_no: str, amount: int, reason: str) -> dict[str, Any]:
        """A refund already asked for (a retry, or one left PROCESSING) is looked up by its
        out_refund_no first; only a refund WeChat has never seen is asked for."""
        known = self._call(*refund_query_request(self.cfg, refund_no))
        if known.get("error") == "RESOURCE_NOT_EXISTS":
            known = self._call(*refund_request(self.cfg, payment.payment_no, refund_no, amount, payment.amount, reason))
        done = parse_refund(known)
        if done["status"] == "failed":
            return {"status": "failed", "error": f"wechat: {done['reason']}"}
        return {"status": done["status"], "channel_refund_no": done["trade_no"]}

    def _call(self, method: str, path: str, body: str) -> dict[str, Any]:
        """One signed request; the answer is believed only once its signature checks. Throttling
        (429) and an answer that does not verify are ChannelErrors: tried again later."""
        response = self.http.request(
            method,
            self.cfg.url + path,
            data=body.encode() if body else None,
            headers=headers_for(self.cfg, method, path, body),
        )
        if response.status_code == 429:
            raise ChannelError("wechat: throttled")
        try:
            return verified_answer(self.cfg, response.status_code, response.headers, response.content.decode("utf-8"))
        except (Refused, UnicodeDecodeError, ValueError) as exc:
            raise ChannelError(f"wechat answer: {exc}") from None


@register("wechat")
def build(config: Mapping[str, Any]) -> Wechat:
    return Wechat(load_config(config), window_s=config.get("PAYMENT_WINDOW_S", 900))
