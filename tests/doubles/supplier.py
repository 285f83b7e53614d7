"""The supplier simulator (tools/supplier_sim.py) as tests drive it, and a sink for the
callbacks suppliers send (a real local HTTP server, like our gateway's callback route)."""

import threading
import time
from typing import Any

import requests

from tests.doubles.server import DoubleServer
from tools import supplier_sim


class SimHandle:
    """What the `supplier_sim` fixture yields: the simulator's base URL, its credentials, and its
    control endpoints (called over HTTP, as a demo operator would)."""

    def __init__(self, server: supplier_sim.SimServer):
        self.server = server
        self.url = server.url
        self.app_id = server.sim.base["app_id"]
        self.key = server.sim.base["key"]
        self.credentials = {"app_id": self.app_id, "key": self.key}

    def _post(self, path: str, body: dict[str, Any]) -> None:
        requests.post(self.url + path, json=body, timeout=5).raise_for_status()

    def script(self, **queues: list[str]) -> None:
        """e.g. script(recharge=["timeout", "succeed"]): one behaviour per new request."""
        self._post("/_sim/script", queues)

    def default(self, **kinds: str) -> None:
        """e.g. default(recharge="fail"): what applies once a queue is empty."""
        self._post("/_sim/default", kinds)

    def configure(self, **changes: Any) -> None:
        """The adapter's settings shape (paths, fields, status, headers, sign), hold_s, late_s."""
        self._post("/_sim/config", changes)

    def orders(self) -> dict[str, dict[str, Any]]:
        return requests.get(self.url + "/_sim/orders", timeout=5).json()

    def purchases(self) -> dict[str, dict[str, Any]]:
        return requests.get(self.url + "/_sim/purchases", timeout=5).json()

    def reset(self) -> None:
        self._post("/_sim/reset", {})


class CallbackSink(DoubleServer):
    """Records every callback POSTed to it (headers, raw body) and answers 200 "success"."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.lock = threading.Lock()

    def handle(self, req):
        with self.lock:
            self.received.append((req.headers, req.body.encode()))
        return 200, {"Content-Type": "text/plain"}, "success"

    def wait(self, count: int, timeout: float = 5.0) -> list[tuple[dict[str, str], bytes]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} callbacks, got {len(self.received)}")
