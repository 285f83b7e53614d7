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

    @event_handler("order", "delivery_requested")
    def handle_delivery_requested(self, envelope):
        failure = domain.fulfil(envelope["data"], self.catalog_rpc.commit)   # idempotent, before the txn
        self.db.once("delivery.handle_delivery_requested", envelope, partial(domain.record, failure=failure))
