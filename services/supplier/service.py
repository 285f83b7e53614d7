from nameko.dependency_providers import Config

from services.common.crypto import Keys
from services.common.db import Database
from services.common.envelope import utcnow
from services.common.errors import DomainError
from services.common.events import event_handler
from services.common.rpc import RpcProxy, rpc
from services.common.service import BaseService
from services.common.signing import Signed
from services.supplier import batches, models

command = rpc(expected_exceptions=DomainError)


class SupplierService(BaseService):
    """Upstream suppliers (issue 17): the registry, signed inventory pushes, auto-replenishment
    and direct recharge with failover. Entrypoints stay thin: the logic is in this package's
    modules."""

    name = "supplier"
    db = Database(models.metadata)
    keys = Keys()
    config = Config()
    catalog_rpc = RpcProxy("catalog")

    @command
    def push_inventory(self, signed, body):
        """A signed push (DESIGN §6): 401, then 400, 403, 400, 422 in that order; nothing kept on
        any of them. The body's fault is raised only once the caller is known."""
        pushed = batches.read(body)
        product = batches.product_of(self.catalog_rpc.get_product, pushed)  # before the transaction
        with self.db.transaction() as s:
            return batches.push(s, self.keys, Signed.from_dict(signed), pushed, product, utcnow().date())

    @command
    def inventory_batch(self, signed, batch_id):
        with self.db.transaction() as s:
            return batches.view(s, self.keys, Signed.from_dict(signed), str(batch_id))

    @event_handler("catalog", "inventory_imported")
    def handle_inventory_imported(self, envelope):
        self.db.once("supplier.handle_inventory_imported", envelope, batches.on_inventory_imported)
