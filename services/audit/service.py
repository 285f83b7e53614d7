"""The audit service: cross-service checks that belong to no single service (DESIGN §2). It owns
no tables; it asks the other services for their facts over RPC and compares them
(services/audit/integrity.py). The admin console calls it; `make audit` runs the same check."""

from services.audit import integrity
from services.common.errors import DomainError
from services.common.metrics import Instrumentation
from services.common.rpc import RpcProxy, rpc

FACTS_TIMEOUT_S = 30


class AuditService:
    name = "audit"
    instrumentation = Instrumentation()
    order_rpc = RpcProxy("order")
    catalog_rpc = RpcProxy("catalog")
    payment_rpc = RpcProxy("payment")
    account_rpc = RpcProxy("account")

    @rpc(expected_exceptions=DomainError)
    def check_integrity(self, days=30, grace_s=300):
        rpcs = {name: getattr(self, f"{name}_rpc") for name in integrity.SOURCES}
        return integrity.audit(rpcs, days, grace_s, timeout=FACTS_TIMEOUT_S)

    @rpc
    def ping(self):
        """Health: this service's workers run (it has no database)."""
        return {"service": self.name, "database": "none"}
