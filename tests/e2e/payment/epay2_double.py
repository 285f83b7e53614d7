"""A local 易支付 V2 server for tests: a real HTTP server speaking epay's V2 wire format.

It holds two RSA key pairs, the merchant's and the platform's, made here with pycryptodomex, and
signs and verifies with its own code (SHA256WithRSA, PKCS#1 v1.5, base64, over the sorted
non-empty fields but `sign`/`sign_type`): nothing of the channel's is used, so a mistake there
shows here. It accepts `api/pay/create` (checking our signature, pid, sign_type and a fresh
10-digit timestamp, as epay does) and answers a signed `pay_type`/`pay_info`, serves the cashier,
'pays' an order by sending the signed notify to its notify_url (by GET, as V2 does), answers
`api/pay/query` and `api/pay/refund` (idempotent by out_refund_no). Its own state is in plain
dicts the tests read."""

import base64
import functools
import json
import secrets
import time
from collections import Counter
from urllib.parse import urlencode

import eventlet
import eventlet.wsgi
import requests
from Cryptodome.Hash import SHA256
from Cryptodome.PublicKey import RSA
from Cryptodome.Signature import pkcs1_15
from werkzeug.wrappers import Request, Response


def signed_text(fields):
    """epay V2's signed string, written here again on purpose."""
    keep = {k: v for k, v in fields.items() if k not in ("sign", "sign_type") and v is not None and str(v) != ""}
    return "&".join(f"{k}={keep[k]}" for k in sorted(keep))


def rsa_sign(key, fields):
    digest = SHA256.new(signed_text(fields).encode("utf-8"))
    return base64.b64encode(pkcs1_15.new(key).sign(digest)).decode()


def rsa_verify(public_key, fields, signature):
    try:
        pkcs1_15.new(public_key).verify(SHA256.new(signed_text(fields).encode("utf-8")), base64.b64decode(signature))
    except (ValueError, TypeError):
        return False
    return True


def yuan(fen):
    return f"{fen // 100}.{fen % 100:02d}"


def fen(text):
    whole, _, frac = text.partition(".")
    return int(whole) * 100 + int((frac + "00")[:2])


@functools.cache
def rsa_key(whose):
    """One 2048-bit key per role and test run: making one takes about a second here."""
    return RSA.generate(2048)


