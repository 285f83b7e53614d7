"""A supplier simulator: a real threaded HTTP server speaking the generic supplier protocol
(docs/suppliers.md) with its default settings, told by unsigned control endpoints how to behave
on each request: succeed, fail, time out, answer late, call back twice or never.

    python -m tools.supplier_sim --port 8090 [--app-id sim-app] [--key sim-key] [--sign md5]
    make supplier-sim

`serve(host, port, app_id, key)` starts one in a thread and returns it (`.url`, `.stop()`), for
`tools/runner.py` and the tests (`supplier_sim` fixture, tests/doubles/supplier.py). The simulator
keeps its own copy of the protocol's names (it plays the supplier: it must not share the
adapter's code, or a mistake there would be mirrored here)."""

import argparse
import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
import urllib.request
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

log = logging.getLogger("kameng.supplier_sim")

RECHARGE: tuple[str, ...] = ("succeed", "async", "fail", "fail_later", "timeout", "timeout_failed", "late")
RECHARGE += ("callback_twice", "no_callback", "error")
BUY = ("succeed", "fail", "timeout")
PING = ("ok", "fail")
BEHAVIOURS = {"recharge": RECHARGE, "buy": BUY, "ping": PING}
DEFAULTS = {"recharge": "succeed", "buy": "succeed", "ping": "ok"}
PATHS = {"recharge": "/recharge", "query": "/query", "buy": "/buy", "ping": "/ping"}
FIELDS = {
    "order_id": "order_id",
    "product_id": "product_id",
    "account": "account",
    "quantity": "quantity",
    "notify_url": "notify_url",
    "request_id": "request_id",
    "code": "code",
    "status": "status",
    "message": "message",
    "supplier_order_id": "order_id",
    "codes": "codes",
    "card_code": "code",
    "card_secret": "secret",
    "card_expires_on": "expires_on",
    "callback_supplier_order_id": "supplier_order_id",
}
STATUS = {"success": "success", "failed": "failed", "processing": "processing", "not_found": "not_found"}
HEADERS = {"app_id": "X-App-Id", "sign": "X-Sign"}
ASYNC_S = 0.1  # "async" and "fail_later" call back after this


def sign(mode: str, key: str, body: bytes) -> str:
    if mode == "md5":
        return hashlib.md5(body + key.encode()).hexdigest()
    return hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


