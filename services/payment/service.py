from functools import partial

from nameko.dependency_providers import Config
from nameko.extensions import DependencyProvider
from nameko.timer import timer

from services.common.db import Database, each_one
from services.common.errors import DomainError, NotFound
from services.common.events import batch_handler, event_handler
from services.common.rpc import RpcProxy, rpc
from services.common.service import BaseService
from services.payment import channels, currencies, domain, intents, models, reconcile, refunds


class Channels(DependencyProvider):
    """{name: Channel} of the enabled channels, built once at start: a channel enabled with an
    empty key raises `channels.Misconfigured` here and the service does not start."""

    def setup(self):
        self.channels = channels.build(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.channels


def wire_request(request):
    """The gateway's request dict as the channels see it: the body back to bytes (it crosses RPC
    as a latin-1 string, which keeps every byte), and as stored for audit (JSON text)."""
    body = (request.get("body") or "").encode("latin-1")
    clean = {
        "method": str(request.get("method", "")),
        "headers": dict(request.get("headers") or {}),
        "query": dict(request.get("query") or {}),
        "form": dict(request.get("form") or {}),
        "body": body,
    }
    stored = {**clean, "body": body.decode("utf-8", "replace")}
    return clean, _no_nul(stored)


def _no_nul(value):
    """PostgreSQL's JSONB cannot hold NUL characters; a notification carrying one is kept without."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_no_nul(k): _no_nul(v) for k, v in value.items()}
    return value


class PaymentService(BaseService):
    name = "payment"
    db = Database(models.metadata)
    config = Config()
    channels = Channels()
    order_rpc = RpcProxy("order")

    @property
    def public_url(self):
        return self.config.get("PUBLIC_URL", "http://127.0.0.1:8000")

    @batch_handler("order", "payment_requested")
    def handle_payment_requested(self, envelopes):
        """The intents in the inbox's transaction, then the channels asked outside any (`intents`):
        also for an event handled before, whose intent a crash or a failed channel left unmade."""
        self.db.once_all(
            "payment.handle_payment_requested", envelopes, each_one(partial(intents.create, channels=self.channels))
        )
        correlations = {e["data"]["order_no"]: e.get("correlation_id") for e in envelopes}
        intents.finish(self.db, self.channels, self.public_url, list(correlations), correlations)

    @rpc(expected_exceptions=DomainError)
    def open_intent(self, payment_no):
        """The buyer opened the pay link (the gateway's /pay/{payment_no}), or pays in the sandbox:
        the payment as it stands, its intent made first if this number is new here (the order
        service says what it is for; its channel asked outside any transaction)."""
        with self.db.transaction() as s:
            found = s.get(models.Payment, payment_no)
            if found is not None and found.status != "creating":
                return domain.public(found)
        intents.start_now(self.db, self.channels, self.public_url, self.order_rpc.payment_request(payment_no))
        with self.db.transaction() as s:
            return domain.public(domain.payment_of(s, payment_no))

    @event_handler("order", "payment_close_requested")
    def handle_payment_close_requested(self, envelope):
        self.db.once("payment.handle_payment_close_requested", envelope, domain.close_intent)

    @event_handler("order", "refund_requested")
    def handle_refund_requested(self, envelope):
        refund_no = self.db.once("payment.handle_refund_requested", envelope, refunds.request_whole)
        if refund_no:
            self.run_refunds(refund_no)

    @rpc(expected_exceptions=DomainError)
    def channels_for(self, currency):
        """The enabled channels, in order, that take `currency` (the order service checks a
        buyer's choice against it; the product page offers them)."""
        return currencies.channels_for(list(self.channels), currency)

    @rpc
    def currencies_of(self, channel):
        """The currencies `channel` takes (None: any): the order has the catalog refuse a product
        priced otherwise before it reserves anything."""
        return currencies.currencies_of(str(channel))

    @rpc(expected_exceptions=DomainError)
    def integrity_facts(self, days):
        with self.db.transaction() as s:
            return domain.integrity_facts(s, days)

    @rpc(expected_exceptions=DomainError)
    def refund_payment(self, actor, order_no, amount, reason, idempotency_key=None):
        """An admin's partial refund of an order's payment, idempotent per Idempotency-Key.
        Answers the refund as it stands, or None when the amount is all that is left: then the
        caller refunds the order (its saga), so that the order shows `refunded`."""
        refund_no = refunds.refund_no_for(order_no, idempotency_key)
        with self.db.transaction() as s:
            if refunds.request_partial(s, actor, order_no, amount, reason, refund_no) is None:
                return None
        self.run_refunds(refund_no)
        with self.db.transaction() as s:
            return refunds.public(s.get(models.Refund, refund_no))

    @timer(interval=1)
    def retry_refunds(self):
        self.run_refunds()

    @timer(interval=5)
    def finish_intents(self):
        """Intents a crash or a failed channel left 'creating', once their lease has run out."""
        intents.finish(self.db, self.channels, self.public_url)

    @timer(interval=2)
    def reconcile(self):
        reconcile.run(
            self.db,
            self.channels,
            float(self.config.get("PAYMENT_RECONCILE_AFTER_S", 120)),
            float(self.config.get("PAYMENT_RECONCILE_EVERY_S", 60)),
        )

    @rpc(expected_exceptions=DomainError)
    def reconciliation_report(self, days=7):
        with self.db.transaction() as s:
            return reconcile.report(s, days)

    def run_refunds(self, refund_no=None):
        with self.db.transaction() as s:
            due = refunds.claim(s, refund_no)
        for number in due:
            refunds.ask(self.db, self.channels, number, float(self.config.get("PAYMENT_REFUND_RETRY_S", 30)))

    @rpc(expected_exceptions=DomainError)
    def get_payment(self, payment_no):
        with self.db.transaction() as s:
            return domain.public(domain.payment_of(s, payment_no))

    @rpc(expected_exceptions=DomainError)
    def admin_payment(self, order_no):
        """An order's payment with its refunds and notifications (admin)."""
        with self.db.transaction() as s:
            return domain.admin_view(s, order_no)

    @rpc(expected_exceptions=DomainError)
    def confirm_by_hand(self, actor, order_no, trade_no, reason):
        """The finance role settles a payment whose money arrived without a notification
        (`domain.confirm_by_hand`): the order's payment as it stands then."""
        with self.db.transaction() as s:
            domain.confirm_by_hand(s, str(actor), str(order_no)[:64], str(trade_no)[:64], str(reason)[:200])
        with self.db.transaction() as s:
            return domain.admin_view(s, str(order_no)[:64])

    @rpc(expected_exceptions=DomainError)
    def sandbox_pay(self, payment_no):
        """The sandbox channel: it 'sends' a signed notification, which takes the notify path
        (refused there too unless the sandbox is switched on)."""
        sandbox = self.channels.get("sandbox")
        if sandbox is None:
            raise NotFound("no such payment channel", {"channel": "sandbox"})
        self.open_intent(payment_no)  # any number the platform issued, its pay link opened or not
        with self.db.transaction() as s:
            request = sandbox.notification(domain.payment_of(s, payment_no))
        return self.notify("sandbox", {**request, "body": request["body"].decode("latin-1")})

    @rpc(expected_exceptions=DomainError)
    def notify(self, channel, request):
        """Every channel's notification, as the gateway received it ({method, headers (lower-case
        names), query, form, body (a latin-1 string)}): verify by the channel's rules, settle
        once. Answers the outcome and the reply the channel expects (status, headers, body)."""
        request, stored = wire_request(request)
        with self.db.transaction() as s:
            outcome, reply = domain.notify(s, self.channels, channel, request, stored)
        if reply is None:
            raise NotFound("no such payment channel", {"channel": channel})
        status, headers, body = reply
        if isinstance(body, bytes):
            body = body.decode("utf-8")
        return {"outcome": outcome, "status": status, "headers": headers, "body": body}
