"""A local double of a dujiao-next shop's upstream API (上游供货 API), over real HTTP, written from
the project's published source (github.com/dujiao-next/dujiao-next, see
services/supplier/adapters/dujiao.py for the files) and sharing no code with our adapter:

- the auth middleware: `Dujiao-Next-Api-Key`, `-Timestamp` (60 s), `-Signature` = hex
  HMAC-SHA256(secret, METHOD\\nPATH\\nTS\\nmd5hex(body)), PATH without its query; 401
  missing_auth_headers / invalid_timestamp / timestamp_expired / invalid_signature, 403
  invalid_api_key; every error as {"ok": false, "error_code", "error_message"};
- POST /api/v1/upstream/ping; POST /api/v1/upstream/orders (binding: sku_id required, quantity
  >= 1; the callback URL's SSRF check; an existing downstream_order_no answers its order BEFORE the
  SKU is looked up; sku_unavailable, product_unavailable, insufficient_stock; the wallet payment:
  200 ok false payment_failed with the order canceled); GET /api/v1/upstream/orders/:id (404
  order_not_found; `fulfillment` only once delivered);
- auto delivery on the shop's queue (`deliver_after_s`): status completed, the card secrets one
  per line in `fulfillment.payload`; manual delivery by the merchant (`deliver`, `refund`);
- callbacks to `callback_url`, signed over the fixed path /api/v1/upstream/callback, body
  {event, order_id, order_no, downstream_order_no, status, fulfillment, timestamp}."""

import hashlib
import hmac
import ipaddress
import json
import threading
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests

from tests.doubles.server import DoubleServer

CALLBACK_PATH = "/api/v1/upstream/callback"


def dj_sign(secret, method, path, timestamp, body):
    text = f"{method}\n{path}\n{timestamp}\n{hashlib.md5(body).hexdigest()}"
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def error(status, code, message):
    return status, {"ok": False, "error_code": code, "error_message": message}


def money(cents):
    return f"{cents // 100}.{cents % 100:02d}"


