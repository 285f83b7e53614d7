"""The distributor open API (DESIGN §6 `/api/v1/open/...`, issue 19) through the real gateway,
broker and database: signed with an agent key, products at the agent's price, orders paid from
its wallet (idempotent by its own order id), refused without money, refunded to the wallet when
delivery fails."""

import json
import time
from concurrent.futures import ThreadPoolExecutor

from services.common.testing import unique, wait_until
from tests.e2e.agents.helpers import OPEN, delivered
from tests.e2e.helpers import assert_error, new_product


def listed(shop, sku):
    answer = shop.products(f"?q={sku}")
    assert answer.status_code == 200, answer.text
    return next(item for item in answer.json()["items"] if item["sku"] == sku)


def stock_of(api, sku):
    return api.get(f"/api/v1/products/{sku}").json()["stock"]


def test_products_are_priced_for_the_agent_and_its_sub_agent(shop, card_sku):
    top = shop(markup_bp=1000)  # sells to its sub-agents at +10 %
    sub = shop(parent=top.agent_id)
    assert listed(top, card_sku)["price"] == "8.00"  # the agent level's price, not retail 9.90
    assert listed(sub, card_sku)["price"] == "8.80"  # its parent's selling price


def test_an_order_paid_from_the_wallet_completes_with_its_codes_once(shop, agents, card_sku, api):
    agent = shop(top_up=10_000)
    body = {"agent_order_id": unique("A-"), "sku": card_sku, "quantity": 2}
    created = agent.order(body)
    assert created.status_code == 201, created.text
    order = created.json()
    assert order["agent_order_id"] == body["agent_order_id"] and order["amount"] == "16.00"
    assert order["currency"] == "CNY" and order["order_no"]
    assert agents.balance(agent.agent_id) == 10_000 - 1600
    done = delivered(agent, body["agent_order_id"], "completed")
    assert sorted(i["code"] for i in done["items"]) == sorted({i["code"] for i in done["items"]})
    assert len(done["items"]) == 2 and all(i["secret"].startswith("PW-") for i in done["items"])

    again = agent.order(body)  # the same agent_order_id: the same order, nothing charged again
    assert again.status_code == 200, again.text
    assert again.json()["order_no"] == order["order_no"]
    assert agents.balance(agent.agent_id) == 10_000 - 1600
    assert_error(agent.order({**body, "quantity": 1}), 422, "idempotency_mismatch")
    assert agent.balance().json() == {"balance": "84.00", "pending": "0.00", "currency": "CNY"}


def test_a_wallet_that_cannot_pay_holds_nothing_and_keeps_no_order(shop, agents, card_sku, api, db):
    agent = shop(top_up=500)
    before = stock_of(api, card_sku)
    body = {"agent_order_id": unique("A-"), "sku": card_sku, "quantity": 1}
    assert_error(agent.order(body), 409, "insufficient_balance")
    assert agents.balance(agent.agent_id) == 500
    assert_error(agent.get_order(body["agent_order_id"]), 404, "not_found")
    assert not db('SELECT 1 FROM "order".orders WHERE agent_order_id = :id', id=body["agent_order_id"])
    wait_until(lambda: stock_of(api, card_sku) == before, timeout=10, message="stock given back")
    agents.top_up(agent.agent_id, 1000)  # the same id may try again once there is money
    assert agent.order(body).status_code == 201


def test_another_agents_order_is_not_found(shop, card_sku):
    mine, theirs = shop(top_up=5000), shop(top_up=5000)
    body = {"agent_order_id": unique("A-"), "sku": card_sku, "quantity": 1}
    assert mine.order(body).status_code == 201
    assert_error(theirs.get_order(body["agent_order_id"]), 404, "not_found")
    assert mine.get_order(body["agent_order_id"]).status_code == 200


def test_bodies_are_validated_after_the_signature(shop, card_sku, admin):
    agent = shop(top_up=5000)
    recharge = new_product(delivery="recharge", price="30.00")
    assert admin.post("/api/v1/admin/products", json=recharge).status_code == 201
    no_account = {"agent_order_id": unique("A-"), "sku": recharge["sku"], "quantity": 1}
    assert_error(agent.order(no_account), 400, "validation_error")
    assert_error(agent.order({**no_account, "colour": "red"}), 400, "validation_error")
    assert_error(agent.order({**no_account, "sku": card_sku, "quantity": 6}), 400, "validation_error")  # max 5
    assert agent.balance().json()["balance"] == "50.00"  # nothing charged by any of them
    unsigned = agent.api.post(f"{OPEN}/orders", json={"colour": "red"})
    assert_error(unsigned, 401, "unauthorized")  # the signature first


