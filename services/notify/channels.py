"""The two channels: e-mail (SMTP, services/common/mail.py: its STARTTLS rules) and a webhook in
one of four formats. Each `deliver` returns normally once the other side accepted the message,
returns False when e-mail is switched off, and raises `Refused` (or a transport error) otherwise.

Webhook formats (the admin picks one per target):
- generic: POST {"id", "event", "language", "title", "text", "data"} with `Idempotency-Key: <id>`;
  any 2xx is accepted.
- wecom (企业微信群机器人): {"msgtype": "markdown", "markdown": {"content": ...}}; accepted when
  the answer says errcode 0.
- dingtalk (钉钉自定义机器人): {"msgtype": "text", "text": {"content": ...}}; with a secret
  (加签), `timestamp` (ms) and `sign` = base64(HMAC-SHA256(secret, "<timestamp>\\n<secret>"))
  are added to the URL's query; accepted on errcode 0.
- telegram (Bot API sendMessage; the URL is https://api.telegram.org/bot<token>/sendMessage):
  {"chat_id", "text"}; accepted on "ok": true.
Nothing here logs a URL, a secret or a body: bot URLs carry their tokens."""

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

import requests

from services.common import mail
from services.notify.templates import Rendered

FORMATS = ("generic", "wecom", "dingtalk", "telegram")


class Refused(Exception):
    """The other side answered, and did not take the message."""


@dataclass(frozen=True)
class Hook:
    format: str
    url: str
    secret: str | None = None
    chat_id: str | None = None


def email(config: Any, to: str, rendered: Rendered, key: str, timeout: float) -> bool:
    return mail.send(
        config.get("SMTP_URL"),
        config.get("MAIL_FROM", "kameng <noreply@localhost>"),
        to,
        rendered.subject,
        rendered.text,
        timeout=timeout,
        html=rendered.html,
        message_id=f"<{key}@kameng.notify>",
    )


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


def webhook_request(
    hook: Hook, rendered: Rendered, key: str, event: str, language: str, data: dict[str, Any], now_ms: int
) -> tuple[str, dict[str, Any], dict[str, str]]:
    """(url, JSON body, headers) of one message to `hook`."""
    headers = {"Content-Type": "application/json"}
    url = hook.url
    body: dict[str, Any]
    if hook.format == "generic":
        headers["Idempotency-Key"] = key
        body = {
            "id": key,
            "event": event,
            "language": language,
            "title": rendered.subject,
            "text": rendered.text,
            "data": data,
        }
    elif hook.format == "wecom":
        body = {"msgtype": "markdown", "markdown": {"content": f"**{rendered.subject}**\n{rendered.text}"}}
    elif hook.format == "dingtalk":
        body = {"msgtype": "text", "text": {"content": f"{rendered.subject}\n{rendered.text}"}}
        if hook.secret:
            url += ("&" if "?" in url else "?") + f"timestamp={now_ms}&sign={dingtalk_sign(hook.secret, now_ms)}"
    elif hook.format == "telegram":
        body = {"chat_id": hook.chat_id, "text": f"{rendered.subject}\n{rendered.text}"}
    else:
        raise ValueError(f"unknown webhook format {hook.format!r}")
    return url, body, headers


def webhook(hook: Hook, rendered: Rendered, key: str, event: str, language: str, data: dict[str, Any], timeout: float):
    url, body, headers = webhook_request(hook, rendered, key, event, language, data, int(time.time() * 1000))
    answer = requests.post(
        url, data=json.dumps(body).encode(), headers=headers, timeout=(timeout, timeout), allow_redirects=False
    )
    if not 200 <= answer.status_code < 300:
        raise Refused(f"HTTP {answer.status_code}")
    if hook.format == "generic":
        return True
    try:
        said = answer.json()
    except ValueError:
        said = None
    if not isinstance(said, dict):
        raise Refused("unreadable answer")
    accepted = said.get("ok") is True if hook.format == "telegram" else said.get("errcode") == 0
    if not accepted:
        raise Refused(f"answer errcode={said.get('errcode')} ok={said.get('ok')}")
    return True
