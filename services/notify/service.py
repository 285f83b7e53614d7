from nameko.dependency_providers import Config
from nameko.timer import timer

from services.common.crypto import Keys
from services.common.db import Database
from services.common.errors import DomainError
from services.common.events import batch_handler, event_handler
from services.common.rpc import RpcProxy, rpc
from services.common.service import BaseService
from services.notify import models, news, sending, targets

command = rpc(expected_exceptions=DomainError)


class NotifyService(BaseService):
    """Everything that tells a person something (issue 21): e-mail and webhooks, templated,
    retried, never sent twice. Each handler queues its messages with the event's inbox row and
    sends them after the commit; the timer sends what a failure or a crash left (`sending`)."""

    name = "notify"
    db = Database(models.metadata)
    keys = Keys()
    config = Config()
    catalog_rpc = RpcProxy("catalog")  # the codes of a completion mail (KAMENG_MAIL_CODES=1)

    def send(self, ids=None):
        sending.send_due(self.db, self.keys, self.config, self.catalog_rpc.get_codes, ids)

    def queue_and_send(self, consumer, envelope, fn):
        self.send(self.db.once(f"notify.{consumer}", envelope, fn) or [])

    @batch_handler("order", "order_completed")
    def handle_order_completed(self, envelopes):
        """The buyers' completion mails of a batch: queued in one commit, then sent."""
        self.send(self.db.once_all("notify.handle_order_completed", envelopes, news.each_order_completed) or [])

    @event_handler("support", "ticket_opened")
    def handle_ticket_opened(self, envelope):
        self.queue_and_send("handle_ticket_opened", envelope, news.ticket_opened)

    @event_handler("support", "ticket_replied")
    def handle_ticket_replied(self, envelope):
        self.queue_and_send("handle_ticket_replied", envelope, news.ticket_replied)

    @event_handler("support", "ticket_sla_warning")
    def handle_ticket_sla_warning(self, envelope):
        self.queue_and_send("handle_ticket_sla_warning", envelope, lambda s, e: news.ticket_sla(s, e, self.config))

    @event_handler("support", "ticket_sla_breached")
    def handle_ticket_sla_breached(self, envelope):
        self.queue_and_send("handle_ticket_sla_breached", envelope, lambda s, e: news.ticket_sla(s, e, self.config))

    @event_handler("catalog", "stock_low")
    def handle_stock_low(self, envelope):
        self.queue_and_send("handle_stock_low", envelope, news.stock_low)

    @event_handler("supplier", "supplier_availability_changed")
    def handle_supplier_availability_changed(self, envelope):
        self.queue_and_send("handle_supplier_availability_changed", envelope, news.supplier_availability_changed)

    @timer(interval=5)
    def send_due(self):
        """Messages a failed try or a crash left unsent, once due (replica-safe: leased rows)."""
        self.send()

    @command
    def list_targets(self):
        with self.db.transaction() as s:
            return targets.listing(s, self.keys)

    @command
    def create_target(self, actor, body):
        with self.db.transaction() as s:
            return targets.create(s, self.keys, str(actor), body)

    @command
    def update_target(self, actor, target_id, body):
        with self.db.transaction() as s:
            return targets.update(s, self.keys, str(actor), int(target_id), body)

    @command
    def delete_target(self, actor, target_id):
        with self.db.transaction() as s:
            return targets.delete(s, str(actor), int(target_id))
