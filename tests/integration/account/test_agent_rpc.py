"""The account service's agent RPCs and events on the real broker and database (issue 19):
parallel wallet spends never overspend, a charge is idempotent by order number, the order
service's `order_completed` (with `agent_id`) and `order_refunded` events credit and reverse the
shares once however often they arrive, and `authenticate_agent` refuses every bad signature
(401) and an address outside the allowlist (403)."""

import time

import eventlet
import pytest
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.services import entrypoint_waiter

from services.account import agents, ledger, sales
from services.account.models import metadata
from services.account.service import AccountService
from services.common import signing
from services.common.db import transaction
from services.common.errors import Forbidden, InsufficientBalance, Unauthorized
from services.common.testing import make_envelope, unique
from tests.integration.account.agent_helpers import a_chain


@pytest.fixture
def account(config, container_factory):
    container = container_factory(AccountService, {**config, "max_workers": 20})
    container.start()
    return container


def tx(engine):
    return transaction(engine, metadata)


def test_parallel_spends_of_one_wallet_never_overspend(account, config, engine):
    with tx(engine) as s:
        (agent,) = a_chain(s, [0])
        sales.adjust(s, "test", agent, 10_000, "top up", unique("k"))  # pays 10 orders of 10.00

    def spend(n):
        with ClusterRpcProxy(config, timeout=30) as cluster:
            try:
                return cluster.account.charge_agent_order(agent, unique(f"P{n}"), "SKU", 1, 1_000, "CNY")
            except InsufficientBalance:
                return None

    pool = eventlet.GreenPool(25)
    answers = list(pool.imap(spend, range(25)))
    paid = [a for a in answers if a is not None]
    assert len(paid) == 10
    assert sorted(a["balance"] for a in paid) == list(range(0, 10_000, 1_000))
    with tx(engine) as s:
        assert ledger.balance(s, ledger.wallet(agent)) == 0
        assert ledger.balance(s, ledger.held(agent)) == 10_000


def test_a_charge_is_idempotent_by_order_number(account, config, engine):
    with tx(engine) as s:
        (agent,) = a_chain(s, [0])
        sales.adjust(s, "test", agent, 5_000, "top up", unique("k"))
    order_no = unique("K")
    with ClusterRpcProxy(config) as cluster:
        first = cluster.account.charge_agent_order(agent, order_no, "SKU", 2, 1_000, "CNY")
        again = cluster.account.charge_agent_order(agent, order_no, "SKU", 2, 1_000, "CNY")
        assert first == again == {"amount": 2_000, "balance": 3_000}
        assert cluster.account.agent_balance(agent)["balance"] == 3_000
        with pytest.raises(InsufficientBalance):
            cluster.account.charge_agent_order(agent, unique("K"), "SKU", 4, 1_000, "CNY")
        assert cluster.account.agent_balance(agent) == {"balance": 3_000, "pending": 0, "currency": "CNY"}


def test_order_events_credit_and_reverse_the_chain_once(account, config, engine):
    with tx(engine) as s:
        top, middle, leaf = a_chain(s, [1000, 500, 0])
        sales.adjust(s, "test", leaf, 100_000, "top up", unique("k"))
    order_no = unique("K")
    with ClusterRpcProxy(config) as cluster:
        # the top buys at 10.00, middle at 11.00, leaf at 11.55
        assert cluster.account.charge_agent_order(leaf, order_no, "SKU", 3, 1_000, "CNY")["amount"] == 3_465
    dispatch = event_dispatcher(config)
    done = make_envelope("order_completed", order_no=order_no, buyer_id=None, amount=3_465, currency="CNY",
                         agent_id=leaf)  # fmt: skip
    for _ in range(2):  # a redelivery changes nothing
        with entrypoint_waiter(account, "handle_order_completed"):
            dispatch("order", "order_completed", done)
    with ClusterRpcProxy(config) as cluster:
        assert cluster.account.agent_balance(top)["pending"] == 300
        assert cluster.account.agent_balance(middle)["pending"] == 165
        statement = cluster.account.agent_statement(leaf, 10)
        assert [line["amount"] for line in statement["items"]] == [-3_465, 100_000]
    refunded = make_envelope("order_refunded", order_no=order_no, agent_id=leaf)
    for _ in range(2):
        with entrypoint_waiter(account, "handle_order_refunded"):
            dispatch("order", "order_refunded", refunded)
    with ClusterRpcProxy(config) as cluster:
        assert cluster.account.agent_balance(leaf)["balance"] == 100_000
        assert cluster.account.agent_balance(top)["pending"] == 0
        assert cluster.account.agent_balance(middle)["pending"] == 0
        assert {c["status"] for c in cluster.account.agent_commissions(top)} == {"cancelled"}
        facts = cluster.account.integrity_facts(30)
    assert facts["unbalanced"] == [] and facts["drifted"] == [] and facts["total"] == 0


def signed_call(key, path="/api/v1/open/balance", body=b"", **at):
    headers = signing.headers(key["key_id"], key["secret"], "GET", path, body, **at)
    return signing.read(headers, "GET", path, body).to_dict()


def test_authenticate_agent_refuses_every_bad_signature(account, config, engine):
    with tx(engine) as s:
        top, sub = a_chain(s, [100, 0])
        key = agents.issue_key(s, account_keys(account), "test", sub)
    with ClusterRpcProxy(config) as cluster:
        me = cluster.account.authenticate_agent(signed_call(key), "203.0.113.7")
        assert me["agent_id"] == sub and me["parent_id"] == top and me["currency"] == "CNY"
        assert me["top_level"] == me["level"]  # the helper gives the chain one level
        replay = signed_call(key)
        cluster.account.authenticate_agent(replay, "203.0.113.7")
        wrong = signed_call({**key, "secret": "not-the-secret"})
        stale = signed_call(key, timestamp=int(time.time()) - 301)
        tampered = {**signed_call(key), "body_sha256": "0" * 64}
        for bad in (replay, wrong, stale, tampered, {**signed_call(key), "key_id": "ak_nope"}):
            with pytest.raises(Unauthorized):
                cluster.account.authenticate_agent(bad, "203.0.113.7")
        cluster.account.change_agent("test", sub, {"ip_allowlist": ["198.51.100.0/24"]})
        with pytest.raises(Forbidden):
            cluster.account.authenticate_agent(signed_call(key), "203.0.113.7")
        assert cluster.account.authenticate_agent(signed_call(key), "198.51.100.9")["agent_id"] == sub
        cluster.account.revoke_agent_key("test", sub, key["key_id"])
        with pytest.raises(Unauthorized):
            cluster.account.authenticate_agent(signed_call(key), "198.51.100.9")


def account_keys(container):
    from services.common.crypto import DataKeys

    return DataKeys(container.config["DATA_KEYS"])
