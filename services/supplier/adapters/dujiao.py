"""An adapter for dujiao-next's upstream API (上游供货 API), so that a merchant can source from any
dujiao-next shop that gave them an API credential (approved key + secret, a prepaid wallet).

Read from the project's published source, github.com/dujiao-next/dujiao-next:
- internal/http/handlers/upstream/upstream_handler.go (commit a88575e0): the routes
  POST /api/v1/upstream/ping, POST /api/v1/upstream/orders, GET /api/v1/upstream/orders/:id and
  the callback a downstream shop receives; their request and answer shapes and error codes;
- the signer used by internal/upstream (Sign/Verify, headers `Dujiao-Next-Api-Key`,
  `Dujiao-Next-Timestamp`, `Dujiao-Next-Signature`, skew 60 s) and the auth middleware
  (internal/router/upstream_auth.go: 401 missing_auth_headers / invalid_timestamp /
  timestamp_expired / invalid_signature, 403 invalid_api_key / user_disabled);
- internal/upstream/dujiao_next.go (the project's own client: path signed without its query,
  empty body for GET and ping). The signer, this client and the middleware were read from copies
  of those paths in forks (e.g. SzeMeng76/dujiao-next, cike008/dujiao-next): the index holds no
  copy of them from the main repository, whose handler calls the same Sign/Verify;
- internal/service/downstream_callback_service.go (commit a88575e0): the callback body
  {event, order_id, order_no, downstream_order_no, status, fulfillment, timestamp}, signed with the
  credential's secret over the FIXED path /api/v1/upstream/callback, retried until the answer is
  200 with {"ok": true};
- internal/constants/constants.go: order statuses; internal/modules/fulfillment/application/
  service.go: auto delivery puts the card secrets in `fulfillment.payload`, one per line.

signature = hex HMAC-SHA256(secret, METHOD \\n PATH \\n TIMESTAMP \\n hex MD5(body))

Mapping onto our interface:
- buy_codes: an order for the SKU (`sku_id` = our supplier_product_id), paid from the wallet,
  `downstream_order_no` = request_id (the shop answers a repeated one with the first order: one
  purchase); auto delivery happens on the shop's queue, so the order is read back until it is
  delivered (settings `buy_wait_s`, `poll_s`), its payload lines being the codes.
- recharge: dujiao-next has no direct-recharge API. A shop sells top-ups as manual-delivery
  products whose form asks for the account; with settings `recharge_form_field` (the form field's
  key) the adapter orders such a SKU with `manual_form_data` {field: account}, `callback_url` and
  `downstream_order_no` = attempt id. Without it, recharge answers FAILED, reason "unsupported".
  delivered/completed -> SUCCEEDED, canceled/refunded -> FAILED, paid/fulfilling -> PENDING.
- query: by the shop's order id (GET). Without one (the create timed out), by our attempt id:
  the create handler answers an existing `downstream_order_no` before it looks the SKU up, so a
  create naming a SKU id that cannot exist reads the order (existing: its state) or refuses with
  400 sku_unavailable having created nothing (FAILED: never received).
- parse_callback: the api key must be ours, the timestamp within 60 s, the signature over
  POST /api/v1/upstream/callback. Answer it with `callback_ack("dujiao-next")`.

Credentials: {"api_key", "api_secret"}."""

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
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

API = "/api/v1/upstream"
CALLBACK_PATH = "/api/v1/upstream/callback"  # what the shop signs its callbacks over, whatever our URL
HEADER_KEY, HEADER_TS, HEADER_SIG = "Dujiao-Next-Api-Key", "Dujiao-Next-Timestamp", "Dujiao-Next-Signature"
MAX_SKEW_S = 60
NO_SUCH_SKU = 2**63 - 1  # fits every database's integer ids, never issued
SUCCEEDED = {"delivered", "completed", "fulfilled"}
FAILED = {"canceled", "cancelled", "refunded"}
PENDING = {"pending_payment", "paid", "fulfilling", "partially_delivered"}


def sign(secret: str, method: str, path: str, timestamp: int | str, body: bytes) -> str:
    canonical = f"{method}\n{path}\n{timestamp}\n{hashlib.md5(body).hexdigest()}"
    return hmac.new(secret.encode(), canonical.encode(), hashlib.sha256).hexdigest()


