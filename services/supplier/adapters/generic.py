"""The generic JSON-over-HTTP supplier adapter (docs/suppliers.md, "The generic protocol").

Every request is a JSON body with `X-App-Id` and `X-Sign` (hex HMAC-SHA256(key, body) by default,
or hex MD5(body + key)); every path, field name, header name and status value can be renamed in
the supplier's `settings`, so that a supplier speaking a close dialect needs no code:

    {"paths": {"recharge": "/api/recharge"}, "fields": {"order_id": "out_trade_no"},
     "sign": "md5", "status": {"success": "SUCCESS"}, "headers": {"sign": "X-Signature"},
     "ok_code": 0}

Credentials: {"app_id", "key"}. Outcomes (DESIGN §3, issue 17): a request that never reached the
supplier is FAILED; a timeout, a reset, a 5xx or an unreadable answer is UNKNOWN (the domain
queries it), unless the answer says "failed"."""

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from services.supplier.adapters import http
from services.supplier.adapters.base import (
    Callback,
    InvalidCallback,
    Outcome,
    PurchasedCode,
    PurchaseUnsettled,
    RechargeResult,
    SupplierError,
)

PATHS = {"recharge": "/recharge", "query": "/query", "buy": "/buy", "ping": "/ping"}
FIELDS = {
    # requests (and the callback's reference to our attempt)
    "order_id": "order_id",  # our attempt id
    "product_id": "product_id",
    "account": "account",
    "quantity": "quantity",
    "notify_url": "notify_url",
    "request_id": "request_id",
    # answers
    "code": "code",  # 0 (ok_code) when the call succeeded
    "status": "status",
    "message": "message",
    "supplier_order_id": "order_id",  # the supplier's own order id, in answers
    "codes": "codes",
    "card_code": "code",
    "card_secret": "secret",
    "card_expires_on": "expires_on",
    # callbacks
    "callback_supplier_order_id": "supplier_order_id",
}
STATUS = {"success": "success", "failed": "failed", "processing": "processing", "not_found": "not_found"}
HEADERS = {"app_id": "X-App-Id", "sign": "X-Sign"}
SIGNS = ("hmac-sha256", "md5")


def signature(mode: str, key: str, body: bytes) -> str:
    if mode == "md5":
        return hashlib.md5(body + key.encode()).hexdigest()
    return hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


