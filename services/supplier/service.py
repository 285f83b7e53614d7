from nameko.dependency_providers import Config
from nameko.timer import timer

from services.common.crypto import Keys
from services.common.db import Database
from services.common.errors import DomainError, load
from services.common.events import event_handler
from services.common.rpc import rpc
from services.common.service import BaseService
from services.supplier import models, recharge

command = rpc(expected_exceptions=DomainError)


class SupplierService(BaseService):
    """Upstream suppliers (issue 17): the registry, signed inventory pushes, auto-replenishment
    and direct recharge with failover. Entrypoints stay thin: the logic is in this package's
    modules."""

    name = "supplier"
    db = Database(models.metadata)
    keys = Keys()
    config = Config()

    # -- direct recharge (recharge.py; the breaker: circuit.py) --
    @command
    def start_recharge(self, data):
        """The delivery service hands a recharge over (idempotent per order_no); attempts follow."""
        with self.db.transaction() as s:
            return recharge.start(s, load(recharge.StartRecharge(), data))

    @event_handler("supplier", recharge.REQUESTED)
    def handle_recharge_requested(self, envelope):
        recharge.attempt(self.db, self.keys, recharge.Settings.of(self.config), envelope["data"]["order_no"])

    @command
    def recharge_callback(self, supplier_id, headers, body):
        """A supplier's result callback (the gateway passes it on; the body as a latin-1 string)."""
        settings = recharge.Settings.of(self.config)
        return recharge.callback(self.db, self.keys, settings, int(supplier_id), headers, body.encode("latin-1"))

    @command
    def recharge_status(self, order_no):
        """For the order's sweeper: succeeded | failed | trying | unknown."""
        with self.db.transaction() as s:
            return recharge.status(s, order_no)

    @timer(interval=1)
    def tend_recharges(self):
        """Query open attempts that are due; probe suppliers whose circuit cooled down."""
        settings = recharge.Settings.of(self.config)
        recharge.poll(self.db, self.keys, settings)
        recharge.probe(self.db, self.keys, settings)