class Simulator:
    """The supplier's state and rules; the HTTP handler below only translates."""

    def __init__(self, app_id: str, key: str, hold_s: float = 30.0, late_s: float = 3.0, sign: str = "hmac-sha256"):
        self.base = {"app_id": app_id, "key": key, "hold_s": hold_s, "late_s": late_s, "sign": sign}
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.config: dict[str, Any] = dict(self.base)
            self.paths, self.fields, self.status, self.headers = dict(PATHS), dict(FIELDS), dict(STATUS), dict(HEADERS)
            self.scripts: dict[str, deque[str]] = {kind: deque() for kind in BEHAVIOURS}
            self.defaults = dict(DEFAULTS)
            self.orders: dict[str, dict[str, Any]] = {}
            self.purchases: dict[str, dict[str, Any]] = {}
            self.generation = getattr(self, "generation", 0) + 1  # callbacks of an older run are dropped

    def configure(self, changes: dict[str, Any]) -> None:
        """Settings as the adapter's `settings` spell them (paths, fields, status, headers, sign),
        plus app_id, key, hold_s and late_s."""
        with self.lock:
            for name, table in (("paths", self.paths), ("fields", self.fields), ("status", self.status)):
                table.update(changes.get(name) or {})
            self.headers.update(changes.get("headers") or {})
            self.config.update({k: v for k, v in changes.items() if k in self.base})

    def script(self, queues: dict[str, list[str]]) -> None:
        self._check(queues)
        with self.lock:
            for kind, behaviours in queues.items():
                self.scripts[kind].extend(behaviours)

    def set_default(self, kinds: dict[str, str]) -> None:
        self._check({k: [v] for k, v in kinds.items()})
        with self.lock:
            self.defaults.update(kinds)

    def _check(self, queues: dict[str, list[str]]) -> None:
        for kind, behaviours in queues.items():
            unknown = [b for b in behaviours if b not in BEHAVIOURS.get(kind, ())]
            if kind not in BEHAVIOURS or unknown:
                raise ValueError(f"unknown {kind} behaviour(s): {unknown or kind}")

    def _next(self, kind: str) -> str:
        queue = self.scripts[kind]
        return queue.popleft() if queue else self.defaults[kind]

    # -- the protocol --------------------------------------------------------------------------
    def verified(self, headers: dict[str, str], body: bytes) -> bool:
        lower = {k.lower(): v for k, v in headers.items()}
        given = lower.get(self.headers["sign"].lower(), "").lower()
        app_ok = lower.get(self.headers["app_id"].lower()) == self.config["app_id"]
        return app_ok and hmac.compare_digest(given, sign(self.config["sign"], self.config["key"], body))

    def answer(self, **values: Any) -> dict[str, Any]:
        return {self.fields[k]: v for k, v in values.items()}

    def recharge(self, req: dict[str, Any]) -> tuple[int, dict[str, Any], float]:
        """(HTTP status, body, seconds to hold the answer)."""
        f = self.fields
        order_id = str(req.get(f["order_id"]) or "")
        if not order_id:
            return 400, self.answer(code=2, message="order_id required"), 0
        with self.lock:
            order = self.orders.get(order_id)
            if order is not None:  # the same attempt again: its state, never a second recharge
                return 200, self._state(order), 0
            behaviour = self._next("recharge")
            if behaviour == "error":
                return 500, self.answer(code=500, message="internal error"), 0
            order = {
                "status": "processing",
                "supplier_order_id": "SIM" + secrets.token_hex(6),
                "recharged": 0,
                "callbacks": 0,
                "notify_url": str(req.get(f["notify_url"]) or ""),
            }
            self.orders[order_id] = order
            hold = 0.0
            if behaviour in ("succeed", "timeout"):
                self._settle(order, "success")
            elif behaviour in ("fail", "timeout_failed"):
                self._settle(order, "failed")
            if behaviour in ("timeout", "timeout_failed"):
                hold = self.config["hold_s"]
            order["settles_on_query"] = behaviour == "no_callback"
            delays = {"succeed": [0.05], "async": [ASYNC_S], "fail_later": [ASYNC_S], "late": [self.config["late_s"]]}
            callbacks = delays.get(behaviour, [ASYNC_S, ASYNC_S * 2] if behaviour == "callback_twice" else [])
            final = "failed" if behaviour == "fail_later" else "success"
            state = self._state(order)
        for delay in callbacks:
            self._later(delay, order_id, final)
        return 200, state, hold

    def query(self, req: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            order = self.orders.get(str(req.get(self.fields["order_id"]) or ""))
            if order is None:
                return self.answer(code=0, status=self.status["not_found"], message="no such order")
            if order["status"] == "processing" and order.get("settles_on_query"):
                self._settle(order, "success")
            return self._state(order)

    def _state(self, order: dict[str, Any]) -> dict[str, Any]:
        return self.answer(code=0, status=self.status[order["status"]], supplier_order_id=order["supplier_order_id"])

    def _settle(self, order: dict[str, Any], status: str) -> None:
        if order["status"] == "processing":
            order["status"] = status
            order["recharged"] += status == "success"

    def _later(self, delay: float, order_id: str, status: str) -> None:
        generation = self.generation

        def fire() -> None:
            if self.stopping.wait(delay) or generation != self.generation:
                return
            self.callback(order_id, status)

        threading.Thread(target=fire, daemon=True).start()

    def callback(self, order_id: str, status: str) -> None:
        """Settle the order (once) and POST the signed result to its notify_url."""
        with self.lock:
            order = self.orders.get(order_id)
            if order is None:
                return
            self._settle(order, status)
            order["callbacks"] += 1
            f = self.fields
            payload = {
                f["order_id"]: order_id,
                f["callback_supplier_order_id"]: order["supplier_order_id"],
                f["status"]: self.status[order["status"]],
            }
            body = json.dumps(payload).encode()
            headers = {
                "Content-Type": "application/json",
                self.headers["app_id"]: self.config["app_id"],
                self.headers["sign"]: sign(self.config["sign"], self.config["key"], body),
            }
            url = order["notify_url"]
        if not url:
            return
        try:
            with urllib.request.urlopen(urllib.request.Request(url, body, headers, method="POST"), timeout=5) as resp:
                resp.read()
        except OSError as exc:
            log.info("callback for %s not delivered: %s", order_id, exc)

    def buy(self, req: dict[str, Any]) -> tuple[int, dict[str, Any], float]:
        f = self.fields
        request_id = str(req.get(f["request_id"]) or "")
        quantity = req.get(f["quantity"])
        if not request_id or not isinstance(quantity, int) or quantity < 1:
            return 400, self.answer(code=2, message="request_id and quantity required"), 0
        with self.lock:
            purchase = self.purchases.get(request_id)
            if purchase is None:
                behaviour = self._next("buy")
                if behaviour == "fail":
                    return 200, self.answer(code=1, message="out of stock"), 0
                if behaviour == "timeout":
                    return 200, self.answer(code=1, message="too late"), self.config["hold_s"]
                expires = (datetime.now(UTC).date() + timedelta(days=365)).isoformat()
                codes = [
                    {f["card_code"]: "SIM-" + secrets.token_hex(8), f["card_secret"]: secrets.token_hex(4)}
                    | {f["card_expires_on"]: expires}
                    for _ in range(quantity)
                ]
                purchase = self.purchases[request_id] = {"quantity": quantity, "codes": codes}
        return 200, self.answer(code=0, codes=purchase["codes"]), 0

    def ping(self) -> tuple[int, dict[str, Any]]:
        with self.lock:
            behaviour = self._next("ping")
        return (200, self.answer(code=0)) if behaviour == "ok" else (500, self.answer(code=500, message="down"))

    def snapshot_orders(self) -> dict[str, dict[str, Any]]:
        keys = ("status", "supplier_order_id", "recharged", "callbacks")
        with self.lock:
            return {k: {key: order[key] for key in keys} for k, order in self.orders.items()}

    def snapshot_purchases(self) -> dict[str, dict[str, Any]]:
        f = self.fields
        with self.lock:
            return {
                k: {"quantity": p["quantity"], "codes": [c[f["card_code"]] for c in p["codes"]]}
                for k, p in self.purchases.items()
            }


class Handler(BaseHTTPRequestHandler):
    server: "SimServer"

    def do_GET(self) -> None:
        sim, path = self.server.sim, self.path.split("?")[0]
        if path == "/_sim/orders":
            return self.reply(200, sim.snapshot_orders())
        if path == "/_sim/purchases":
            return self.reply(200, sim.snapshot_purchases())
        if path == sim.paths["ping"]:
            if not sim.verified(dict(self.headers.items()), b""):
                return self.reply(401, sim.answer(code=401, message="bad signature"))
            return self.reply(*sim.ping())
        self.reply(404, {"message": "not found"})

    def do_POST(self) -> None:
        sim, path = self.server.sim, self.path.split("?")[0]
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            req = json.loads(body or b"{}")
            if path.startswith("/_sim/"):
                return self.control(path, req)
        except ValueError as exc:
            return self.reply(400, {"message": str(exc)})
        kinds = {sim.paths[k]: k for k in PATHS}
        if path not in kinds:
            return self.reply(404, {"message": "not found"})
        if not sim.verified(dict(self.headers.items()), body):
            return self.reply(401, sim.answer(code=401, message="bad signature"))
        if not isinstance(req, dict):
            return self.reply(400, sim.answer(code=2, message="a JSON object is expected"))
        kind, hold = kinds[path], 0.0
        if kind == "recharge":
            status, answer, hold = sim.recharge(req)
        elif kind == "buy":
            status, answer, hold = sim.buy(req)
        elif kind == "query":
            status, answer = 200, sim.query(req)
        else:
            status, answer = sim.ping()
        if hold and sim.stopping.wait(hold):
            return  # shutting down: the client gave up long ago
        self.reply(status, answer)

    def control(self, path: str, req: Any) -> None:
        sim = self.server.sim
        actions: dict[str, Callable[[Any], None]] = {
            "/_sim/script": sim.script,
            "/_sim/default": sim.set_default,
            "/_sim/config": sim.configure,
            "/_sim/reset": lambda _: sim.reset(),
        }
        if path not in actions:
            return self.reply(404, {"message": "not found"})
        actions[path](req)
        self.reply(200, {"ok": True})

    def reply(self, status: int, data: Any) -> None:
        body = json.dumps(data).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client went away (it timed out): nothing to tell it

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)


