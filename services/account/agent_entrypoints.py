"""The account service's agent entrypoints (issue 19), a base of `AccountService`: the tree and
levels (admin), keys and the signed caller (open API), the wallet and ledger (agent orders,
finance), and the order events that complete or refund agent orders. Thin: the rules are in
agents.py, sales.py and ledger.py."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from nameko.timer import timer
from sqlalchemy.orm import Session

from services.account import agent_schemas as schemas, agents, console, ledger, levels, referrals, sales, sessions
from services.common.db import each_one
from services.common.errors import DomainError, NotFound, load
from services.common.events import batch_handler, event_handler
from services.common.rpc import rpc
from services.common.signing import Signed

command = rpc(expected_exceptions=DomainError)


def now() -> datetime:
    return datetime.now().astimezone()


def on_order_completed(settle_days: float, config: Any) -> Callable[[Session, Any], None]:
    count_points = str(config.get("POINTS_COUNT_TOWARD_LEVELS", "0")) == "1"
    cashback = referrals.settings(config)

    def run(session: Session, envelope: Any) -> None:
        levels.on_order_completed(session, envelope, count_points)
        sales.on_order_completed(session, envelope, settle_days)
        referrals.on_order_completed(session, envelope, cashback)  # the referrer's cashback (issue 22)

    return run


def on_order_refunded(session: Session, envelope: Any) -> None:
    sales.on_order_refunded(session, envelope)
    referrals.on_order_refunded(session, envelope)


class AgentEntrypoints:
    db: Any
    keys: Any
    config: Any

    def settle_days(self) -> float:
        return float(self.config.get("COMMISSION_SETTLE_DAYS", 7))

    # -- the tree and levels (admin) -----------------------------------------------------------

    @command
    def create_agent(self, actor, new):
        new = load(schemas.NewAgent(), new)
        with self.db.transaction() as s:
            return agents.create(s, actor, new, int(self.config.get("AGENT_MAX_DEPTH", 5)))

    @command
    def get_agent(self, agent_id):
        with self.db.transaction() as s:
            return agents.get(s, int(agent_id))

    @command
    def list_agents(self, parent=None):
        with self.db.transaction() as s:
            return agents.listing(s, None if parent is None else int(parent))

    @command
    def change_agent(self, actor, agent_id, changes):
        changes = load(schemas.AgentChanges(), changes)
        if "ip_allowlist" in changes:
            changes["ip_allowlist"] = agents.valid_cidrs(changes["ip_allowlist"])
        with self.db.transaction() as s:
            return agents.change(s, actor, int(agent_id), changes)

    @command
    def agent_levels(self):
        with self.db.transaction() as s:
            return agents.levels(s)

    @command
    def put_agent_level(self, actor, level):
        level = load(schemas.AgentLevel(), level)
        with self.db.transaction() as s:
            return agents.put_level(s, actor, level["name"], level["rank"])

    @command
    def delete_agent_level(self, actor, name):
        with self.db.transaction() as s:
            agents.remove_level(s, actor, str(name)[:32])

    # -- keys and the signed caller ------------------------------------------------------------

    @command
    def issue_agent_key(self, actor, agent_id):
        with self.db.transaction() as s:
            return agents.issue_key(s, self.keys, actor, int(agent_id))

    @command
    def revoke_agent_key(self, actor, agent_id, key_id):
        with self.db.transaction() as s:
            agents.revoke_key(s, actor, int(agent_id), str(key_id)[:64])

    @command
    def agent_keys(self, agent_id):
        with self.db.transaction() as s:
            return agents.list_keys(s, int(agent_id))

    @command
    def authenticate_agent(self, signed, ip):
        with self.db.transaction() as s:
            return agents.authenticate(s, self.keys, Signed.from_dict(signed), str(ip))

    @command
    def agent_prices(self, agent_id, items):
        items = load(schemas.PriceItem(many=True), items)
        with self.db.transaction() as s:
            return agents.prices(s, int(agent_id), items)

    # -- the wallet and the ledger ---------------------------------------------------------------

    @command
    def charge_agent_order(self, agent_id, order_no, sku, quantity, top_unit_price, currency):
        c = load(
            schemas.Charge(),
            {
                "agent_id": agent_id,
                "order_no": order_no,
                "sku": sku,
                "quantity": quantity,
                "top_unit_price": top_unit_price,
                "currency": currency,
            },
        )
        with self.db.transaction() as s:
            return sales.charge(s, **c)

    @command
    def refund_agent_order(self, order_no):
        with self.db.transaction() as s:
            answer = sales.refund(s, str(order_no)[:64], now())
        if answer is None:
            raise NotFound("no such agent order", {"order_no": order_no})
        return answer

    @command
    def agent_balance(self, agent_id):
        with self.db.transaction() as s:
            agents.chain(s, int(agent_id))
            return {
                "balance": ledger.balance(s, ledger.wallet(int(agent_id))),
                "pending": ledger.balance(s, ledger.pending(int(agent_id))),
                "currency": agents.CURRENCY,
            }

    @command
    def agent_statement(self, agent_id, limit=50, before=None):
        with self.db.transaction() as s:
            agents.chain(s, int(agent_id))
            return ledger.statement(
                s, int(agent_id), max(1, min(int(limit), 500)), None if before is None else int(before)
            )

    @command
    def agent_commissions(self, agent_id, limit=100):
        with self.db.transaction() as s:
            return sales.commissions(s, int(agent_id), max(1, min(int(limit), 500)))

    @command
    def adjust_agent_wallet(self, actor, agent_id, adjustment, idempotency_key):
        adjustment = load(schemas.Adjustment(), adjustment)
        with self.db.transaction() as s:
            return sales.adjust(
                s, actor, int(agent_id), adjustment["amount"], adjustment["reason"], str(idempotency_key)
            )

    @command
    def request_withdrawal(self, agent_id, amount):
        with self.db.transaction() as s:
            return sales.request_withdrawal(s, int(agent_id), int(amount))

    @command
    def review_withdrawal(self, actor, withdrawal_id, review):
        review = load(schemas.Review(), review)
        with self.db.transaction() as s:
            return sales.review_withdrawal(s, actor, int(withdrawal_id), review["approve"], review["note"])

    @command
    def list_withdrawals(self, status=None, agent_id=None):
        with self.db.transaction() as s:
            return sales.withdrawals(s, status, None if agent_id is None else int(agent_id))

    @command
    def integrity_facts(self, days=None):
        """The ledger's own balance, for services/audit/integrity.py (read-only)."""
        with self.db.transaction() as s:
            return ledger.integrity_facts(s)

    # -- the agent console and sub-stores -------------------------------------------------------

    @command
    def sign_in_agent(self, credentials, ip=None):
        """{"key_id", "secret"} of a live key -> {"session": token (shown once), "agent_id"}; 401."""
        credentials = load(schemas.AgentSignIn(), credentials)
        with self.db.transaction() as s:
            return console.sign_in(s, self.keys, credentials["key_id"], credentials["secret"], ip)

    @command
    def agent_for_console(self, token):
        """The signed-in agent of a console session token (get_agent's shape), or None."""
        with self.db.transaction() as s:
            return console.current(s, str(token)[:128])

    @command
    def sign_out_agent(self, token):
        with self.db.transaction() as s:
            sessions.end(s, str(token)[:128])

    @command
    def agent_sales(self, agent_id, limit=100):
        with self.db.transaction() as s:
            return console.sales(s, int(agent_id), max(1, min(int(limit), 500)))

    @command
    def agent_sub_agents(self, agent_id):
        with self.db.transaction() as s:
            return console.sub_agents(s, int(agent_id))

    @command
    def create_sub_agent(self, agent_id, new):
        """-> {"agent", "key": {"key_id", "secret"}} (the secret shown only now)."""
        new = load(schemas.SubAgent(), new)
        with self.db.transaction() as s:
            return console.create_sub_agent(
                s, self.keys, int(agent_id), new, int(self.config.get("AGENT_MAX_DEPTH", 5))
            )

    @command
    def change_agent_store(self, agent_id, changes):
        changes = load(schemas.StoreChanges(), changes)
        with self.db.transaction() as s:
            return console.change_store(s, int(agent_id), changes)

    @command
    def agent_store(self, slug):
        with self.db.transaction() as s:
            return console.store(s, str(slug)[:32])

    @command
    def agent_store_by_id(self, agent_id):
        """agent_store's answer for the agent of a buy link (/products/<sku>?agent=<id>)."""
        with self.db.transaction() as s:
            return console.store_of(s, int(agent_id))

    @command
    def agent_store_prices(self, agent_id, items):
        items = load(schemas.PriceItem(many=True), items)
        with self.db.transaction() as s:
            return console.store_prices(s, int(agent_id), items)

    # -- events and timers -----------------------------------------------------------------------

    @batch_handler("order", "order_completed")
    def handle_order_completed(self, envelopes):
        """Completed orders (a batch, one commit): a buyer's counts toward their level; an agent
        order's shares are credited as pending (once, through the inbox)."""
        days = self.settle_days()
        self.db.once_all("account.handle_order_completed", envelopes, each_one(on_order_completed(days, self.config)))

    @event_handler("order", "order_refunded")
    def handle_order_refunded(self, envelope):
        """An agent order ended refunded: its money back to the wallet, its shares undone (once)."""
        self.db.once("account.handle_order_refunded", envelope, on_order_refunded)

    @timer(interval=60)
    def settle_commissions(self):
        with self.db.transaction() as s:
            sales.settle_due(s, now())

    @timer(interval=300)
    def forget_agent_nonces(self):
        with self.db.transaction() as s:
            agents.forget_nonces(s)
