"""The areas of the HTTP surface, one class each, all of them bases of `GatewayService`."""

from typing import Any

from gateway.pageviews import Tally
from gateway.ratelimit import Limiter
from gateway.soldout import Shelf
from gateway.waits import Board
from services.common.batching import Batcher


class Routes:
    """What an area's methods use on `self`: the dependencies `GatewayService` declares, as a worker
    sees them (what each provider's `get_dependency` hands over)."""

    config: dict[str, Any]
    limit: Limiter
    orders_moving: Board
    sold_out: Shelf
    page_views: Tally
    catalog_rpc: Any  # nameko's RPC proxies carry no type hints
    order_rpc: Any
    order_creates: Batcher  # POST /orders at once share a round trip to the order service
    payment_rpc: Any
    delivery_rpc: Any
    risk_rpc: Any
    account_rpc: Any
    supplier_rpc: Any
    support_rpc: Any
    notify_rpc: Any
    audit_rpc: Any
    analytics_rpc: Any
