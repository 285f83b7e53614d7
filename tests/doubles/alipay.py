"""A local double of Alipay's open platform gateway, speaking its wire format over real HTTP.

`/gateway.do` takes the signed common parameters (query string or form): the page/wap pay
methods open a cashier for the trade; `alipay.trade.query` and `alipay.trade.refund` answer
`{"<method>_response": {...}, "sign": "..."}` signed with Alipay's key. `pay()` is the buyer
paying: the trade turns TRADE_SUCCESS and the signed async notify is POSTed to the trade's
notify_url. Signing and request verification use python-alipay-sdk (in Alipay's seat), so the
double does not share our code."""

import json
import secrets
import threading
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl

import requests
from alipay import AliPay

from tests.doubles.keys import private_pem, public_pem
from tests.doubles.server import DoubleServer

BEIJING = timezone(timedelta(hours=8))  # Alipay stamps its answers in Beijing time
PAY_METHODS = ("alipay.trade.page.pay", "alipay.trade.wap.pay")


def yuan(fen):
    return f"{fen // 100}.{fen % 100:02d}"


def fen(text):
    whole, _, frac = text.partition(".")
    return int(whole) * 100 + int((frac + "00")[:2])


class AlipayDouble(DoubleServer):
    def __init__(self, party):
        self.party = party
        # in Alipay's seat: signs with Alipay's key, verifies with the app's public key
        self.sdk = AliPay(
            appid=party.app_id,
            app_private_key_string=private_pem(party.alipay_key),
            alipay_public_key_string=public_pem(party.app_key),
            sign_type="RSA2",
        )
        self.trades, self.calls, self.lock = {}, [], threading.Lock()

    # -- the HTTP side --------------------------------------------------------------------------
    def handle(self, req):
        if req.path != "/gateway.do":
            return 404, {}, "not found"
        params = {**req.query, **req.form}
        method = params.get("method", "")
        self.calls.append(method)
        valid = self._valid(params)
        if method in PAY_METHODS:
            return self._cashier(params) if valid else (400, {"Content-Type": "text/html"}, "invalid-signature")
        node = method.replace(".", "_") + "_response"
        if not valid:
            return self.answer(
                node,
                {
                    "code": "40002",
                    "msg": "Invalid Arguments",
                    "sub_code": "isv.invalid-signature",
                    "sub_msg": "invalid signature",
                },
            )
        biz = json.loads(params.get("biz_content") or "{}")
        with self.lock:
            if method == "alipay.trade.query":
                return self.answer(node, self._query(biz))
            if method == "alipay.trade.refund":
                return self.answer(node, self._refund(biz))
        return self.answer(node, {"code": "40004", "msg": "Business Failed", "sub_code": "isv.invalid-method"})

    def _valid(self, params):
        """Alipay's rule for requests: every parameter but `sign` is signed, `sign_type` included
        (the SDK's own request string, checked with the SDK's verifier)."""
        unsigned = {k: v for k, v in params.items() if k != "sign"}
        if params.get("app_id") != self.party.app_id or params.get("sign_type") != "RSA2":
            return False
        message = "&".join(f"{k}={v}" for k, v in self.sdk._ordered_data(unsigned))
        try:
            return self.sdk._verify(message, params.get("sign", ""))
        except ValueError:
            return False

    def _cashier(self, params):
        biz = json.loads(params["biz_content"])
        with self.lock:
            trade = self.trades.setdefault(
                biz["out_trade_no"],
                {
                    "out_trade_no": biz["out_trade_no"],
                    "amount": fen(biz["total_amount"]),
                    "subject": biz["subject"],
                    "trade_no": datetime.now(BEIJING).strftime("%Y%m%d") + secrets.token_hex(10),
                    "status": "WAIT_BUYER_PAY",
                    "notify_url": params.get("notify_url"),
                    "refunds": {},
                },
            )
        return (
            200,
            {"Content-Type": "text/html; charset=utf-8"},
            (f"<html><body>cashier: {trade['subject']} {yuan(trade['amount'])}</body></html>"),
        )

    def _query(self, biz):
        trade = self.trades.get(biz.get("out_trade_no"))
        if trade is None:
            return {
                "code": "40004",
                "msg": "Business Failed",
                "sub_code": "ACQ.TRADE_NOT_EXIST",
                "sub_msg": "trade does not exist",
            }
        return {
            "code": "10000",
            "msg": "Success",
            "trade_no": trade["trade_no"],
            "out_trade_no": trade["out_trade_no"],
            "buyer_logon_id": "buy***@example.com",
            "trade_status": trade["status"],
            "total_amount": yuan(trade["amount"]),
        }

    def _refund(self, biz):
        trade = self.trades.get(biz.get("out_trade_no"))
        if trade is None or trade["status"] not in ("TRADE_SUCCESS", "TRADE_CLOSED"):
            return {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.TRADE_STATUS_ERROR"}
        request_no = biz.get("out_request_no") or trade["out_trade_no"]
        refunded = sum(trade["refunds"].values())
        fund_change = "N"
        if request_no not in trade["refunds"]:
            amount = fen(biz["refund_amount"])
            if amount <= 0 or refunded + amount > trade["amount"]:
                return {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"}
            trade["refunds"][request_no] = amount
            refunded += amount
            fund_change = "Y"
            if refunded == trade["amount"]:
                trade["status"] = "TRADE_CLOSED"
        return {
            "code": "10000",
            "msg": "Success",
            "trade_no": trade["trade_no"],
            "out_trade_no": trade["out_trade_no"],
            "buyer_logon_id": "buy***@example.com",
            "fund_change": fund_change,
            "refund_fee": yuan(refunded),
            "gmt_refund_pay": datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
        }

    def answer(self, node, content, sign=True):
        text = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
        raw = f'{{"{node}":{text}' + (f',"sign":"{self.sdk._sign(text)}"}}' if sign else "}")
        return 200, {"Content-Type": "application/json;charset=utf-8"}, raw

    # -- the buyer and the async notify ---------------------------------------------------------
    def pay(self, out_trade_no, notify=True):
        """The buyer pays the trade; Alipay then notifies (unless told the callback gets lost)."""
        with self.lock:
            trade = self.trades[out_trade_no]
            trade["status"] = "TRADE_SUCCESS"
        return self.send_notify(self.notify_params(out_trade_no)) if notify else None

    def notify_params(self, out_trade_no, /, **overrides):
        """The form of an async notify for a trade, signed the way Alipay signs (every field but
        sign and sign_type); `overrides` change fields before signing (None removes one)."""
        trade = self.trades[out_trade_no]
        now = datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
        fields = {
            "notify_time": now,
            "notify_type": "trade_status_sync",
            "notify_id": secrets.token_hex(16),
            "charset": "utf-8",
            "version": "1.0",
            "app_id": self.party.app_id,
            "seller_id": self.party.seller_id,
            "trade_no": trade["trade_no"],
            "out_trade_no": trade["out_trade_no"],
            "trade_status": trade["status"],
            "total_amount": yuan(trade["amount"]),
            "receipt_amount": yuan(trade["amount"]),
            "buyer_id": "2088102177846875",
            "subject": trade["subject"],
            "gmt_create": now,
            "gmt_payment": now,
        }
        fields.update(overrides)
        fields = {k: v for k, v in fields.items() if v is not None}
        signed = dict(parse_qsl(self.sdk.sign_data(dict(fields)), keep_blank_values=True))
        signed["sign_type"] = "RSA2"
        return signed

    def send_notify(self, params, url=None):
        url = url or self.trades[params["out_trade_no"]]["notify_url"]
        answer = requests.post(url, data=params, timeout=10)
        return answer.status_code, answer.text