class SimServer(ThreadingHTTPServer):
    daemon_threads = True
    sim: Simulator
    url: str

    def stop(self) -> None:
        self.sim.stopping.set()
        self.shutdown()
        self.server_close()


def serve(
    host: str = "127.0.0.1",
    port: int = 8090,
    app_id: str = "sim-app",
    key: str = "sim-key",
    hold_s: float = 30.0,
    late_s: float = 3.0,
    sign: str = "hmac-sha256",
) -> SimServer:
    """A simulator listening on host:port (0: any free port), serving from a daemon thread."""
    server = SimServer((host, port), Handler)
    server.sim = Simulator(app_id, key, hold_s, late_s, sign)
    server.url = f"http://{host}:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, name="supplier-sim", daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--app-id", default="sim-app")
    parser.add_argument("--key", default="sim-key")
    parser.add_argument("--sign", choices=("hmac-sha256", "md5"), default="hmac-sha256")
    parser.add_argument("--hold-s", type=float, default=30.0, help="how long 'timeout' holds its answer")
    parser.add_argument("--late-s", type=float, default=3.0, help="when 'late' calls back")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    server = serve(args.host, args.port, args.app_id, args.key, args.hold_s, args.late_s, args.sign)
    print(f"supplier simulator on {server.url} (app_id {args.app_id}); control: POST {server.url}/_sim/script")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
