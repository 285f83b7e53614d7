from functools import partial

from nameko.dependency_providers import Config
from nameko.rpc import rpc

from services.common.db import Database
from services.common.errors import DomainError
from services.common.events import event_handler
from services.common.service import BaseService
from services.payment import channels, domain, models


class PaymentService(BaseService):
    name = "payment"
    db = Database(models.metadata)
    config = Config()

    @event_handler("order", "payment_requested")
    def handle_payment_requested(self, envelope):
        create = partial(domain.create_intent, public_url=self.config.get("PUBLIC_URL", "http://127.0.0.1:8000"))
        self.db.once("payment.handle_payment_requested", envelope, create)

    @event_handler("order", "payment_close_requested")
    def handle_payment_close_requested(self, envelope):
        self.db.once("payment.handle_payment_close_requested", envelope, domain.close_intent)

    @event_handler("order", "refund_requested")
    def handle_refund_requested(self, envelope):
        self.db.once("payment.handle_refund_requested", envelope, domain.refund)

    @rpc(expected_exceptions=DomainError)
    def get_payment(self, payment_no):
        with self.db.transaction() as s:
            return domain.public(domain.payment_of(s, payment_no))

    @rpc(expected_exceptions=DomainError)
    def sandbox_pay(self, payment_no):
        """The sandbox channel: it 'sends' a signed notification, which takes the notify path
        (refused there too unless the sandbox is switched on)."""
        key = channels.sandbox_key(self.config["DATA_KEYS"])
        with self.db.transaction() as s:
            notice = channels.sandbox_notification(key, domain.payment_of(s, payment_no))
        return self.notify("sandbox", notice)

    @rpc(expected_exceptions=DomainError)
    def notify(self, channel, raw):
        """Every channel's notification: verify by the channel's rules, then settle once."""
        key = channels.sandbox_key(self.config["DATA_KEYS"])
        with self.db.transaction() as s:
            try:
                notice = channels.verify(channel, key, raw, sandbox=bool(self.config.get("SANDBOX_PAYMENTS")))
            except channels.Refused as refused:
                domain.record_refused(s, channel, raw, str(refused))
                return {"outcome": f"rejected: {refused}"}
            return {"outcome": domain.settle(s, channel, notice, raw)}
