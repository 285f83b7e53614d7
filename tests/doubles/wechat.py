"""A local double of WeChat Pay API v3, speaking its wire format over real HTTP.

Requests must carry a valid `WECHATPAY2-SHA256-RSA2048` Authorization (checked against the
merchant certificate); answers are signed with the platform key (`Wechatpay-*` headers).
`/v3/pay/transactions/native|h5`, `/v3/pay/transactions/out-trade-no/{no}`,
`/v3/refund/domestic/refunds[/{no}]` and `/v3/certificates` are served. `pay()` is the buyer
paying: the transaction turns SUCCESS and the notify (resource AES-256-GCM encrypted with the
API v3 key, headers signed) is POSTed to the order's notify_url. Signing uses wechatpayv3's own
helpers, so the double does not share our code."""

import base64
import json
import re
import secrets
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from wechatpayv3.utils import rsa_sign

from tests.doubles.keys import cert_pem, serial_hex
from tests.doubles.server import DoubleServer

JSON = {"Content-Type": "application/json"}
CST = timezone(timedelta(hours=8))


def _now():
    return datetime.now(CST).isoformat(timespec="seconds")


class WechatDouble(DoubleServer):
    def __init__(self, party):
        self.party = party
        self.trades, self.refunds, self.calls, self.lock = {}, {}, [], threading.Lock()
        self.refund_status = "SUCCESS"  # a test may make refunds answer PROCESSING
        self.busy = 0  # answer this many next requests 503 SYSTEM_ERROR
        self.slow = {}  # order_no -> seconds its next order request takes
        self.refuse_once = set()  # order_nos whose next order request is refused
        self.during = {}  # order_no -> fn() run while its next order request waits

    # -- the HTTP side --------------------------------------------------------------------------
    def handle(self, req):
        self.calls.append(f"{req.method} {req.path}")
        if self.busy > 0:
            self.busy -= 1
            return 503, JSON, json.dumps({"code": "SYSTEM_ERROR", "message": "busy"})
        if not self._authorized(req):
            return 401, JSON, json.dumps({"code": "SIGN_ERROR", "message": "signature invalid"})
        order_no = self._ordering(req)
        time.sleep(self.slow.pop(order_no, 0))
        if order_no in self.during:
            self.during.pop(order_no)()
        if order_no in self.refuse_once:
            self.refuse_once.discard(order_no)
            return self.signed(400, json.dumps({"code": "PARAM_ERROR", "message": "refused once"}))
        with self.lock:
            status, answer = self._route(req)
        return self.signed(status, json.dumps(answer, ensure_ascii=False))

    def _route(self, req):
        path = req.path
        if req.method == "GET" and path == "/v3/certificates":
            return 200, {"data": [self._certificate_entry()]}
        if req.method == "POST" and path in ("/v3/pay/transactions/native", "/v3/pay/transactions/h5"):
            return self._order(path.rsplit("/", 1)[1], json.loads(req.body))
        match = re.fullmatch(r"/v3/pay/transactions/out-trade-no/([^/]+)", path)
        if req.method == "GET" and match:
            trade = self.trades.get(match.group(1))
            if trade is None or req.query.get("mchid") != self.party.mchid:
                return 404, {"code": "ORDER_NOT_EXIST", "message": "order does not exist"}
            return 200, self.transaction(trade)
        if req.method == "POST" and path == "/v3/refund/domestic/refunds":
            return self._refund(json.loads(req.body))
        match = re.fullmatch(r"/v3/refund/domestic/refunds/([^/]+)", path)
        if req.method == "GET" and match and match.group(1) in self.refunds:
            return 200, self.refunds[match.group(1)]
        return 404, {"code": "RESOURCE_NOT_EXISTS", "message": "not found"}

    @staticmethod
    def _ordering(req):
        """The order_no an order request is about (our description names it), else None."""
        if req.method != "POST" or not req.path.startswith("/v3/pay/transactions/"):
            return None
        return str(json.loads(req.body).get("description", "")).rpartition(" ")[2] or None

    def _authorized(self, req):
        header = req.headers.get("Authorization", "")
        if not header.startswith("WECHATPAY2-SHA256-RSA2048 "):
            return False
        fields = dict(re.findall(r'(\w+)="([^"]*)"', header))
        if fields.get("mchid") != self.party.mchid or fields.get("serial_no") != self.party.cert_serial:
            return False
        message = f"{req.method}\n{req.target}\n{fields.get('timestamp')}\n{fields.get('nonce_str')}\n{req.body}\n"
        try:
            self.party.merchant_cert.public_key().verify(
                base64.b64decode(fields.get("signature", "")), message.encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except (InvalidSignature, ValueError):
            return False
        return abs(time.time() - int(fields.get("timestamp") or 0)) <= 300

    def _order(self, kind, body):
        amount = body.get("amount") or {}
        if (
            body.get("appid") != self.party.appid
            or body.get("mchid") != self.party.mchid
            or not isinstance(amount.get("total"), int)
            or amount["total"] <= 0
            or not body.get("out_trade_no")
        ):
            return 400, {"code": "PARAM_ERROR", "message": "bad order"}
        if kind == "h5" and not (body.get("scene_info") or {}).get("payer_client_ip"):
            return 400, {"code": "PARAM_ERROR", "message": "scene_info.payer_client_ip missing"}
        trade = self.trades.setdefault(
            body["out_trade_no"],
            {
                "out_trade_no": body["out_trade_no"],
                "total": amount["total"],
                "kind": kind,
                "transaction_id": "42000" + secrets.token_hex(12),
                "state": "NOTPAY",
                "notify_url": body.get("notify_url"),
                "description": body.get("description"),
                "refunded": 0,
            },
        )
        if trade["total"] != amount["total"]:
            return 400, {"code": "INVALID_REQUEST", "message": "out_trade_no used with other parameters"}
        prepay = "wx" + secrets.token_hex(14)
        if kind == "native":
            return 200, {"code_url": f"weixin://wxpay/bizpayurl?pr={prepay[:12]}"}
        return 200, {"h5_url": f"https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id={prepay}"}

    def _refund(self, body):
        if body.get("out_refund_no") in self.refunds:
            return 200, self.refunds[body["out_refund_no"]]
        trade = self.trades.get(body.get("out_trade_no"))
        amount = body.get("amount") or {}
        if trade is None or trade["state"] not in ("SUCCESS", "REFUND"):
            return 404, {"code": "RESOURCE_NOT_EXISTS", "message": "order not paid"}
        left = trade["total"] - trade["refunded"]
        if amount.get("total") != trade["total"] or not 0 < amount.get("refund", 0) <= left:
            return 400, {"code": "PARAM_ERROR", "message": "refund amount"}
        trade["refunded"] += amount["refund"]
        trade["state"] = "REFUND"
        refund = {
            "refund_id": "50300" + secrets.token_hex(12),
            "out_refund_no": body["out_refund_no"],
            "transaction_id": trade["transaction_id"],
            "out_trade_no": trade["out_trade_no"],
            "channel": "ORIGINAL",
            "user_received_account": "支付用户零钱",
            "create_time": _now(),
            "status": self.refund_status,
            "amount": {
                "total": trade["total"],
                "refund": amount["refund"],
                "payer_total": trade["total"],
                "payer_refund": amount["refund"],
                "currency": "CNY",
            },
        }
        self.refunds[body["out_refund_no"]] = refund
        return 200, refund

    def _certificate_entry(self):
        nonce = secrets.token_hex(6)
        cipher = AESGCM(self.party.apiv3_key.encode()).encrypt(
            nonce.encode(), cert_pem(self.party.platform_cert).encode(), b"certificate"
        )
        return {
            "serial_no": serial_hex(self.party.platform_cert),
            "effective_time": _now(),
            "expire_time": _now(),
            "encrypt_certificate": {
                "algorithm": "AEAD_AES_256_GCM",
                "nonce": nonce,
                "associated_data": "certificate",
                "ciphertext": base64.b64encode(cipher).decode(),
            },
        }

    def signed(self, status, body, timestamp=None, serial=None, key=None):
        """(status, headers, body) with the platform's signature headers."""
        stamp, nonce = str(timestamp or int(time.time())), secrets.token_hex(16)
        headers = {
            **JSON,
            "Request-ID": str(uuid.uuid4()),
            "Wechatpay-Timestamp": stamp,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Serial": serial or serial_hex(self.party.platform_cert),
            "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
            "Wechatpay-Signature": rsa_sign(key or self.party.platform_key, f"{stamp}\n{nonce}\n{body}\n"),
        }
        return status, headers, body

    # -- the buyer and the notify ---------------------------------------------------------------
    def transaction(self, trade, /, **overrides):
        tx = {
            "appid": self.party.appid,
            "mchid": self.party.mchid,
            "out_trade_no": trade["out_trade_no"],
            "transaction_id": trade["transaction_id"],
            "trade_type": trade["kind"].upper().replace("H5", "MWEB"),
            "trade_state": trade["state"],
            "trade_state_desc": trade["state"],
            "bank_type": "OTHERS",
            "attach": "",
            "success_time": _now(),
            "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
            "amount": {
                "total": trade["total"],
                "payer_total": trade["total"],
                "currency": "CNY",
                "payer_currency": "CNY",
            },
        }
        tx.update(overrides)
        return tx

    def pay(self, out_trade_no, notify=True):
        """The buyer pays; WeChat then notifies (unless told the callback gets lost)."""
        with self.lock:
            trade = self.trades[out_trade_no]
            trade["state"] = "SUCCESS"
        return self.send_notify(*self.notify(out_trade_no), url=trade["notify_url"]) if notify else None

    def notify(self, out_trade_no, /, key=None, timestamp=None, serial=None, apiv3_key=None, **overrides):
        """(headers, body) of a TRANSACTION.SUCCESS notify; overrides change the transaction,
        `key`/`timestamp`/`serial` the signature, `apiv3_key` the encryption."""
        nonce = secrets.token_hex(6)
        plain = json.dumps(self.transaction(self.trades[out_trade_no], **overrides), ensure_ascii=False)
        cipher = AESGCM((apiv3_key or self.party.apiv3_key).encode()).encrypt(
            nonce.encode(), plain.encode(), b"transaction"
        )
        body = json.dumps(
            {
                "id": str(uuid.uuid4()),
                "create_time": _now(),
                "resource_type": "encrypt-resource",
                "event_type": "TRANSACTION.SUCCESS",
                "summary": "支付成功",
                "resource": {
                    "original_type": "transaction",
                    "algorithm": "AEAD_AES_256_GCM",
                    "ciphertext": base64.b64encode(cipher).decode(),
                    "associated_data": "transaction",
                    "nonce": nonce,
                },
            },
            ensure_ascii=False,
        )
        _, headers, body = self.signed(200, body, timestamp, serial, key)
        return headers, body

    def send_notify(self, headers, body, url):
        answer = requests.post(url, data=body.encode(), headers=headers, timeout=10)
        return answer.status_code, answer.text