class Epay2Double:
    def __init__(self, pid="1002"):
        self.pid = pid
        self.merchant_key = rsa_key("merchant")  # the merchant's (ours): it signs our requests
        self.platform_key = rsa_key("platform")  # the platform's: it signs notifies and answers
        self.orders = {}  # out_trade_no -> {"fields", "trade_no", "paid", "refunded"}
        self.reset()

    def reset(self):
        """The switches, the refunds and the logs as a new double has them (its trades stay: the
        system may still ask about an earlier test's, under other numbers)."""
        self.refunds = {}  # out_refund_no -> money (fen)
        self.refuse_refunds = False
        self.pay_type = "jump"  # what api/pay/create answers: jump, qrcode, html
        self.tamper_answers = False  # answers signed, then changed
        self.down = False  # 503 to every api/pay call
        self.calls = []  # (path, out_trade_no)
        self.asked = Counter()  # out_trade_no -> api/pay/query calls about it
        self.refused = []  # why requests were refused

    # ---- the keys, as the merchant's settings hold them ----
    def merchant_private_pem(self):
        return self.merchant_key.export_key(format="PEM", pkcs=8).decode()

    def platform_public_pem(self):
        return self.platform_key.public_key().export_key(format="PEM").decode()

    def start(self):
        sock = eventlet.listen(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self.thread = eventlet.spawn(eventlet.wsgi.server, sock, self.app, log_output=False)
        return self

    def stop(self):
        self.thread.kill()

    # ---- what epay's users (the buyer, the merchant's server) see ----
    def app(self, environ, start_response):
        request = Request(environ)
        fields = request.form.to_dict()
        self.calls.append((request.path, fields.get("out_trade_no")))
        if request.path.startswith("/api/pay/") and self.down:
            response = Response("busy", status=503)
        elif request.path.startswith("/api/pay/") and request.method != "POST":
            response = Response("method not allowed", status=405)
        elif request.path.startswith("/api/pay/") and (why := self.check(fields)):
            self.refused.append(why)
            response = self.answer({"code": -1, "msg": why}, sign=False)
        elif request.path == "/api/pay/create":
            response = self.create(fields)
        elif request.path == "/api/pay/query":
            self.asked[fields.get("out_trade_no")] += 1
            response = self.query(fields)
        elif request.path == "/api/pay/refund":
            response = self.refund(fields)
        elif request.path.startswith("/cashier/"):
            trade_no = request.path.rsplit("/", 1)[1]
            found = [o for o in self.orders.values() if o["trade_no"] == trade_no]
            response = (
                Response(f"<html>收银台 {found[0]['fields']['money']}</html>", content_type="text/html")
                if found
                else Response("no such trade", status=404)
            )
        else:
            response = Response("not found", status=404)
        return response(environ, start_response)

    def check(self, fields):
        """What epay V2 checks of every request: pid, sign_type RSA, a 10-digit timestamp within
        five minutes, and the merchant's signature."""
        timestamp = fields.get("timestamp", "")
        if fields.get("pid") != self.pid:
            return "商户不存在"
        if fields.get("sign_type") != "RSA":
            return "sign_type不正确"
        if not (len(timestamp) == 10 and timestamp.isdigit()) or abs(time.time() - int(timestamp)) > 300:
            return "时间戳不正确"
        if not rsa_verify(self.merchant_key.public_key(), fields, fields.get("sign", "")):
            return "签名校验失败"
        return None

    def answer(self, data, sign=True):
        data = {**data, "timestamp": str(int(time.time()))}
        if sign:
            data["sign"], data["sign_type"] = rsa_sign(self.platform_key, data), "RSA"
        if self.tamper_answers and "money" in data:
            data["money"] = "0.01"
        if self.tamper_answers and "pay_info" in data:
            data["pay_info"] = "https://phishing.example/cashier"
        return Response(json.dumps(data, ensure_ascii=False), content_type="application/json")

    def create(self, fields):
        missing = [k for k in ("out_trade_no", "notify_url", "name", "money", "method") if not fields.get(k)]
        if missing:
            return self.answer({"code": -1, "msg": "缺少参数 " + ",".join(missing)}, sign=False)
        order = self.orders.setdefault(
            fields["out_trade_no"],
            {"fields": fields, "trade_no": "2026" + secrets.token_hex(6), "paid": False, "refunded": 0},
        )
        if order["fields"]["money"] != fields["money"]:
            return self.answer({"code": -1, "msg": "订单号已存在"}, sign=False)
        pay_info = {
            "jump": f"{self.url}/cashier/{order['trade_no']}",
            "qrcode": f"https://qr.alipay.com/{order['trade_no']}",
            "html": "<form action='x'></form>",
        }[self.pay_type]
        return self.answer({"code": 0, "trade_no": order["trade_no"], "pay_type": self.pay_type, "pay_info": pay_info})

    def query(self, fields):
        order = self.orders.get(fields.get("out_trade_no"))
        if order is None:
            return self.answer({"code": -1, "msg": "订单号不存在"}, sign=False)
        return self.answer(
            {
                "code": 0,
                "trade_no": order["trade_no"],
                "out_trade_no": fields["out_trade_no"],
                "api_trade_no": "4200" + order["trade_no"],
                "type": "alipay",
                "pid": self.pid,
                "name": order["fields"]["name"],
                "money": order["fields"]["money"],
                "status": 1 if order["paid"] else 0,
            }
        )

    def refund(self, fields):
        if self.refuse_refunds:
            return self.answer({"code": -1, "msg": "商户余额不足"}, sign=False)
        order = self.orders.get(fields.get("out_trade_no"))
        if order is None or not order["paid"]:
            return self.answer({"code": -1, "msg": "订单不存在或未支付"}, sign=False)
        refund_no = fields.get("out_refund_no")
        if refund_no in self.refunds:  # the same refund asked again
            return self.answer({"code": 0, "refund_no": "R" + refund_no, "money": yuan(self.refunds[refund_no])})
        money = fen(fields["money"])
        if order["refunded"] + money > fen(order["fields"]["money"]):
            return self.answer({"code": -1, "msg": "退款金额超过订单金额"}, sign=False)
        order["refunded"] += money
        self.refunds[refund_no] = money
        return self.answer({"code": 0, "refund_no": "R" + refund_no, "money": fields["money"]})

    # ---- the test's hands ----
    def open_pay_url(self, pay_url):
        """What the buyer's browser does with our redirect."""
        response = requests.get(pay_url, timeout=5)
        assert response.status_code == 200, response.text
        return response

    def notification(self, number, key=None, signed=None, **changes):
        """The signed notify epay V2 sends for a paid order: `signed` changes are made before
        signing (a genuine notify saying something else; None drops the field), `changes` after
        (tampering). `key`: another RSA key signs it."""
        order = self.orders[number]
        fields = {
            "pid": self.pid,
            "trade_no": order["trade_no"],
            "out_trade_no": number,
            "api_trade_no": "4200" + order["trade_no"],
            "type": "alipay",
            "trade_status": "TRADE_SUCCESS",
            "addtime": "2026-12-07 12:00:00",
            "endtime": "2026-12-07 12:00:30",
            "name": order["fields"]["name"],
            "money": order["fields"]["money"],
            "buyer": "2088****1234",
            "timestamp": str(int(time.time())),
            **(signed or {}),
        }
        fields = {k: v for k, v in fields.items() if v is not None}
        fields["sign"], fields["sign_type"] = rsa_sign(key or self.platform_key, fields), "RSA"
        fields.update(changes)
        return {k: v for k, v in fields.items() if v is not None}

    def pay(self, out_trade_no, method="GET", notify=True, fields=None):
        """The buyer pays: epay marks it paid and (unless notify=False) sends the notify."""
        self.orders[out_trade_no]["paid"] = True
        if notify:
            return self.send(out_trade_no, fields or self.notification(out_trade_no), method)
        return None

    def send(self, out_trade_no, fields, method="GET"):
        notify_url = self.orders[out_trade_no]["fields"]["notify_url"]
        if method == "GET":
            return requests.get(f"{notify_url}?{urlencode(fields)}", timeout=10)
        return requests.post(notify_url, data=fields, timeout=10)
