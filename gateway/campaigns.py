"""Timed campaigns on the storefront (issue 22): what the catalog says is running now or starts
within a day (`storefront_campaigns`, kept `cache.campaigns` seconds), shaped for the pages: the
banner's list and each SKU's deal (campaign price, and the instant its window ends or starts,
which gateway/static/campaigns.js counts down). The catalog decides the windows and the prices;
the order is priced by the catalog's own rule, whatever a page shows."""

import logging
from datetime import UTC, datetime

from gateway import cache
from services.common.errors import Unavailable

log = logging.getLogger(__name__)


def current(gateway):
    """The campaigns to show ([] when the catalog does not answer: the shop still sells)."""
    try:
        return cache.campaigns.get_or_set("all", gateway.catalog_rpc.storefront_campaigns)
    except Unavailable:
        log.warning("no campaigns shown: the catalog did not answer")
        return []


def seconds_to(iso):
    at = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return max(0, int((at - datetime.now(UTC)).total_seconds()))


def clock(seconds):
    """What a countdown shows before its script runs (the script writes the same form)."""
    days, rest = divmod(seconds, 86400)
    text = f"{rest // 3600}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
    return f"{days}d {text}" if days else text


def deals(campaigns):
    """{sku: deal} — a running campaign's deal before one that is still to start; among running
    ones the lowest price. A deal: {"name", "price", "running", "at" (its end, or its start), "clock"}."""
    found: dict[str, dict] = {}
    for c in campaigns:
        at = c["ends_at"] if c["running"] else c["starts_at"]
        for sku, price in c["prices"].items():
            deal = {
                "name": c["name"],
                "price": price,
                "running": c["running"],
                "at": at,
                "clock": clock(seconds_to(at)),
            }
            known = found.get(sku)
            if known is None or (deal["running"], -price) > (known["running"], -known["price"]):
                found[sku] = deal
    return found


def banner(campaigns):
    """The campaigns for the banner, each with its countdown's start text."""
    shown = []
    for c in campaigns:
        at = c["ends_at"] if c["running"] else c["starts_at"]
        shown.append({**c, "at": at, "clock": clock(seconds_to(at))})
    return shown
