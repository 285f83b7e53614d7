"""Helpers for tests (no mocks of the broker or database: these talk to the real ones)."""

import os
import random
import socket
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import eventlet

from services.common import envelope
from services.common.config import DEV_ENV, Settings, nameko_config, settings

T = TypeVar("T")


def make_envelope(
    type_: str, correlation_id: str | None = None, event_id: str | None = None, **data: Any
) -> dict[str, Any]:
    return envelope.make(type_, data, correlation_id, event_id)


_HANDED_OUT: set[int] = set()


def _ephemeral_low() -> int:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _port_range() -> tuple[int, int]:
    """Below the ephemeral range; a shard of a parallel run (tools/testrun.py sets
    KAMENG_TEST_SHARD="i/n") draws from its own n-th of it, so two shards never pick one port."""
    low, high = 20000, _ephemeral_low()
    index, _, count = os.environ.get("KAMENG_TEST_SHARD", "0/1").partition("/")
    step = (high - low) // max(1, int(count or 1))
    return low + int(index) * step, low + (int(index) + 1) * step


def free_port() -> int:
    """A port for a server that binds it later (a gateway, a private broker). Not one the kernel
    hands out itself: an outgoing connection (to the broker, the database) could take that very
    port before the server binds it ("Address already in use", seen in CI). Drawn below the
    ephemeral range instead (this shard's part of it), never the same twice in a run, and
    checked free now."""
    low, high = _port_range()
    for _ in range(200):
        port = random.randrange(low, high) if high > low + 100 else 0
        if port in _HANDED_OUT:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            port = int(s.getsockname()[1])
        _HANDED_OUT.add(port)
        return port
    raise RuntimeError("no free port below the ephemeral range")


def wait_until(
    predicate: Callable[[], T],
    timeout: float = 10.0,
    interval: float = 0.05,
    message: str | Callable[[], str] = "condition",
) -> T:
    """Poll `predicate` (cooperatively) until it returns something truthy; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout}s waiting for {message() if callable(message) else message}"
            )
        eventlet.sleep(interval)


def test_settings(database_url: str) -> Settings:
    base = settings()
    values = {f.name: getattr(base, f.name) for f in Settings.__dataclass_fields__.values()}
    values.update(
        database_url=database_url,
        data_keys=(DEV_ENV["KAMENG_DATA_KEY"],),
        admin_token=DEV_ENV["KAMENG_ADMIN_TOKEN"],
        sandbox_payments=True,
    )
    return Settings(**values)


def test_config(amqp_uri: str, database_url: str, **overrides: Any) -> dict[str, Any]:
    """A nameko config for one test: its own vhost, the throw-away database, a free HTTP port,
    quick retries."""
    port = free_port()
    config = nameko_config(
        test_settings(database_url),
        AMQP_URI=amqp_uri,
        WEB_SERVER_ADDRESS=f"127.0.0.1:{port}",
        EVENT_RETRY_DELAY_MS=50,
        OUTBOX_POLL_S=0.5,  # as in production: a commit wakes the relay; the poll is only a fallback
        HEALTH_TIMEOUT_S=1.5,
        RPC_TIMEOUT_S=8,  # a loaded test box (three shards, every service in-process) answers late, not never
        RATE_LIMITS="off",
        RATE_LIMIT_PREFIX=f"kameng-test:{uuid.uuid4().hex}",
        RISK_COUNTER_PREFIX=f"kameng-test-risk:{uuid.uuid4().hex}",
    )
    config["BASE_URL"] = f"http://127.0.0.1:{port}"
    config.update(overrides)
    return config


def unique(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"