class GenericAdapter:
    def __init__(self, base_url: str, settings: Mapping[str, Any], credentials: Mapping[str, Any], timeout_s: float):
        self.base_url = base_url.rstrip("/")
        self.paths = {**PATHS, **(settings.get("paths") or {})}
        self.fields = {**FIELDS, **(settings.get("fields") or {})}
        self.status = {**STATUS, **(settings.get("status") or {})}
        self.headers = {**HEADERS, **(settings.get("headers") or {})}
        self.sign = settings.get("sign") or "hmac-sha256"
        if self.sign not in SIGNS:
            raise ValueError(f"sign must be one of {', '.join(SIGNS)}")
        self.ok_code = str(settings.get("ok_code", 0))
        self.app_id, self.key = str(credentials.get("app_id") or ""), str(credentials.get("key") or "")
        if not self.app_id or not self.key:
            raise ValueError("credentials need app_id and key")
        self.timeout_s = timeout_s

    # -- the wire ------------------------------------------------------------------------------
    def _post(self, kind: str, payload: dict[str, Any]) -> http.Answer:
        body = json.dumps({self.fields[k]: v for k, v in payload.items()}, separators=(",", ":")).encode()
        return http.send("POST", self.base_url + self.paths[kind], body, self._signed(body), self.timeout_s)

    def _signed(self, body: bytes) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            self.headers["app_id"]: self.app_id,
            self.headers["sign"]: signature(self.sign, self.key, body),
        }

    def _ok(self, data: dict[str, Any] | None) -> bool:
        return data is not None and str(data.get(self.fields["code"])) == self.ok_code

    def _outcome(self, status: Any) -> Outcome | None:
        return {
            self.status["success"]: Outcome.SUCCEEDED,
            self.status["failed"]: Outcome.FAILED,
            self.status["processing"]: Outcome.PENDING,
        }.get(str(status))

    def _read(self, answer: http.Answer) -> RechargeResult:
        """An answer to recharge or query: only a readable "failed" or a successful call counts;
        anything else from the supplier's side (5xx, code != ok, a status we do not know) is UNKNOWN."""
        data = answer.json()
        if data is None:
            return RechargeResult(Outcome.UNKNOWN, reason=f"unreadable answer (HTTP {answer.status})")
        supplier_order_id = data.get(self.fields["supplier_order_id"])
        supplier_order_id = None if supplier_order_id in (None, "") else str(supplier_order_id)
        message = str(data.get(self.fields["message"]) or "")[:200] or None
        outcome = self._outcome(data.get(self.fields["status"]))
        if outcome is Outcome.FAILED:
            return RechargeResult(Outcome.FAILED, supplier_order_id, message or "failed at the supplier")
        if answer.status >= 500 or not self._ok(data):
            return RechargeResult(
                Outcome.UNKNOWN, supplier_order_id, f"supplier error (HTTP {answer.status}): {message}"
            )
        if outcome is None:
            return RechargeResult(Outcome.UNKNOWN, supplier_order_id, "unknown status")
        return RechargeResult(outcome, supplier_order_id, None)

    # -- the interface -------------------------------------------------------------------------
    def recharge(
        self, product_id: str, account: str, quantity: int, attempt_id: str, callback_url: str
    ) -> RechargeResult:
        payload = {
            "order_id": attempt_id,
            "product_id": product_id,
            "account": account,
            "quantity": quantity,
            "notify_url": callback_url,
        }
        try:
            answer = self._post("recharge", payload)
        except http.NotSent as exc:
            return RechargeResult(Outcome.FAILED, reason=f"never received: {exc}")
        except http.NoAnswer as exc:
            return RechargeResult(Outcome.UNKNOWN, reason=f"no answer: {exc}")
        return self._read(answer)

    def query(self, attempt_id: str, supplier_order_id: str | None) -> RechargeResult:
        try:
            answer = self._post("query", {"order_id": attempt_id})
        except (http.NotSent, http.NoAnswer) as exc:
            return RechargeResult(Outcome.UNKNOWN, supplier_order_id, reason=f"query failed: {exc}")
        data = answer.json()
        if self._ok(data) and data is not None and str(data.get(self.fields["status"])) == self.status["not_found"]:
            return RechargeResult(Outcome.FAILED, reason="the supplier never received it (not found)")
        result = self._read(answer)
        if result.supplier_order_id is None and supplier_order_id:
            return RechargeResult(result.outcome, supplier_order_id, result.reason)
        return result

    def buy_codes(self, product_id: str, quantity: int, request_id: str) -> list[PurchasedCode]:
        payload = {"request_id": request_id, "product_id": product_id, "quantity": quantity}
        try:
            answer = self._post("buy", payload)
        except http.NotSent as exc:
            raise SupplierError(f"never received: {exc}") from None
        except http.NoAnswer as exc:
            raise PurchaseUnsettled(f"no answer: {exc}") from None
        data = answer.json()
        if data is None or answer.status >= 500:
            raise PurchaseUnsettled(f"unreadable answer (HTTP {answer.status})")
        if not self._ok(data):
            message = str(data.get(self.fields["message"]) or "")[:200]
            raise SupplierError(f"refused (code {data.get(self.fields['code'])}): {message}")
        cards = data.get(self.fields["codes"])
        if not isinstance(cards, list):
            raise PurchaseUnsettled("answer without codes")
        return [self._card(card) for card in cards]

    def _card(self, card: Any) -> PurchasedCode:
        if not isinstance(card, dict) or not card.get(self.fields["card_code"]):
            raise PurchaseUnsettled("a code in the answer is malformed")
        expires = card.get(self.fields["card_expires_on"])
        try:
            expires_on = date.fromisoformat(str(expires)[:10]) if expires else None
        except ValueError:
            expires_on = None
        secret = card.get(self.fields["card_secret"])
        return PurchasedCode(str(card[self.fields["card_code"]]), str(secret) if secret else None, expires_on)

    def parse_callback(self, headers: dict[str, str], body: bytes) -> Callback:
        given = http.header(headers, self.headers["sign"]).lower()
        if http.header(headers, self.headers["app_id"]) != self.app_id:
            raise InvalidCallback("unknown app id")
        if not given or not hmac.compare_digest(given, signature(self.sign, self.key, body)):
            raise InvalidCallback("bad signature")
        try:
            data = json.loads(body)
        except ValueError:
            raise InvalidCallback("not JSON") from None
        if not isinstance(data, dict) or not data.get(self.fields["order_id"]):
            raise InvalidCallback("no order id")
        outcome = self._outcome(data.get(self.fields["status"]))
        if outcome is None:
            raise InvalidCallback("unknown status")
        supplier_order_id = data.get(self.fields["callback_supplier_order_id"])
        reason = "failed at the supplier" if outcome is Outcome.FAILED else None
        result = RechargeResult(outcome, str(supplier_order_id) if supplier_order_id else None, reason)
        return Callback(str(data[self.fields["order_id"]]), result)

    def probe(self) -> None:
        try:
            answer = http.send("GET", self.base_url + self.paths["ping"], None, self._signed(b""), self.timeout_s)
        except (http.NotSent, http.NoAnswer) as exc:
            raise SupplierError(f"ping: {exc}") from None
        if answer.status != 200 or not self._ok(answer.json()):
            raise SupplierError(f"ping: HTTP {answer.status}")


def factory(
    base_url: str, settings: Mapping[str, Any], credentials: Mapping[str, Any], timeout_s: float
) -> GenericAdapter:
    return GenericAdapter(base_url, settings, credentials, timeout_s)
