"""A local 易支付 (epay V1) server for tests: a real HTTP server speaking epay's wire format.

It accepts `submit.php` (checking our signature, as epay does), 'pays' an order by sending the
signed notify to the order's notify_url (GET or POST, like epay deployments do), answers
`api.php?act=order` and `api.php?act=refund` (idempotent by out_refund_no). Its own state is in
plain dicts the tests read."""

import json
import secrets
from collections import Counter
from urllib.parse import urlencode

import eventlet
import eventlet.wsgi
import requests
from werkzeug.wrappers import Request, Response

from services.common.money import parse_minor
from services.payment.channels.epay import sign


class EpayDouble:
    def __init__(self, pid="1001", key="epay-test-key-0123456789"):
        self.pid, self.key = pid, key
        self.orders = {}  # out_trade_no -> {"fields", "trade_no", "paid", "refunded"}
        self.reset()

    def reset(self):
        """The switches, the refunds and the call log as a new double has them (its trades stay:
        the system may still ask about an earlier test's, under other numbers)."""
        self.refunds = {}  # out_refund_no -> money (fen)
        self.refuse_refunds = False
        self.down = False  # answer 503 to every api.php call
        self.calls = []  # (path, act)
        self.asked = Counter()  # out_trade_no -> api.php?act=order queries about it (answered or not)

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
        self.calls.append((request.path, request.args.get("act")))
        if request.path == "/api.php" and request.args.get("act") == "order":
            self.asked[request.args.get("out_trade_no")] += 1
        if request.path == "/submit.php":
            response = self.submit(request.values.to_dict())
        elif request.path == "/api.php" and self.down:
            response = Response("busy", status=503)
        elif request.path == "/api.php" and request.args.get("act") == "order":
            response = self.api_order(request.args.to_dict())
        elif request.path == "/api.php" and request.args.get("act") == "refund":
            response = self.api_refund(request.form.to_dict())
        else:
            response = Response("not found", status=404)
        return response(environ, start_response)

    def submit(self, fields):
        if (
            fields.get("pid") != self.pid
            or fields.get("sign") != sign(fields, self.key)
            or fields.get("sign_type") != "MD5"
        ):
            return Response("签名校验失败", status=400)
        order = self.orders.setdefault(
            fields["out_trade_no"],
            {"fields": fields, "trade_no": "2026" + secrets.token_hex(6), "paid": False, "refunded": 0},
        )
        return Response(f"<html>收银台 {order['fields']['money']}</html>", content_type="text/html")

    def api_order(self, args):
        if args.get("pid") != self.pid or args.get("key") != self.key:
            return _json({"code": -2, "msg": "KEY校验失败"})
        order = self.orders.get(args.get("out_trade_no"))
        if order is None:
            return _json({"code": -1, "msg": "订单号不存在"})
        return _json(
            {
                "code": 1,
                "msg": "查询订单号成功！",
                "pid": self.pid,
                "trade_no": order["trade_no"],
                "out_trade_no": args["out_trade_no"],
                "type": "alipay",
                "name": order["fields"]["name"],
                "money": order["fields"]["money"],
                "status": 1 if order["paid"] else 0,
            }
        )

    def api_refund(self, form):
        if form.get("pid") != self.pid or form.get("key") != self.key:
            return _json({"code": -2, "msg": "KEY校验失败"})
        if self.refuse_refunds:
            return _json({"code": -1, "msg": "商户余额不足"})
        order = self.orders.get(form.get("out_trade_no"))
        if order is None or not order["paid"]:
            return _json({"code": -1, "msg": "订单不存在或未支付"})
        if form.get("out_refund_no") in self.refunds:
            return _json({"code": 1, "msg": "退款成功"})  # the same refund asked again
        money = parse_minor(form["money"])
        if order["refunded"] + money > parse_minor(order["fields"]["money"]):
            return _json({"code": -1, "msg": "退款金额超过订单金额"})
        order["refunded"] += money
        self.refunds[form["out_refund_no"]] = money
        return _json({"code": 1, "msg": "退款成功"})

    # ---- the test's hands ----
    def open_pay_url(self, pay_url):
        """What the buyer's browser does with our redirect."""
        response = requests.get(pay_url, timeout=5)
        assert response.status_code == 200, response.text
        return response

    def notification(self, number, key=None, signed=None, **changes):
        """The signed notify epay sends for a paid order: `signed` changes are made before signing
        (a genuine notify saying something else), `changes` after (tampering)."""
        order = self.orders[number]
        fields = {
            "pid": self.pid,
            "trade_no": order["trade_no"],
            "out_trade_no": number,
            "type": "alipay",
            "name": order["fields"]["name"],
            "money": order["fields"]["money"],
            "trade_status": "TRADE_SUCCESS",
            **(signed or {}),
        }
        fields["sign"], fields["sign_type"] = sign(fields, key or self.key), "MD5"
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


def _json(data):
    return Response(json.dumps(data, ensure_ascii=False), content_type="application/json")
