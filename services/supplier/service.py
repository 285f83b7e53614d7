from nameko.dependency_providers import Config
from nameko.timer import timer

from services.common.crypto import Keys
from services.common.db import Database
from services.common.errors import DomainError, InvalidInput, NotFound, load
from services.common.events import event_handler
from services.common.rpc import RpcProxy, rpc
from services.common.service import BaseService
from services.common.signing import Signed
from services.supplier import (
    batches,
    circuit,
    keys,
    mapping,
    models,
    qualification,
    recharge,
    registry,
    replenish,
    schemas,
)

command = rpc(expected_exceptions=DomainError)


def action_of(name):
    if name not in registry.ACTIONS:
        raise InvalidInput("no such action", {"action": name})
    return registry.ACTIONS[name]


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
            circuit.usable,
        )

    # -- the registry (admin) ----------------------------------------------------------------

    @command
    def create_supplier(self, actor, new):
        new = load(schemas.NewSupplier(), new)
        with self.db.transaction() as s:
            return registry.create(s, actor, new)

    @command
    def get_supplier(self, supplier_id):
        with self.db.transaction() as s:
            return registry.get(s, int(supplier_id))

    @command
    def list_suppliers(self):
        with self.db.transaction() as s:
            return registry.listed(s)

    @command
    def approve_supplier(self, actor, supplier_id, review):
        review = load(schemas.Approval(), review)
        with self.db.transaction() as s:
            return registry.approve(s, actor, int(supplier_id), review, registry.today())

    @command
    def change_supplier(self, actor, supplier_id, action):
        """`action`: enable (409 unless approved and qualified), disable, suspend."""
        change = action_of(action)
        with self.db.transaction() as s:
            return change(s, actor, int(supplier_id), registry.today())

    @rpc(expected_exceptions=DomainError, sensitive_arguments=("connection.credentials",))
    def set_connection(self, actor, supplier_id, connection):
        connection = load(schemas.Connection(), connection)
        with self.db.transaction() as s:
            return registry.connect(s, self.keys, actor, int(supplier_id), connection)

    @command
    def set_sourcing(self, actor, supplier_id, sku, sourcing):
        sourcing, sku = load(schemas.Mapping(), sourcing), load(schemas.SkuPath(), {"sku": sku})["sku"]
        self.catalog_rpc.get_product(sku)  # 404 for a SKU the catalog does not sell; before the transaction
        with self.db.transaction() as s:
            return mapping.put(s, actor, int(supplier_id), sku, sourcing)

    @command
    def supplier_sourcing(self, supplier_id):
        with self.db.transaction() as s:
            return mapping.of_supplier(s, int(supplier_id))

    @command
    def sku_sourcing(self, sku=None):
        """One SKU's sources, or (no SKU) every mapped SKU's, fewest usable sources first."""
        with self.db.transaction() as s:
            return mapping.overview(s) if sku is None else mapping.of_sku(s, str(sku)[:64])

    @command
    def issue_key(self, actor, supplier_id):
        with self.db.transaction() as s:
            return keys.issue(s, self.keys, actor, int(supplier_id))

    @command
    def revoke_key(self, actor, supplier_id, key_id):
        with self.db.transaction() as s:
            keys.revoke(s, actor, int(supplier_id), str(key_id)[:64])

    @command
    def list_keys(self, supplier_id):
        with self.db.transaction() as s:
            return registry.key_views(s, int(supplier_id))

    # -- timers ------------------------------------------------------------------------------

    @timer(interval=60, eager=True)
    def expire_qualifications(self):
        """Disable suppliers whose qualification ran out; refresh the registry's gauges."""
        with self.db.transaction() as s:
            qualification.expire(s, registry.today())
            qualification.report(s, registry.today())

    @timer(interval=300)
    def forget_nonces(self):
        with self.db.transaction() as s:
            keys.forget_nonces(s)

    # -- the supplier API (signed) ------------------------------------------------------------

    @command
    def push_inventory(self, signed, body):
        """A signed push (DESIGN §6): 401, then 400, 403, 400, 422 in that order; nothing kept on
        any of them. The body's fault is raised only once the caller is known."""
        pushed = batches.read(body)
        product = batches.product_of(self.catalog_rpc.get_product, pushed)  # before the transaction
        with self.db.transaction() as s:
            return batches.push(s, self.keys, Signed.from_dict(signed), pushed, product, registry.today())

    @command
    def inventory_batch(self, signed, batch_id):
        with self.db.transaction() as s:
            return batches.view(s, self.keys, Signed.from_dict(signed), str(batch_id))

    @event_handler("catalog", "inventory_imported")
    def handle_inventory_imported(self, envelope):
        self.db.once("supplier.handle_inventory_imported", envelope, replenish.on_inventory_imported)

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

    @command
    def attempts_of(self, order_no):
        """A recharge's attempts at its suppliers (read-only; support's ticket view, issue 21)."""
        with self.db.transaction() as s:
            return recharge.attempts_of(s, str(order_no)[:64])

    @timer(interval=1)
    def tend_recharges(self):
        """Query open attempts that are due; probe suppliers whose circuit cooled down."""
        settings = recharge.Settings.of(self.config)
        recharge.poll(self.db, self.keys, settings)
        recharge.probe(self.db, self.keys, settings)

    # -- auto-replenishment --------------------------------------------------------------------

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
        worker.carry_out(first, envelope["data"]["sku"], envelope["event_id"])

    @timer(interval=30)
    def resume_purchases(self):
        self.replenisher().resume()

    @command
    def purchases(self, sku=None, limit=100):
        with self.db.transaction() as s:
            return replenish.listing(s, sku, min(max(int(limit), 1), 500))
