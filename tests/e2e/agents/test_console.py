"""The agent console (issue 19) through the real gateway, broker and database: an agent signs in
with its key id and secret, sees its sales, commissions and wallet, downloads its statement as a
formula-safe CSV, creates sub-agents within its limits, and sets its sub-store; a wrong secret,
a revoked key or a disabled agent gets no console."""

import csv
import io
import re

from services.common.testing import unique
from tests.e2e.agents.helpers import ACTOR, delivered
from tests.e2e.helpers import Api


def csrf_of(html):
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def signed_in(system, key_id, secret):
    """A browser-like client after the sign-in form (or its failed answer on `.answer`)."""
    client = Api(system["BASE_URL"])
    form = client.get("/agent/sign-in")
    assert form.status_code == 200, form.text
    client.answer = client.post("/agent/sign-in", data={"csrf": csrf_of(form.text), "key_id": key_id, "secret": secret})
    return client


def post(client, path, page, data):
    return client.post(path, data={"csrf": csrf_of(client.get(page).text), **data})


def test_an_agent_signs_in_and_sees_its_sale_its_commission_and_its_statement(system, shop, agents, card_sku):
    top = shop(markup_bp=1000)  # sells to its sub-agents at +10 %: 8.00 -> 8.80
    sub = shop(parent=top.agent_id)
    agents.call("adjust_agent_wallet", ACTOR, sub.agent_id, {"amount": 5000, "reason": "=HYPERLINK(1)"}, unique("k"))
    body = {"agent_order_id": unique("A-"), "sku": card_sku, "quantity": 1}
    order = sub.order(body).json()
    delivered(sub, body["agent_order_id"], "completed")

    seller = signed_in(system, sub.key_id, sub.secret)
    assert seller.answer.status_code == 200 and seller.answer.url.endswith("/agent"), seller.answer.text
    assert 'id="balance">¥41.20' in seller.answer.text
    sales = seller.get("/agent/sales")
    row = re.search(rf'<tr id="sale-{order["order_no"]}">.*?</tr>', sales.text).group(0)
    assert "8.80" in row and card_sku in row

    statement = seller.get("/agent/statement.csv")
    assert statement.status_code == 200 and statement.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in statement.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(statement.content.decode("utf-8-sig"))))
    assert rows[0] == ["id", "created_at", "kind", "order_no", "memo", "amount", "balance"]
    by_kind = {r[2]: r for r in rows[1:]}
    assert by_kind["order_charged"][3:] == [order["order_no"], card_sku, "-8.80", "41.20"]
    assert by_kind["wallet_adjusted"][4:] == ["'=HYPERLINK(1)", "50.00", "50.00"]  # never a formula

    upline = signed_in(system, top.key_id, top.secret)
    commissions = upline.get("/agent/commissions").text
    row = re.search(rf'<tr id="commission-{order["order_no"]}">.*?</tr>', commissions, re.S).group(0)
    assert "0.80" in row and "badge-pending" in row and re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", row)
    assert 'id="pending">¥0.80' in upline.get("/agent").text
    assert "no_sales" not in upline.get("/agent/sales").text


def test_a_wrong_secret_a_revoked_key_or_a_disabled_agent_gets_no_console(system, shop, agents):
    agent = shop(top_up=1000)
    assert signed_in(system, agent.key_id, "wrong").answer.status_code == 401
    assert signed_in(system, "ak_nosuchkey", agent.secret).answer.status_code == 401
    client = signed_in(system, agent.key_id, agent.secret)
    assert client.get("/agent/sales").url.endswith("/agent/sales")
    agents.call("revoke_agent_key", ACTOR, agent.agent_id, agent.key_id)
    assert client.get("/agent/sales").url.endswith("/agent/sign-in")  # the session ended with the key
    assert signed_in(system, agent.key_id, agent.secret).answer.status_code == 401

    other = shop()
    client = signed_in(system, other.key_id, other.secret)
    agents.call("change_agent", ACTOR, other.agent_id, {"status": "disabled"})
    assert client.get("/agent").url.endswith("/agent/sign-in")
    assert signed_in(system, other.key_id, other.secret).answer.status_code == 401


