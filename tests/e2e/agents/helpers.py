"""Agents for the open-API end-to-end tests: set up through the account service's RPCs (the
admin routes are the account side's), and a client that signs as an agent's shop does."""

import json

from nameko.standalone.rpc import ClusterRpcProxy

from services.common import signing
from services.common.testing import unique, wait_until

OPEN = "/api/v1/open"
ACTOR = "e2e"


class Agents:
    """The account service's agent RPCs, called as the admin routes would."""

    def __init__(self, config):
        self.config = config

    def call(self, method, *args):
        with ClusterRpcProxy(self.config, timeout=10) as rpc:
            return getattr(rpc.account, method)(*args)

    def level(self):
        name = unique("gold")[:32]
        self.call("put_agent_level", ACTOR, {"name": name, "rank": 1})
        return name

    def agent(self, level, parent=None, markup_bp=None, sub_markups=(0, 100_000)):
        made = self.call(
            "create_agent",
            ACTOR,
            {"name": unique("代理"), "contact": "agent@example.com", "parent": parent, "level": level},
        )
        low, high = sub_markups
        self.call("change_agent", ACTOR, made["id"], {"sub_markup_min_bp": low, "sub_markup_max_bp": high})
        if markup_bp is not None:
            self.call("change_agent", ACTOR, made["id"], {"markup_bp": markup_bp})
        return made["id"]

    def key(self, agent_id):
        return self.call("issue_agent_key", ACTOR, agent_id)

    def top_up(self, agent_id, amount):
        return self.call("adjust_agent_wallet", ACTOR, agent_id, {"amount": amount, "reason": "top up"}, unique("k"))

    def balance(self, agent_id):
        return self.call("agent_balance", agent_id)["balance"]


class Shop:
    """An agent's shop calling the open API with its key through an `Api` session."""

    def __init__(self, api, agent_id, key):
        self.api, self.agent_id, self.key_id, self.secret = api, agent_id, key["key_id"], key["secret"]

    def signed(self, method, path, body=b"", headers=None, secret=None, **at):
        signature = signing.headers(self.key_id, secret or self.secret, method, path, body, **at)
        return self.api.request(method, path, data=body, headers={**signature, **(headers or {})})

    def products(self, query=""):
        return self.signed("GET", f"{OPEN}/products{query}")

    def order(self, payload, **at):
        body = json.dumps(payload).encode()
        return self.signed("POST", f"{OPEN}/orders", body, {"Content-Type": "application/json"}, **at)

    def get_order(self, agent_order_id):
        return self.signed("GET", f"{OPEN}/orders/{agent_order_id}")

    def balance(self):
        return self.signed("GET", f"{OPEN}/balance")


def delivered(shop, agent_order_id, *statuses, timeout=15):
    def check():
        body = shop.get_order(agent_order_id).json()
        return body if body["status"] in statuses else None

    return wait_until(check, timeout=timeout, message=f"{agent_order_id} to become {statuses}")
