from functools import partial

from nameko.dependency_providers import Config

from services.common.db import Database
from services.common.events import event_handler
from services.common.rpc import RpcProxy
from services.common.service import BaseService
from services.delivery import domain, mailer, models


class DeliveryService(BaseService):
    name = "delivery"
    db = Database(models.metadata)
    catalog_rpc = RpcProxy("catalog")
    config = Config()

    @event_handler("order", "delivery_requested")
    def handle_delivery_requested(self, envelope):
        # idempotent, before the txn; suppliers' issue passes hand_to_supplier (domain.start_recharge)
        outcome = domain.fulfil(envelope["data"], self.catalog_rpc.commit)
        self.db.once("delivery.handle_delivery_requested", envelope, partial(domain.record, outcome=outcome))

    @event_handler("order", "order_completed")
    def handle_order_completed(self, envelope):
        codes = mailer.codes_to_mail(self.config, envelope["data"]["order_no"], self.catalog_rpc.get_codes)
        send = partial(mailer.send_completion, config=self.config, codes=codes)
        self.db.once("delivery.handle_order_completed", envelope, send)
