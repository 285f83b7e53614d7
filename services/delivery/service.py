from functools import partial

from services.common.db import Database
from services.common.events import event_handler
from services.common.rpc import RpcProxy
from services.common.service import BaseService
from services.delivery import domain, models


class DeliveryService(BaseService):
    name = "delivery"
    db = Database(models.metadata)
    catalog_rpc = RpcProxy("catalog")
    supplier_rpc = RpcProxy("supplier")

    @event_handler("order", "delivery_requested")
    def handle_delivery_requested(self, envelope):
        # idempotent, before the txn: codes committed by the catalog, or a recharge handed to suppliers
        outcome = domain.fulfil(envelope["data"], self.catalog_rpc.commit, self.supplier_rpc.start_recharge)
        self.db.once("delivery.handle_delivery_requested", envelope, partial(domain.record, outcome=outcome))

    @event_handler("supplier", "recharge_succeeded")
    def handle_recharge_succeeded(self, envelope):
        self.db.once("delivery.handle_recharge_succeeded", envelope, domain.record_recharge)

    @event_handler("supplier", "recharge_failed")
    def handle_recharge_failed(self, envelope):
        self.db.once("delivery.handle_recharge_failed", envelope, domain.record_recharge)
