from functools import partial

from nameko.dependency_providers import Config

from services.common.batching import answer_each
from services.common.db import Database, each, each_one
from services.common.errors import DomainError, InvalidInput, load
from services.common.events import batch_handler, event_handler
from services.common.rpc import rpc
from services.common.service import BaseService
from services.risk import domain, models, schemas
from services.risk.counters import RiskCounters
from services.risk.rules import LIST_KINDS

command = rpc(expected_exceptions=DomainError)


def windows(config):
    """(review window, payment window) in seconds."""
    return int(config.get("RISK_REVIEW_WINDOW_S", 1800)), int(config.get("PAYMENT_WINDOW_S", 900))


def list_name(name):
    if name not in domain.LISTS:
        raise InvalidInput("no such list", {"list": name})
    return name


class RiskService(BaseService):
    name = "risk"
    db = Database(models.metadata)
    config = Config()
    counters = RiskCounters()

    @batch_handler("order", "risk_assessment_requested")
    def handle_risk_assessment_requested(self, envelopes):
        review_s, window_s = windows(self.config)
        assess = partial(domain.assess, counters=self.counters, review_s=review_s, window_s=window_s)
        self.db.once_all("risk.handle_risk_assessment_requested", envelopes, each_one(assess))

    @command
    def assess(self, signals):
        """An order's creation asks by RPC (DESIGN §3): the decision is stored and counted as by
        the event, and answered as the event the saga waits for, {"type", "data"}, not published."""
        review_s, window_s = windows(self.config)
        with self.db.transaction() as s:
            return domain.assess(
                s, {"data": signals}, self.counters, review_s=review_s, window_s=window_s, announce=False
            )

    @rpc
    def assess_all(self, calls):
        """`assess` for several orders being created at once, each alone: one outcome per call."""
        return answer_each(calls, lambda kwargs: self.assess(**kwargs))

    @command
    def assess_referral(self, referrer, referred):
        """The account service asks before recording a referral (issue 22): {"allowed", "reason"}."""
        return domain.assess_referral(load(schemas.Referral(), {"referrer": referrer, "referred": referred}))

    @batch_handler("payment", "payment_succeeded")
    def handle_payment_succeeded(self, envelopes):
        with self.db.transaction() as s:  # idempotent by construction: no inbox row needed
            for envelope in each(s, envelopes):
                domain.on_payment_succeeded(s, envelope, self.counters)

    @event_handler("order", "stock_release_requested")
    def handle_stock_release_requested(self, envelope):
        with self.db.transaction() as s:
            domain.on_order_settled(s, envelope, self.counters)

    @command
    def get_rules(self):
        with self.db.transaction() as s:
            return domain.rules_view(s)

    @command
    def set_rules(self, actor, rule_set):
        rule_set = load(schemas.RuleSet(), rule_set)
        with self.db.transaction() as s:
            return domain.set_rules(s, actor, rule_set)

    @command
    def rule_versions(self):
        with self.db.transaction() as s:
            return domain.rule_versions(s)

    @command
    def add_list_entry(self, actor, name, entry):
        entry = load(schemas.ListEntry(), entry)
        with self.db.transaction() as s:
            return domain.add_entry(s, actor, list_name(name), entry)

    @command
    def remove_list_entry(self, actor, name, entry_id):
        with self.db.transaction() as s:
            return domain.remove_entry(s, actor, list_name(name), int(entry_id))

    @command
    def list_kinds(self):
        """What a blacklist or allowlist entry can name (the console's form offers these)."""
        return list(LIST_KINDS)

    @command
    def list_entries(self, name):
        with self.db.transaction() as s:
            return domain.entries(s, list_name(name))

    @command
    def decision(self, order_no):
        with self.db.transaction() as s:
            return domain.decision_of(s, order_no)

    @command
    def reviews(self):
        with self.db.transaction() as s:
            return domain.open_reviews(s)

    @command
    def resolve_review(self, actor, order_no, approve, note=None):
        note = load(schemas.ReviewAction(), {"note": note})["note"]
        with self.db.transaction() as s:
            return domain.resolve(s, actor, order_no, bool(approve), note, windows(self.config)[1])
