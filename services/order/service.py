from nameko.dependency_providers import Config
from nameko.timer import timer

from services.common.batching import Batched, answer_each
from services.common.cache import Cached
from services.common.config import enabled_payment_channels
from services.common.crypto import Keys
from services.common.db import Database
from services.common.errors import DomainError, load
from services.common.events import batch_handler
from services.common.hints import Hints
from services.common.rpc import RpcProxy, rpc
from services.common.service import BaseService
from services.order import accept, agents, digest, domain, lookup, members, points, reports, saga, schemas
from services.order.models import metadata

command = rpc(expected_exceptions=DomainError)
CREATE_AT_ONCE = 8  # orders of one gateway round trip created at the same time (each holds a connection briefly)


def on(source, event_type):
    """A saga event handler: the inbox rows, the transitions and their requests of a batch of
    events in one commit."""

    def handle(self, envelopes):
        deliver_now = self.db.once_all(f"order.handle_{event_type}", envelopes, saga.advance_all)
        if deliver_now:  # after the commit: the codes of the orders it made `paid`
            answer_s = float(self.config.get("DELIVER_ANSWER_S", 10))
            saga.deliver_codes(self.db, self.catalog_rpc.commit_all, deliver_now, answer_s)

    handle.__name__ = f"handle_{event_type}"
    return batch_handler(source, event_type)(handle)


