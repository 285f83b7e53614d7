"""Supplier adapters (issue 17, docs/suppliers.md): `make(kind, ...)` builds the adapter a
supplier's `adapter` column names; `KINDS` lists them (the registry validates against it)."""

from collections.abc import Callable, Mapping
from typing import Any

from services.supplier.adapters import dujiao, generic
from services.supplier.adapters.base import Adapter

FACTORIES: dict[str, Callable[..., Adapter]] = {
    "generic": generic.factory,
    "dujiao-next": dujiao.factory,
}
KINDS = tuple(FACTORIES)

# What each kind's suppliers expect as the answer to a callback they sent (status, content type,
# body): anything else makes them send it again (dujiao-next retries until it reads {"ok": true}).
CALLBACK_ACKS = {
    "generic": (200, "text/plain", "success"),
    "dujiao-next": (200, "application/json", '{"ok":true,"message":"received"}'),
}


def make(
    kind: str, base_url: str, settings: Mapping[str, Any], credentials: Mapping[str, Any], timeout_s: float
) -> Adapter:
    """An adapter for one supplier; ValueError for an unknown kind or incomplete settings or
    credentials (the message never repeats a credential)."""
    if kind not in FACTORIES:
        raise ValueError(f"unknown adapter kind {kind!r}: one of {', '.join(KINDS)}")
    return FACTORIES[kind](base_url, settings or {}, credentials or {}, timeout_s)


def callback_ack(kind: str) -> tuple[int, str, str]:
    """(HTTP status, content type, body) to answer a verified callback with."""
    return CALLBACK_ACKS.get(kind, CALLBACK_ACKS["generic"])
