"""The account service's entrypoints for buyers and member levels (issue 18), a base of
`AccountService`: thin, each a schema, a transaction and one call of buyers/links/levels."""

from functools import partial

from nameko.dependency_providers import Config
from nameko.timer import timer

from services.account import buyers, campaign_mails, levels, links, mails, referrals, schemas, sessions
from services.common.crypto import Keys
from services.common.db import Db
from services.common.errors import DomainError, load
from services.common.events import event_handler
from services.common.rpc import RpcProxy, rpc

command = rpc(expected_exceptions=DomainError)


def public_url(config):
    return config.get("PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")


class BuyerEntrypoints:
    db: Db  # AccountService declares `db = Database(metadata)`
    keys = Keys()
    config = Config()
    risk_rpc = RpcProxy("risk")

    @command
    def register_buyer(self, payload, ip=None, referral=None):
        """{"buyer", "session"}: the new buyer, signed in; an e-mail's link is mailed at once.
        `referral`: {"code", "device"} from the referral link's cookie (issue 22)."""
        fields, assess = load(schemas.Register(), payload), self.risk_rpc.assess_referral.timed(2)
        answer = buyers.enrol(self.db, self.keys, fields, public_url(self.config), ip, referral, assess)
        mails.send_due(self.db, self.keys, self.config)
        return answer

    @command
    def sign_in_buyer(self, payload, ip=None):
        return buyers.authenticate(self.db, self.keys, load(schemas.SignIn(), payload), ip)

    @command
    def sign_out_buyer(self, token):
        with self.db.transaction() as s:
            sessions.end(s, token or "")

    @command
    def buyer_profile(self, token):
        with self.db.transaction() as s:
            return buyers.view(buyers.signed_in(s, token), self.keys)

    @command
    def buyer_for_order(self, token):
        """What an order needs of a signed-in buyer ({"id", "level", "real_name"}), None for a guest."""
        with self.db.transaction() as s:
            return buyers.for_order(s, token)

    @command
    def resend_verification(self, token):
        with self.db.transaction() as s:
            buyer = buyers.signed_in(s, token)
            if buyer.email and buyer.email_verified_at is None:
                links.mail_verification(s, self.keys, buyer, public_url(self.config))
        mails.send_due(self.db, self.keys, self.config)

    @command
    def verify_email(self, token):
        with self.db.transaction() as s:
            return buyers.view(links.verify_email(s, str(token or "")[:129]), self.keys)

    @command
    def request_password_reset(self, payload):
        """The same answer whether an account has that e-mail or not; the mail goes out later."""
        body = load(schemas.ResetRequest(), payload)
        with self.db.transaction() as s:
            links.request_reset(s, self.keys, body["email"], public_url(self.config))
        return {"requested": True}

    @command
    def reset_password(self, payload):
        return buyers.reset(self.db, load(schemas.Reset(), payload))

    @command
    def set_real_name(self, token, payload):
        return buyers.submit_real_name(self.db, self.keys, token, load(schemas.RealName(), payload))

    @command
    def set_campaign_mails(self, token, payload):
        """The member's opt-in to the mails that say a campaign has started (issue 22)."""
        opt_in = load(schemas.CampaignMails(), payload)
        with self.db.transaction() as s:
            buyer = buyers.signed_in(s, token)
            campaign_mails.set_opt_in(buyer, opt_in["campaign_mails"])
            return buyers.view(buyer, self.keys)

    @event_handler("catalog", "campaign_started")
    def handle_campaign_started(self, envelope):
        """A campaign's window started: one mail to each opted-in member, sent after the commit."""
        url = public_url(self.config)
        self.db.once(
            "account.handle_campaign_started",
            envelope,
            lambda s, env: campaign_mails.on_campaign_started(s, env, self.keys, url),
        )
        mails.send_due(self.db, self.keys, self.config)

    @command
    def buyer_referrals(self, token):
        """The signed-in buyer's referral code and link, whom they referred, their cashback."""
        with self.db.transaction() as s:
            return referrals.view(s, buyers.signed_in(s, token), public_url(self.config))

    @command
    def bind_referral(self, token, code, ip=None, device=None):
        """A member who signed up without a referrer names one, once, if risk allows (issue 22)."""
        with self.db.transaction() as s:
            buyer = buyers.signed_in(s, token)
            facts, referred = (
                referrals.referrer_facts(s, str(code)[:16]),
                referrals.referred_facts(buyer, None, ip, device),
            )
        referrals.refuse(referrals.ask_risk(self.risk_rpc.assess_referral.timed(2), facts, referred))
        with self.db.transaction() as s:
            referrals.bind(s, referred["id"], facts["id"])  # type: ignore[index]
            return referrals.view(s, buyers.signed_in(s, token), public_url(self.config))

    @command
    def admin_referrals(self, buyer_id):
        """A buyer's referrals and cashback, for the console."""
        with self.db.transaction() as s:
            return referrals.admin_view(s, int(buyer_id), public_url(self.config))

    @command
    def list_levels(self):
        with self.db.transaction() as s:
            return levels.all_levels(s)

    @command
    def create_level(self, actor, payload):
        level = load(schemas.Level(), payload)
        with self.db.transaction() as s:
            return levels.create(s, actor, level["name"], level["threshold"])

    @command
    def update_level(self, actor, name, payload):
        level = load(schemas.Level(), {**payload, "name": name})
        with self.db.transaction() as s:
            return levels.change(s, actor, level["name"], level["threshold"])

    @command
    def delete_level(self, actor, name):
        with self.db.transaction() as s:
            return levels.remove(s, actor, str(name)[:32])

    @command
    def search_buyers(self, query):
        with self.db.transaction() as s:
            return buyers.search(s, **load(schemas.BuyerQuery(), query))

    @command
    def admin_buyer(self, buyer_id):
        with self.db.transaction() as s:
            return buyers.admin_buyer(s, int(buyer_id))

    @event_handler("order", "order_claimed")
    def handle_order_claimed(self, envelope):
        """A guest order claimed after it completed: it counts like a completion of theirs."""
        count_points = str(self.config.get("POINTS_COUNT_TOWARD_LEVELS", "0")) == "1"
        self.db.once(
            "account.handle_order_claimed", envelope, partial(levels.on_order_completed, count_points=count_points)
        )

    @timer(interval=2)
    def send_mails(self):
        """Reset links (sent here, not in the request: the answer must not tell), and mails a
        crash or the SMTP server left unsent."""
        mails.send_due(self.db, self.keys, self.config)
