"""The agents' admin API through the gateway and every service (issue 19, DESIGN §6): levels, a
chain of agents with markups, keys shown once and revoked for good, the wallet credited through
the ledger once per Idempotency-Key (400 without one, 422 for another body), a withdrawal
reviewed by finance, and the agent's statement."""

from nameko.standalone.rpc import ClusterRpcProxy

from services.common import signing
from services.common.errors import Unauthorized
from services.common.testing import unique
from tests.e2e.helpers import assert_error


def level(admin):
    name = unique("gold")[:32]
    answer = admin.put(f"/api/v1/admin/agent-levels/{name}", json={"rank": 1})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"name": name, "rank": 1, "price_level": f"agent:{name}"}
    return name


def agent(admin, level_name, parent=None):
    body = {"name": unique("代理"), "contact": "a@example.com", "parent": parent, "level": level_name}
    answer = admin.post("/api/v1/admin/agents", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_a_chain_of_agents_with_markups_within_their_parents_limits(admin):
    gold = level(admin)
    top = agent(admin, gold)
    assert top["parent"] is None and top["depth"] == 1 and top["balance"] == "0.00" and top["status"] == "active"
    limits = admin.patch(f"/api/v1/admin/agents/{top['id']}", json={"markup_bp": 1000, "sub_markup_max_bp": 500})
    assert limits.status_code == 200, limits.text
    sub = agent(admin, gold, top["id"])
    assert sub["parent"] == top["id"] and sub["depth"] == 2 and sub["top_level"] == gold
    assert_error(admin.patch(f"/api/v1/admin/agents/{sub['id']}", json={"markup_bp": 501}), 400, "validation_error")
    assert admin.patch(f"/api/v1/admin/agents/{sub['id']}", json={"markup_bp": 500}).json()["markup_bp"] == 500
    children = admin.get("/api/v1/admin/agents", params={"parent": top["id"]}).json()["items"]
    assert [c["id"] for c in children] == [sub["id"]]
    assert_error(admin.post("/api/v1/admin/agents", json={"name": "x", "contact": "x", "level": "nope"}), 400,
                 "validation_error")  # fmt: skip
    assert_error(admin.delete(f"/api/v1/admin/agent-levels/{gold}"), 409, "conflict")


def test_the_wallet_is_credited_once_per_idempotency_key(admin, system):
    me = agent(admin, level(admin))
    url = f"/api/v1/admin/agents/{me['id']}/wallet"
    body = {"amount": "100.50", "reason": "bank transfer 42"}
    assert_error(admin.post(url, json=body), 400, "validation_error")  # no Idempotency-Key
    key = {"Idempotency-Key": unique("idem")}
    first = admin.post(url, json=body, headers=key)
    assert first.status_code == 200, first.text
    assert first.json() == {"balance": "100.50", "currency": "CNY"}
    fee = admin.post(url, json={"amount": "-0.50", "reason": "fee"}, headers={"Idempotency-Key": unique("i")})
    assert fee.json() == {"balance": "100.00", "currency": "CNY"}
    again = admin.post(url, json=body, headers=key)
    assert again.status_code == 200 and again.json() == first.json()  # the first answer; nothing booked twice
    assert_error(admin.post(url, json={**body, "amount": "100.51"}, headers=key), 422, "idempotency_mismatch")
    too_much = admin.post(url, json={"amount": "-100.01", "reason": "x"}, headers={"Idempotency-Key": unique("i")})
    assert_error(too_much, 409, "insufficient_balance")
    assert admin.get(f"/api/v1/admin/agents/{me['id']}").json()["balance"] == "100.00"
    lines = admin.get(f"/api/v1/admin/agents/{me['id']}/statement").json()["items"]
    assert [(x["amount"], x["balance"]) for x in lines] == [("-0.50", "100.00"), ("100.50", "100.50")]
    with ClusterRpcProxy(system) as cluster:
        withdrawal = cluster.account.request_withdrawal(me["id"], 4_000)
        facts = cluster.account.integrity_facts(30)
    assert facts["unbalanced"] == [] and facts["drifted"] == [] and facts["total"] == 0
    listed = admin.get("/api/v1/admin/agent-withdrawals", params={"agent_id": me["id"]}).json()["items"]
    assert [(w["id"], w["amount"], w["status"]) for w in listed] == [(withdrawal["id"], "40.00", "requested")]
    rejected = admin.post(f"/api/v1/admin/agent-withdrawals/{withdrawal['id']}/reject", json={"note": "wrong account"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    again = admin.post(f"/api/v1/admin/agent-withdrawals/{withdrawal['id']}/approve", json={})
    assert_error(again, 409, "conflict")
    assert admin.get(f"/api/v1/admin/agents/{me['id']}").json()["balance"] == "100.00"


def test_a_key_is_shown_once_and_a_revoked_key_is_refused(admin, system):
    me = agent(admin, level(admin))
    made = admin.post(f"/api/v1/admin/agents/{me['id']}/keys")
    assert made.status_code == 201 and set(made.json()) == {"key_id", "secret"}
    key = made.json()
    listed = admin.get(f"/api/v1/admin/agents/{me['id']}/keys").json()["items"]
    assert [(k["key_id"], k["status"]) for k in listed] == [(key["key_id"], "active")] and "secret" not in listed[0]

    def signed():
        headers = signing.headers(key["key_id"], key["secret"], "GET", "/api/v1/open/balance")
        return signing.read(headers, "GET", "/api/v1/open/balance", b"").to_dict()

    with ClusterRpcProxy(system) as cluster:
        assert cluster.account.authenticate_agent(signed(), "127.0.0.1")["agent_id"] == me["id"]
        assert admin.delete(f"/api/v1/admin/agents/{me['id']}/keys/{key['key_id']}").status_code == 204
        try:
            cluster.account.authenticate_agent(signed(), "127.0.0.1")
            raise AssertionError("a revoked key was accepted")
        except Unauthorized:
            pass
    assert admin.get(f"/api/v1/admin/agents/{me['id']}/keys").json()["items"][0]["status"] == "revoked"