class DujiaoDouble(DoubleServer):
    def __init__(self, api_key="dj-key", api_secret="dj-secret", balance=100_000):
        self.credentials = {api_key: {"secret": api_secret, "user_id": 7, "active": True}}
        self.balance = balance  # the downstream user's prepaid wallet, in cents
        self.skus = {}  # sku_id -> {"price", "fulfillment": auto|manual, "active", "product_active", "cards"}
        self.orders, self.refs = {}, {}  # order_id -> order ; (api_key, downstream_order_no) -> order_id
        self.deliver_after_s = 0.05
        self.allow_private_callbacks = False  # the real shop refuses them (SSRF); tests on 127.0.0.1 allow
        self.stall_s = 0.0  # hold the next create's answer this long (after the order is made)
        self.callbacks = []  # (url, status code or error) per callback sent
        self.lock = threading.Lock()
        self.next_id = 1000

    def add_sku(self, sku_id, price=500, fulfillment="auto", cards=(), active=True, product_active=True):
        self.skus[sku_id] = {
            "price": price,
            "fulfillment": fulfillment,
            "active": active,
            "product_active": product_active,
            "cards": list(cards),
        }

    # -- HTTP ----------------------------------------------------------------------------------
    def handle(self, req):
        status, data = self._route(req)
        if data.pop("_stall", False):
            time.sleep(self.stall_s)
            self.stall_s = 0.0
        return status, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(data)

    def _route(self, req):
        if not req.path.startswith("/api/v1/upstream/"):
            return 404, {"message": "not found"}
        denied, key = self._authenticate(req)
        if denied:
            return denied
        parts = req.path.removeprefix("/api/v1/upstream/").split("/")
        if req.method == "POST" and parts == ["ping"]:
            return 200, self._ping(key)
        if req.method == "POST" and parts == ["orders"]:
            return self._create(req, key)
        if req.method == "GET" and len(parts) == 2 and parts[0] == "orders":
            return self._get(parts[1], key)
        return 404, {"message": "not found"}

    def _authenticate(self, req):
        lower = {k.lower(): v for k, v in req.headers.items()}
        key = lower.get("dujiao-next-api-key", "")
        stamp = lower.get("dujiao-next-timestamp", "")
        signature = lower.get("dujiao-next-signature", "")
        if not key or not stamp or not signature:
            return error(401, "missing_auth_headers", "missing authentication headers"), None
        try:
            timestamp = int(stamp)
        except ValueError:
            return error(401, "invalid_timestamp", "invalid timestamp"), None
        if abs(time.time() - timestamp) > 60:
            return error(401, "timestamp_expired", "timestamp expired"), None
        credential = self.credentials.get(key)
        if credential is None or not credential["active"]:
            return error(403, "invalid_api_key", "api key is invalid or disabled"), None
        expected = dj_sign(credential["secret"], req.method, req.path, timestamp, req.body.encode())
        if not hmac.compare_digest(expected, signature):
            return error(401, "invalid_signature", "signature verification failed"), None
        return None, key

    def _ping(self, key):
        return {
            "ok": True,
            "site_name": "Double Shop",
            "protocol_version": "1.0",
            "user_id": self.credentials[key]["user_id"],
            "balance": money(self.balance),
            "currency": "CNY",
            "member_level": None,
        }

    def _create(self, req, key):
        try:
            body = json.loads(req.body or "null")
            sku_id, quantity = body["sku_id"], body["quantity"]
            if not isinstance(sku_id, int) or sku_id <= 0 or not isinstance(quantity, int) or quantity < 1:
                raise ValueError
        except (ValueError, KeyError, TypeError):
            return error(400, "bad_request", "invalid request body")
        callback_url = body.get("callback_url") or ""
        if callback_url and not self._callback_url_ok(callback_url):
            return error(400, "invalid_callback_url", "callback url must not point to private network")
        downstream_no = (body.get("downstream_order_no") or "").strip()
        with self.lock:
            existing = self.refs.get((key, downstream_no)) if downstream_no else None
            if existing is not None:
                return 200, self._summary(self.orders[existing])
            sku = self.skus.get(sku_id)
            if sku is None or not sku["active"]:
                return error(400, "sku_unavailable", "sku not found")
            if not sku["product_active"]:
                return error(400, "product_unavailable", "product is not available")
            if sku["fulfillment"] == "auto" and len(sku["cards"]) < quantity:
                return error(409, "insufficient_stock", "product stock is insufficient")
            order = self._new_order(key, sku_id, sku, quantity, body, callback_url, downstream_no)
            if downstream_no:
                self.refs[(key, downstream_no)] = order["order_id"]
            if self.balance < order["amount"]:
                order["status"] = "canceled"
                return 200, {
                    "ok": False,
                    "order_id": order["order_id"],
                    "order_no": order["order_no"],
                    "status": "canceled",
                    "error_code": "payment_failed",
                    "error_message": "wallet payment failed: insufficient balance",
                }
            self.balance -= order["amount"]
            order["status"] = "paid"
            if sku["fulfillment"] == "auto":
                order["reserved"] = [sku["cards"].pop(0) for _ in range(quantity)]
                threading.Timer(self.deliver_after_s, self._auto_deliver, (order["order_id"],)).start()
        return 200, {**self._summary(order), "_stall": self.stall_s > 0}

    def _new_order(self, key, sku_id, sku, quantity, body, callback_url, downstream_no):
        self.next_id += 1
        order = {
            "order_id": self.next_id,
            "order_no": f"DJ{self.next_id}",
            "status": "pending_payment",
            "sku_id": sku_id,
            "quantity": quantity,
            "amount": sku["price"] * quantity,
            "refunded": 0,
            "manual_form_data": body.get("manual_form_data"),
            "callback_url": callback_url,
            "downstream_order_no": downstream_no,
            "fulfillment": None,
            "key": key,
        }
        self.orders[order["order_id"]] = order
        return order

    def _callback_url_ok(self, url):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return False
        if self.allow_private_callbacks:
            return True
        if parts.hostname in ("localhost", "127.0.0.1", "::1", "0.0.0.0"):
            return False
        try:
            ip = ipaddress.ip_address(parts.hostname)
        except ValueError:
            return True
        return not (ip.is_loopback or ip.is_private or ip.is_link_local)

    def _summary(self, order):
        return {
            "ok": True,
            "order_id": order["order_id"],
            "order_no": order["order_no"],
            "status": order["status"],
            "amount": money(order["amount"]),
            "currency": "CNY",
        }

    def _get(self, raw_id, key):
        if not raw_id.isdigit():
            return error(400, "bad_request", "invalid order id")
        with self.lock:
            order = self.orders.get(int(raw_id))
            if order is None or order["key"] != key:
                return error(404, "order_not_found", "order not found")
            data = {
                **self._summary(order),
                "refunded_amount": money(order["refunded"]),
                "refund_records": [],
                "items": [{"sku_id": order["sku_id"], "quantity": order["quantity"]}],
            }
            if order["fulfillment"] is not None:
                data["fulfillment"] = {**order["fulfillment"], "delivery_data": {}}
        return 200, data

    # -- the shop's own work (its queue, its merchant) ------------------------------------------
    def _auto_deliver(self, order_id):
        with self.lock:
            order = self.orders[order_id]
            self._fulfil(order, "auto", "\n".join(order.pop("reserved")), "completed")
        self.send_callback(order_id)

    def deliver(self, order_id, payload="recharged"):
        """The merchant delivers a manual order (a top-up done by hand)."""
        with self.lock:
            self._fulfil(self.orders[order_id], "manual", payload, "delivered")
        self.send_callback(order_id)

    def refund(self, order_id):
        with self.lock:
            order = self.orders[order_id]
            order["status"], order["refunded"] = "refunded", order["amount"]
            self.balance += order["amount"]
        self.send_callback(order_id)

    def _fulfil(self, order, kind, payload, status):
        now = datetime.now(UTC).isoformat()
        order["fulfillment"] = {"type": kind, "status": "delivered", "payload": payload, "delivered_at": now}
        order["status"] = status

    def callback_for(self, order_id, timestamp=None):
        """(headers, body) of the callback the shop sends for an order, signed as it signs them."""
        with self.lock:
            order = self.orders[order_id]
            timestamp = int(time.time()) if timestamp is None else timestamp
            delivered = order["status"] in ("delivered", "completed")
            body = {
                "event": "order.fulfilled" if delivered else "order.status_changed",
                "order_id": order["order_id"],
                "order_no": order["order_no"],
                "downstream_order_no": order["downstream_order_no"],
                "status": order["status"],
            }
            if order["fulfillment"] is not None:
                body["fulfillment"] = order["fulfillment"]
            body["timestamp"] = timestamp
            raw = json.dumps(body).encode()
            key = order["key"]
            headers = {
                "Content-Type": "application/json",
                "Dujiao-Next-Api-Key": key,
                "Dujiao-Next-Timestamp": str(timestamp),
                "Dujiao-Next-Signature": dj_sign(
                    self.credentials[key]["secret"], "POST", CALLBACK_PATH, timestamp, raw
                ),
            }
        return headers, raw

    def send_callback(self, order_id):
        url = self.orders[order_id]["callback_url"]
        if not url:
            return
        headers, raw = self.callback_for(order_id)
        try:
            outcome = requests.post(url, data=raw, headers=headers, timeout=5).status_code
        except requests.RequestException as exc:
            outcome = type(exc).__name__
        self.callbacks.append((url, outcome))