def outcome_of(status: Any) -> Outcome:
    status = str(status or "").strip().lower()
    if status in SUCCEEDED:
        return Outcome.SUCCEEDED
    if status in FAILED:
        return Outcome.FAILED
    return Outcome.PENDING if status in PENDING else Outcome.UNKNOWN


class DujiaoNextAdapter:
    def __init__(self, base_url: str, settings: Mapping[str, Any], credentials: Mapping[str, Any], timeout_s: float):
        self.base_url = base_url.rstrip("/")
        self.api_key, self.secret = str(credentials.get("api_key") or ""), str(credentials.get("api_secret") or "")
        if not self.api_key or not self.secret:
            raise ValueError("credentials need api_key and api_secret")
        self.form_field = settings.get("recharge_form_field") or None
        self.buy_wait_s = float(settings.get("buy_wait_s", 10.0))
        self.poll_s = float(settings.get("poll_s", 0.5))
        self.timeout_s = timeout_s

    def _call(self, method: str, path: str, payload: dict[str, Any] | None = None) -> http.Answer:
        body = json.dumps(payload, separators=(",", ":")).encode() if payload is not None else b""
        timestamp = int(time.time())
        headers = {
            HEADER_KEY: self.api_key,
            HEADER_TS: str(timestamp),
            HEADER_SIG: sign(self.secret, method, path, timestamp, body),
        }
        if payload is not None:
            headers["Content-Type"] = "application/json"
        return http.send(method, self.base_url + path, body or None, headers, self.timeout_s)

    @staticmethod
    def _order(answer: http.Answer) -> tuple[dict[str, Any] | None, str]:
        """(the answer's JSON object, a short reason naming its error code) - no secrets in there."""
        data = answer.json()
        code = str((data or {}).get("error_code") or f"HTTP {answer.status}")
        return data, code

    def _result(self, answer: http.Answer, refusal_is_final: bool) -> RechargeResult:
        data, code = self._order(answer)
        if data is None:
            return RechargeResult(Outcome.UNKNOWN, reason=f"unreadable answer (HTTP {answer.status})")
        order_id = str(data["order_id"]) if data.get("order_id") else None
        if answer.status == 200 and data.get("ok") is True:
            outcome = outcome_of(data.get("status"))
            reason = None if outcome in (Outcome.SUCCEEDED, Outcome.PENDING) else f"order {data.get('status')}"
            return RechargeResult(outcome, order_id, reason)
        if answer.status == 200:  # ok false: the wallet payment failed, the order was canceled
            return RechargeResult(Outcome.FAILED, order_id, code)
        if 400 <= answer.status < 500 and refusal_is_final:  # refused before any order was made
            return RechargeResult(Outcome.FAILED, order_id, code)
        return RechargeResult(Outcome.UNKNOWN, order_id, code)

    # -- the interface -------------------------------------------------------------------------
    def recharge(
        self, product_id: str, account: str, quantity: int, attempt_id: str, callback_url: str
    ) -> RechargeResult:
        if not self.form_field:
            return RechargeResult(Outcome.FAILED, reason="unsupported")
        if not str(product_id).isdigit():
            return RechargeResult(Outcome.FAILED, reason="a dujiao-next sku_id is a number")
        payload = {
            "sku_id": int(product_id),
            "quantity": quantity,
            "manual_form_data": {self.form_field: account},
            "downstream_order_no": attempt_id,
            "trace_id": attempt_id,
            "callback_url": callback_url,
        }
        try:
            answer = self._call("POST", f"{API}/orders", payload)
        except http.NotSent as exc:
            return RechargeResult(Outcome.FAILED, reason=f"never received: {exc}")
        except http.NoAnswer as exc:
            return RechargeResult(Outcome.UNKNOWN, reason=f"no answer: {exc}")
        return self._result(answer, refusal_is_final=True)

    def query(self, attempt_id: str, supplier_order_id: str | None) -> RechargeResult:
        try:
            if supplier_order_id:
                answer = self._call("GET", f"{API}/orders/{supplier_order_id}")
                if answer.status == 404:
                    return RechargeResult(Outcome.FAILED, supplier_order_id, "order_not_found")
                result = self._result(answer, refusal_is_final=False)
                return RechargeResult(result.outcome, result.supplier_order_id or supplier_order_id, result.reason)
            probe = {"sku_id": NO_SUCH_SKU, "quantity": 1, "downstream_order_no": attempt_id}
            answer = self._call("POST", f"{API}/orders", probe)
        except (http.NotSent, http.NoAnswer) as exc:
            return RechargeResult(Outcome.UNKNOWN, supplier_order_id, f"query failed: {exc}")
        if answer.status == 400 and self._order(answer)[1] == "sku_unavailable":
            return RechargeResult(Outcome.FAILED, reason="the shop never received it (no such downstream order)")
        return self._result(answer, refusal_is_final=False)

    def buy_codes(self, product_id: str, quantity: int, request_id: str) -> list[PurchasedCode]:
        if not str(product_id).isdigit():
            raise SupplierError("a dujiao-next sku_id is a number")
        payload = {
            "sku_id": int(product_id),
            "quantity": quantity,
            "downstream_order_no": request_id,
            "trace_id": request_id,
        }
        try:
            answer = self._call("POST", f"{API}/orders", payload)
        except http.NotSent as exc:
            raise SupplierError(f"never received: {exc}") from None
        except http.NoAnswer as exc:
            raise PurchaseUnsettled(f"no answer: {exc}") from None
        result = self._result(answer, refusal_is_final=True)
        if result.outcome is Outcome.FAILED:
            raise SupplierError(f"nothing bought: {result.reason}")
        if result.supplier_order_id is None:
            raise PurchaseUnsettled(f"no order in the answer: {result.reason}")
        return self._delivered(result.supplier_order_id)

    def _delivered(self, order_id: str) -> list[PurchasedCode]:
        """Read the order back until its codes are there (the shop delivers from its queue)."""
        deadline = time.monotonic() + self.buy_wait_s
        while True:
            try:
                answer = self._call("GET", f"{API}/orders/{order_id}")
            except (http.NotSent, http.NoAnswer):
                answer = None
            data = answer.json() if answer is not None and answer.status == 200 else None
            if data is not None and data.get("ok") is True:
                outcome = outcome_of(data.get("status"))
                if outcome is Outcome.FAILED:
                    raise SupplierError(f"nothing bought: order {order_id} {data.get('status')}")
                payload = (data.get("fulfillment") or {}).get("payload")
                if outcome is Outcome.SUCCEEDED and isinstance(payload, str):
                    return [PurchasedCode(line.strip()) for line in payload.splitlines() if line.strip()]
            if time.monotonic() + self.poll_s > deadline:
                raise PurchaseUnsettled(f"order {order_id} taken, not delivered yet: retry with the same request_id")
            time.sleep(self.poll_s)

    def parse_callback(self, headers: dict[str, str], body: bytes) -> Callback:
        stamp, given = http.header(headers, HEADER_TS), http.header(headers, HEADER_SIG).lower()
        if not hmac.compare_digest(http.header(headers, HEADER_KEY), self.api_key):
            raise InvalidCallback("unknown api key")
        if not stamp.lstrip("-").isdigit() or abs(time.time() - int(stamp)) > MAX_SKEW_S:
            raise InvalidCallback("stale or missing timestamp")
        if not given or not hmac.compare_digest(given, sign(self.secret, "POST", CALLBACK_PATH, stamp, body)):
            raise InvalidCallback("bad signature")
        try:
            data = json.loads(body)
        except ValueError:
            raise InvalidCallback("not JSON") from None
        if not isinstance(data, dict) or not data.get("downstream_order_no") or not data.get("status"):
            raise InvalidCallback("missing downstream_order_no or status")
        outcome = outcome_of(data["status"])
        reason = None if outcome in (Outcome.SUCCEEDED, Outcome.PENDING) else f"order {data['status']}"
        order_id = str(data["order_id"]) if data.get("order_id") else None
        return Callback(str(data["downstream_order_no"]), RechargeResult(outcome, order_id, reason))

    def probe(self) -> None:
        try:
            answer = self._call("POST", f"{API}/ping")
        except (http.NotSent, http.NoAnswer) as exc:
            raise SupplierError(f"ping: {exc}") from None
        data, code = self._order(answer)
        if answer.status != 200 or data is None or data.get("ok") is not True:
            raise SupplierError(f"ping: {code}")


def factory(
    base_url: str, settings: Mapping[str, Any], credentials: Mapping[str, Any], timeout_s: float
) -> DujiaoNextAdapter:
    return DujiaoNextAdapter(base_url, settings, credentials, timeout_s)