class OrderService(BaseService):
    name = "order"
    db = Database(metadata)
    hints = Hints()
    keys = Keys()
    config = Config()
    catalog_rpc = RpcProxy("catalog")
    payment_rpc = RpcProxy("payment")
    risk_rpc = RpcProxy("risk")
    supplier_rpc = RpcProxy("supplier")
    account_rpc = RpcProxy("account")
    reserve_batch = Batched("catalog/reserve_quoted_all")  # orders created at once: one round trip
    risk_batch = Batched("risk/assess_all")  # their assessments: one round trip
    # the payment service's rule, both ways: currency -> the channels that take it; channel -> its currencies
    channels_taking = Cached(ttl=10.0, max_entries=16)
    currencies_taken = Cached(ttl=10.0, max_entries=16)

    @command
    def create_order(self, cmd, signals=None, idempotency_key=None, buyer=None, via_agent=None):
        """`via_agent`: {"agent_id", "top_level"} of the sub-store or link the order is placed in."""
        risk_answer_s = float(self.config.get("RISK_ANSWER_S", 1.0))
        return accept.accept(
            self.db,
            self.keys,
            load(schemas.CreateOrder(), cmd),
            signals or {},
            idempotency_key,
            {
                "channels": set(enabled_payment_channels(self.config)),
                "window_s": int(self.config.get("PAYMENT_WINDOW_S", 900)),
                "review_s": int(self.config.get("RISK_REVIEW_WINDOW_S", 1800)),
                "public_url": self.config.get("PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
                "points": points.terms(self.config),
            },
            reserve=self.reserve_quoted,
            assess=lambda signals: self.risk_batch.call(
                self.risk_rpc.assess_all.timed(risk_answer_s), {"signals": signals}
            ),
            takes=lambda currency: self.channels_taking.get_or_set(
                currency, lambda: self.payment_rpc.channels_for(currency)
            ),
            currencies_of=lambda channel: self.currencies_taken.get_or_set(
                channel, lambda: self.payment_rpc.currencies_of(channel)
            ),
            buyer=buyer,
            via=load(schemas.Agent(), via_agent) if via_agent else None,
            store_price=self.account_rpc.agent_store_prices,
        )

    @rpc
    def create_order_all(self, calls):
        """`create_order` for the orders the gateway's requests brought at once (one round trip,
        services/common/batching.py), CREATE_AT_ONCE of them at a time in this worker: their
        calls to the catalog and risk share round trips in turn. One outcome per call, in order."""
        return answer_each(calls, lambda kwargs: self.create_order(**kwargs), at_once=CREATE_AT_ONCE)

    @command
    def create_agent_order(self, agent, cmd):
        """An agent's order (open API), paid from its wallet: {"order", "created"} (DESIGN §6)."""
        who, order = load(schemas.Agent(), agent), load(schemas.AgentOrder(), cmd)
        charge = self.account_rpc.charge_agent_order
        return agents.create(self.db, who, order, reserve=self.reserve_quoted, charge=charge)

    def reserve_quoted(self, order_no, sku, quantity, ttl_s, **options):
        """The catalog's `reserve_quoted`, in one round trip with the other orders' being created
        now (services/common/batching.py)."""
        call = {"order_no": order_no, "sku": sku, "quantity": quantity, "ttl_s": ttl_s, **options}
        return self.reserve_batch.call(self.catalog_rpc.reserve_quoted_all, call)

    @command
    def agent_order(self, agent_id, agent_order_id):
        """An agent's own order, with its codes once delivered (404 for another agent's)."""
        with self.db.transaction() as s:
            order = agents.for_agent(s, agent_id, agent_order_id)
        return domain.with_items(order, self.catalog_rpc.get_codes)

    @command
    def payment_request(self, payment_no):
        """The payment service's first sight of a payment number: what its intent needs."""
        with self.db.transaction() as s:
            return domain.payment_request(s, payment_no)

    @command
    def remember_answer(self, idempotency_key, answer):
        with self.db.transaction() as s:
            domain.remember_answer(s, self.keys, idempotency_key, answer)

    @command
    def order_status(self, order_no):
        with self.db.transaction() as s:
            return domain.view(domain.order(s, order_no))

    @command
    def get_order(self, order_no, token):
        with self.db.transaction() as s:
            found = domain.for_buyer(s, order_no, token)
            order, seen_before = domain.view(found), found.codes_shown_at is not None
        shown = domain.with_items(order, self.catalog_rpc.get_codes)
        if not seen_before:  # the first reveal is recorded once, not on every look
            with self.db.transaction() as s:
                domain.mark_codes_shown(s, shown)
        return shown

    @command
    def buyer_order(self, order_no):
        """get_order for a buyer the gateway found by contact + query password (find_orders)."""
        with self.db.transaction() as s:
            order = domain.view(domain.order(s, order_no))
        shown = domain.with_items(order, self.catalog_rpc.get_codes)
        with self.db.transaction() as s:
            domain.mark_codes_shown(s, shown)
        return shown

    @command
    def buyer_orders(self, buyer_id, limit=50):
        """A signed-in buyer's orders, newest first, with their codes once delivered (no token)."""
        with self.db.transaction() as s:
            orders = members.orders_of(s, int(buyer_id), int(limit))
        shown = members.with_codes(orders, self.catalog_rpc.get_codes)
        with self.db.transaction() as s:
            members.mark_shown(s, shown)
        return shown

    @command
    def claim_order(self, order_no, token, buyer_id):
        """A guest order joins a buyer's account once its token is proved (404 like a wrong token)."""
        with self.db.transaction() as s:
            return members.claim(s, order_no, token, int(buyer_id), points.terms(self.config))

    @command
    def set_lookup_password(self, order_no, token, password):
        with self.db.transaction() as s:
            contact = lookup.contact_of(s, order_no, token)
        cred = load(schemas.LookupCredentials(), {"contact": contact, "password": password})
        password_hash = lookup.digest(cred["contact"], cred["password"])
        with self.db.transaction() as s:
            lookup.set_password(s, order_no, contact, password_hash)

    @command
    def ticket_party(self, order_no, token=None, buyer_id=None, found_by_contact=False):
        """The support service's check that a caller is an order's buyer (issue 21)."""
        with self.db.transaction() as s:
            return lookup.ticket_party(s, str(order_no)[:64], token, buyer_id, bool(found_by_contact))

    @command
    def find_orders(self, contact, password):
        cred = load(schemas.LookupCredentials(), {"contact": contact, "password": password})
        password_hash = lookup.digest(cred["contact"], cred["password"])
        with self.db.transaction() as s:
            return lookup.find(s, cred["contact"], password_hash)

    @command
    def dashboard(self, since):
        with self.db.transaction() as s:
            return reports.dashboard(s, since)

    @command
    def cancel_order(self, order_no, token):
        with self.db.transaction() as s:
            return domain.view(domain.cancel(s, order_no, token))

    @command
    def admin_order(self, order_no):
        with self.db.transaction() as s:
            return domain.admin_view(s, order_no)

    @command
    def search_orders(self, query):
        with self.db.transaction() as s:
            return domain.search(s, **load(schemas.Search(), query))

    @command
    def order_states(self):
        """Every state an order can be in (the console's filter lists them; the gateway has no copy)."""
        return list(saga.STATES)

    @command
    def refund_order(self, actor, order_no, reason):
        with self.db.transaction() as s:
            return domain.view(domain.refund(s, actor, order_no, reason))

    @command
    def member_points(self, buyer_id, limit=50):
        """A member's points: balance, next expiry, latest movements (their page, the console)."""
        with self.db.transaction() as s:
            return points.summary(s, int(buyer_id), min(int(limit), 200))

    @command
    def integrity_facts(self, days):
        with self.db.transaction() as s:
            return domain.integrity_facts(s, days)

    handle_risk_approved = on("risk", "risk_approved")
    handle_risk_rejected = on("risk", "risk_rejected")
    handle_risk_review = on("risk", "risk_review")
    handle_review_approved = on("risk", "review_approved")
    handle_review_rejected = on("risk", "review_rejected")
    handle_stock_reserved = on("catalog", "stock_reserved")
    handle_stock_reservation_failed = on("catalog", "stock_reservation_failed")
    handle_payment_intent_created = on("payment", "payment_intent_created")
    handle_payment_succeeded = on("payment", "payment_succeeded")
    handle_refund_completed = on("payment", "refund_completed")
    handle_delivery_started = on("delivery", "delivery_started")
    handle_delivery_completed = on("delivery", "delivery_completed")
    handle_delivery_failed = on("delivery", "delivery_failed")

    @timer(interval=2)
    def digest(self):
        """One `orders_placed` for the analytics service per interval, never one per order."""
        with self.db.transaction() as s:
            digest.publish(s, lag_s=float(self.config.get("ORDER_DIGEST_LAG_S", digest.LAG_S)))

    @timer(interval=1)
    def sweep(self):
        with self.db.transaction() as s:
            recharges = saga.sweep(s)  # stuck recharges: asked of the supplier service, after the commit
            domain.sweep_keys(s)
            points.expire_due(s)
        if recharges:
            answers = saga.ask_suppliers(self.supplier_rpc.recharge_status, recharges)
            with self.db.transaction() as s:
                saga.settle_recharges(s, answers)