def test_withdrawals_are_asked_for_from_the_wallet_and_never_beyond_it(system, shop, agents):
    agent = shop(top_up=3000)
    client = signed_in(system, agent.key_id, agent.secret)
    too_much = post(client, "/agent/withdrawals", "/agent", {"amount": "30.01"})
    assert too_much.status_code == 409 and agents.balance(agent.agent_id) == 3000
    assert post(client, "/agent/withdrawals", "/agent", {"amount": "x"}).status_code == 400
    done = post(client, "/agent/withdrawals", "/agent", {"amount": "12.50"})
    assert done.status_code == 200 and done.url.endswith("/agent?done=withdrawal")
    assert agents.balance(agent.agent_id) == 1750
    [w] = agents.call("list_withdrawals", None, agent.agent_id)
    assert w["amount"] == 1250 and w["status"] == "requested" and f'id="withdrawal-{w["id"]}"' in done.text


def test_a_sub_agent_is_created_within_the_agents_limits_and_signs_in_with_its_key(system, agents, level):
    parent = agents.agent(level, sub_markups=(100, 500))
    key = agents.key(parent)
    client = signed_in(system, key["key_id"], key["secret"])
    fields = {"name": "小王", "contact": "wang@example.com", "sub_markup_max_bp": "0"}
    assert post(client, "/agent/sub-agents", "/agent/sub-agents", {**fields, "markup_bp": "600"}).status_code == 400
    assert post(client, "/agent/sub-agents", "/agent/sub-agents", {**fields, "markup_bp": "50"}).status_code == 400
    wide = {**fields, "markup_bp": "200", "sub_markup_max_bp": "501"}
    assert post(client, "/agent/sub-agents", "/agent/sub-agents", wide).status_code == 400
    made = post(client, "/agent/sub-agents", "/agent/sub-agents", {**fields, "markup_bp": "200"})
    assert made.status_code == 201, made.text
    key_id = re.search(r'id="new-key-id">([^<]+)<', made.text).group(1)
    secret = re.search(r'id="new-key-secret">([^<]+)<', made.text).group(1)
    [child] = agents.call("list_agents", parent)
    assert child["markup_bp"] == 200 and child["depth"] == 2 and child["level"] == level
    assert f'id="sub-{child["id"]}"' in made.text
    assert signed_in(system, key_id, secret).answer.url.endswith("/agent")


def test_the_sub_store_settings_and_the_links_at_the_agents_prices(system, shop, agents, card_sku):
    agent, rival = shop(), shop()
    client = signed_in(system, agent.key_id, agent.secret)
    slug = unique("s").lower().replace("_", "-")[:30]
    settings = {"store_name": "小王的卡铺", "slug": slug, "retail_markup_bp": "1250", "markup_bp": "0"}
    saved = post(client, "/agent/store", "/agent/store", settings)
    assert saved.status_code == 200 and saved.url.endswith("/agent/store?done=store"), saved.text
    assert "小王的卡铺" in saved.text
    got = agents.call("get_agent", agent.agent_id)
    assert (got["slug"], got["store_name"], got["retail_markup_bp"]) == (slug, "小王的卡铺", 1250)
    links = client.get("/agent/links").text
    row = re.search(rf'<tr id="link-{card_sku}">.*?</tr>', links).group(0)
    assert "8.00" in row and "9.00" in row and f"/products/{card_sku}?agent={agent.agent_id}" in row  # 8.00 + 12.5 %

    other = signed_in(system, rival.key_id, rival.secret)
    assert post(other, "/agent/store", "/agent/store", {**settings, "store_name": "x"}).status_code == 409
    assert post(other, "/agent/store", "/agent/store", {**settings, "slug": "Bad Slug"}).status_code == 400
    assert post(other, "/agent/store", "/agent/store", {**settings, "slug": ""}).status_code == 200