def test_a_failed_delivery_refunds_the_wallet(shop, agents, admin):
    agent = shop(top_up=5000)
    recharge = new_product(delivery="recharge", price="30.00")  # no supplier: it cannot be recharged
    assert admin.post("/api/v1/admin/products", json=recharge).status_code == 201
    body = {"agent_order_id": unique("A-"), "sku": recharge["sku"], "quantity": 1, "recharge_account": "13800000000"}
    assert agent.order(body).status_code == 201
    assert agents.balance(agent.agent_id) == 2000
    delivered(agent, body["agent_order_id"], "refunded", timeout=30)
    wait_until(lambda: agents.balance(agent.agent_id) == 5000, timeout=15, message="the wallet refunded")


def test_signatures_a_wrong_secret_stale_time_replayed_nonce_tampered_body_and_revoked_key_are_401(
    shop, agents, card_sku
):
    agent = shop(top_up=5000)
    path = f"{OPEN}/balance"
    assert agent.signed("GET", path).status_code == 200
    assert_error(agent.signed("GET", path, secret="not-the-secret"), 401, "unauthorized")
    assert_error(agent.signed("GET", path, timestamp=time.time() - 301), 401, "unauthorized")
    nonce = unique("n")
    assert agent.signed("GET", path, nonce=nonce).status_code == 200
    assert_error(agent.signed("GET", path, nonce=nonce), 401, "unauthorized")
    body = json.dumps({"agent_order_id": unique("A-"), "sku": card_sku, "quantity": 1}).encode()
    from services.common import signing

    headers = signing.headers(agent.key_id, agent.secret, "POST", f"{OPEN}/orders", body)
    tampered = body.replace(b'"quantity": 1', b'"quantity": 2')
    answer = agent.api.post(f"{OPEN}/orders", data=tampered, headers={**headers, "Content-Type": "application/json"})
    assert_error(answer, 401, "unauthorized")
    agents.call("revoke_agent_key", "e2e", agent.agent_id, agent.key_id)
    assert_error(agent.signed("GET", path), 401, "unauthorized")
    assert agents.balance(agent.agent_id) == 5000  # the tampered order charged nothing


def test_openapi_lists_the_open_routes_under_their_tag_and_scheme(api):
    document = api.get("/openapi.json").json()
    assert "agentSignature" in document["components"]["securitySchemes"]
    routes = {
        ("get", "/api/v1/open/products"),
        ("post", "/api/v1/open/orders"),
        ("get", "/api/v1/open/orders/{agent_order_id}"),
        ("get", "/api/v1/open/balance"),
        ("get", "/api/v1/open/statement"),
    }
    for method, path in routes:
        operation = document["paths"][path][method]
        assert operation["tags"] == ["open"] and operation["security"] == [{"agentSignature": []}]


def test_the_statement_lists_the_wallet_entries_newest_first(shop, card_sku):
    agent = shop(top_up=5000)
    assert agent.order({"agent_order_id": unique("A-"), "sku": card_sku, "quantity": 1}).status_code == 201
    answer = agent.signed("GET", f"{OPEN}/statement?limit=10")
    assert answer.status_code == 200, answer.text
    entries = answer.json()["items"]
    assert [(e["amount"], e["balance"]) for e in entries] == [("-8.00", "42.00"), ("50.00", "50.00")]
    assert entries[0]["created_at"].endswith("Z") and answer.json()["next_before"] is None


def test_the_same_order_sent_at_once_is_made_and_charged_once(shop, agents, card_sku):
    agent = shop(top_up=5000)
    body = {"agent_order_id": unique("A-"), "sku": card_sku, "quantity": 1}
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: agent.order(body), range(4)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(201) == 1 and set(statuses) <= {200, 201, 409}, [a.text for a in answers]
    assert len({a.json()["order_no"] for a in answers if a.status_code < 300}) == 1
    assert agents.balance(agent.agent_id) == 5000 - 800
