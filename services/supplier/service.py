from nameko.dependency_providers import Config
from nameko.timer import timer

from services.common.crypto import Keys
from services.common.db import Database
from services.common.errors import NotFound
from services.common.events import event_handler
from services.common.rpc import RpcProxy, rpc
from services.common.service import BaseService
from services.supplier import models, replenish


def healthy(supplier):
    return supplier.circuit != "open"


class SupplierService(BaseService):
    """Upstream suppliers (issue 17): the registry, signed inventory pushes, auto-replenishment
    and direct recharge with failover. Entrypoints stay thin: the logic is in this package's
    modules."""

    name = "supplier"
    db = Database(models.metadata)
    keys = Keys()
    config = Config()
    catalog_rpc = RpcProxy("catalog")

    def replenisher(self):
        return replenish.Replenisher(
            self.db,
            self.keys,
            float(self.config.get("SUPPLIER_TIMEOUT_S", 10)),
            int(self.config.get("SUPPLIER_HOURLY_CAP", 100000)),
            healthy,
        )

    @event_handler("catalog", "stock_low")
    def handle_stock_low(self, envelope):
        """Buy codes for a card SKU that ran low (once per crossing: the inbox row)."""
        try:
            product = self.catalog_rpc.get_product(envelope["data"]["sku"])  # before any transaction
        except NotFound:
            return
        if product["delivery"] != "card":
            return  # counted goods are refilled by their suppliers' stock reports
        worker = self.replenisher()
        first = self.db.once("supplier.handle_stock_low", envelope, worker.first)
        worker.carry_out(first, envelope["data"]["sku"], envelope["id"])

    @timer(interval=30)
    def resume_purchases(self):
        self.replenisher().resume()

    @rpc
    def purchases(self, sku=None, limit=100):
        with self.db.transaction() as s:
            return replenish.listing(s, sku, min(max(int(limit), 1), 500))
