"""The one outbound HTTP call of every adapter: explicit timeouts, no retries (a recharge that
timed out is queried, never blindly sent again), and the one distinction the domain needs from
the transport: the request never reached the supplier (`NotSent`: connection refused, unknown
host, connect timeout) or it may have (`NoAnswer`: a read timeout, a reset after sending).

Nothing here logs a body or a header: they carry signatures, accounts and codes."""

import json
import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

log = logging.getLogger("kameng.supplier.http")


class NotSent(Exception):
    """The supplier never received the request: nothing happened there."""


class NoAnswer(Exception):
    """The request may have reached the supplier, but no answer came back: outcome unknown."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes

    def json(self) -> dict[str, Any] | None:
        """The answer as a JSON object, or None when it is not one (unreadable)."""
        try:
            data = json.loads(self.body)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None


def _never_connected(exc: requests.RequestException) -> bool:
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if not isinstance(exc, requests.ConnectionError) or not exc.args:
        return False
    reason = getattr(exc.args[0], "reason", exc.args[0])
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError))


def send(method: str, url: str, body: bytes | None, headers: dict[str, str], timeout_s: float) -> Answer:
    """One HTTP exchange; raises NotSent or NoAnswer, never anything else from the transport."""
    started = time.monotonic()
    parts = urlsplit(url)
    target = f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}{parts.path}"  # no userinfo
    try:
        response = requests.request(
            method, url, data=body, headers=headers, timeout=(timeout_s, timeout_s), allow_redirects=False
        )
        answer = Answer(response.status_code, response.content)
    except requests.RequestException as exc:
        kind = NotSent if _never_connected(exc) else NoAnswer
        log.info("supplier %s %s: %s (%s)", method, target, kind.__name__, type(exc).__name__)
        raise kind(f"{method} {target}: {type(exc).__name__}") from None
    log.info("supplier %s %s: HTTP %s in %.0f ms", method, target, answer.status, (time.monotonic() - started) * 1000)
    return answer


def header(headers: dict[str, str], name: str) -> str:
    """A header by name, whatever its case (frameworks hand headers over differently)."""
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), "")
