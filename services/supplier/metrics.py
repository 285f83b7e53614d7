"""The supplier service's metrics, per supplier (issue 17): the alert rules
(deploy/prometheus/alerts.yml) and the dashboard read these names."""

from prometheus_client import Counter, Histogram

ATTEMPTS = Counter(
    "kameng_supplier_attempts_total",
    "Attempts at a supplier by kind (recharge, buy) and how they ended (succeeded, failed); one per attempt",
    ["supplier", "kind", "outcome"],
)
CALL_SECONDS = Histogram(
    "kameng_supplier_call_seconds",
    "Time a call to a supplier's API took (recharge, query, probe, buy)",
    ["supplier", "kind"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
SPEND = Counter(
    "kameng_supplier_spend_minor_total",
    "What succeeded supplier orders and purchases cost us (cost price x quantity), minor units",
    ["supplier", "kind"],
)
CAPPED = Counter(
    "kameng_supplier_replenish_capped_total", "Replenishments cut short by the SKU's hourly spending cap", ["sku"]
)
