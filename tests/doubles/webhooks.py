"""The chat platforms' bot endpoints, as a local HTTP server: WeCom (/wecom), DingTalk
(/dingtalk, which checks the `timestamp` + `sign` of a signed robot as DingTalk does), Telegram
(/bot<token>/sendMessage) and a generic receiver (/generic). Each request is kept; `refuse`
makes the next ones answer 500."""

import base64
import hashlib
import hmac
import json
import time

from tests.doubles.server import DoubleServer


class WebhookDouble(DoubleServer):
    def __init__(self, dingtalk_secret="SEC-ding"):
        self.requests, self.refuse, self.dingtalk_secret, self.bad_signatures = [], 0, dingtalk_secret, 0

    def handle(self, request):
        if self.refuse > 0:
            self.refuse -= 1
            return 500, {}, "down"
        if request.path == "/dingtalk" and not self.signed(request.query):
            self.bad_signatures += 1
            return 200, {"Content-Type": "application/json"}, json.dumps({"errcode": 310000, "errmsg": "sign"})
        self.requests.append(request)
        if request.path in ("/wecom", "/dingtalk"):
            return 200, {"Content-Type": "application/json"}, json.dumps({"errcode": 0, "errmsg": "ok"})
        if request.path.endswith("/sendMessage"):
            return 200, {"Content-Type": "application/json"}, json.dumps({"ok": True, "result": {"message_id": 1}})
        return 204, {}, ""

    def signed(self, query):
        """DingTalk's rule: sign = base64(HMAC-SHA256(secret, "<timestamp>\\n<secret>")), timestamp in ms
        within an hour of now."""
        try:
            timestamp = int(query["timestamp"])
        except (KeyError, ValueError):
            return False
        expected = hmac.new(
            self.dingtalk_secret.encode(), f"{timestamp}\n{self.dingtalk_secret}".encode(), hashlib.sha256
        ).digest()
        fresh = abs(time.time() * 1000 - timestamp) < 3600_000
        return fresh and hmac.compare_digest(base64.b64encode(expected).decode(), query.get("sign", ""))

    def bodies(self, path):
        return [json.loads(r.body) for r in self.requests if r.path == path]
