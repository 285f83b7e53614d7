"""Sub-stores and buy links (issue 19) through the real gateway, broker and database: a buyer buys
in the leaf agent's sub-store of a three-level chain at its retail price, pays with the sandbox
channel, and when the order completes each agent up the chain is credited its share exactly to the
fen, the platform the rest; an admin refund undoes every share; the ledger stays balanced.

The chain (card_sku: 8.00 for the agent level): the top agent buys at 8.00 and sells on at +10 %
(8.80), the middle one at +5 % (8.80 + 0.44 = 9.24), and the leaf sells to buyers at +20 %
(9.24 + 1.848 -> 1.85, half up: 11.09). Two units: the buyer pays 22.18 = the platform's 16.00 +
the top's 1.60 + the middle's 0.88 + the leaf's 3.70."""

import re

from services.common.testing import unique, wait_until
from tests.e2e.agents.helpers import ACTOR
from tests.e2e.helpers import csrf_of
from tests.e2e.purchase.helpers import wait_status


def form_value(page, name):
    return re.search(rf'name="{name}" value="([^"]+)"', page.text).group(1)


def chain(agents, level):
    top = agents.agent(level, markup_bp=1000)
    middle = agents.agent(level, parent=top, markup_bp=500)
    leaf = agents.agent(level, parent=middle)
    return top, middle, leaf


def open_store(agents, leaf):
    slug = unique("shop").lower().replace("_", "-")[:32]
    name = unique("主播的小店")
    agents.call("change_agent_store", leaf, {"store_name": name, "slug": slug, "retail_markup_bp": 2000})
    return slug, name


def buy(api, path, quantity="2", **fields):
    page = api.get(path)
    assert page.status_code == 200, page.text
    form = {
        "csrf": csrf_of(page),
        "idem": form_value(page, "idem"),
        "quantity": quantity,
        "contact": "fan@example.com",
        "payment_channel": "sandbox",
        **fields,
    }
    placed = api.post(path, data=form, allow_redirects=False)
    assert placed.status_code == 303, placed.text
    order_no = placed.headers["Location"].rsplit("/", 1)[1]
    token = next(c.value for c in api.cookies if c.name == "kameng_order" and c.path == f"/orders/{order_no}")
    return {"order_no": order_no, "token": token}


def pay(api, order):
    page = api.get(f"/orders/{order['order_no']}")
    payment_no = re.search(r'action="/pay/([^"]+)"', page.text).group(1)
    assert api.post(f"/pay/{payment_no}", data={"csrf": csrf_of(page)}, allow_redirects=False).status_code == 303


def shares(agents, agent_id, order_no):
    return [(c["amount"], c["status"]) for c in agents.call("agent_commissions", agent_id) if c["order_no"] == order_no]


def balanced(agents):
    facts = agents.call("integrity_facts")
    assert facts["unbalanced"] == [] and facts["drifted"] == [] and facts["total"] == 0, facts


def test_a_sale_in_the_leafs_sub_store_shares_exactly_up_the_chain_and_a_refund_undoes_it(
    api, admin, agents, level, card_sku
):
    top, middle, leaf = chain(agents, level)
    slug, name = open_store(agents, leaf)

    store = api.get(f"/s/{slug}/", params={"q": card_sku})  # 24 tiles a page: searched among many
    assert store.status_code == 200 and name in store.text and "¥11.09" in store.text
    assert f'href="/s/{slug}/products/{card_sku}"' in store.text
    order = buy(api, f"/s/{slug}/products/{card_sku}")
    seen = admin.get(f"/api/v1/admin/orders/{order['order_no']}").json()
    assert seen["amount"] == "22.18" and seen["price_rule"]["via_agent_id"] == leaf
    assert seen["price_rule"]["top_unit_price"] == 800

    pay(api, order)
    wait_status(api, order, "completed")
    wait_until(lambda: shares(agents, leaf, order["order_no"]), timeout=15, message="the shares credited")
    assert shares(agents, top, order["order_no"]) == [(160, "pending")]
    assert shares(agents, middle, order["order_no"]) == [(88, "pending")]
    assert shares(agents, leaf, order["order_no"]) == [(370, "pending")]
    assert [agents.call("agent_balance", a)["pending"] for a in (top, middle, leaf)] == [160, 88, 370]
    sold = [s for s in agents.call("agent_sales", leaf, 10) if s["order_no"] == order["order_no"]]
    assert sold == [{**sold[0], "kind": "retail", "amount": 2218, "unit_price": 1109, "status": "completed"}]
    balanced(agents)

    refunded = admin.post(f"/api/v1/admin/orders/{order['order_no']}/refund", json={"reason": "fan changed mind"})
    assert refunded.status_code == 200, refunded.text
    wait_status(api, order, "refunded", timeout=30)
    wait_until(
        lambda: shares(agents, leaf, order["order_no"]) == [(370, "cancelled")], timeout=15, message="shares undone"
    )
    assert shares(agents, top, order["order_no"]) == [(160, "cancelled")]
    assert shares(agents, middle, order["order_no"]) == [(88, "cancelled")]
    assert [agents.call("agent_balance", a)["pending"] for a in (top, middle, leaf)] == [0, 0, 0]
    balanced(agents)


def test_a_buy_link_prices_at_the_agents_retail_price_and_an_unknown_agent_at_the_shops(
    api, admin, agents, level, card_sku
):
    _, middle, leaf = chain(agents, level)
    open_store(agents, leaf)
    page = api.get(f"/products/{card_sku}?agent={leaf}")
    assert "¥11.09" in page.text and f'name="agent" value="{leaf}"' in page.text
    order = buy(api, f"/products/{card_sku}?agent={leaf}", quantity="1", agent=str(leaf))
    seen = admin.get(f"/api/v1/admin/orders/{order['order_no']}").json()
    assert seen["amount"] == "11.09" and seen["price_rule"]["via_agent_id"] == leaf

    agents.call("change_agent", ACTOR, middle, {"status": "disabled"})  # a disabled chain sells nothing
    plain = api.get(f"/products/{card_sku}?agent={leaf}")
    assert "¥9.90" in plain.text and 'name="agent"' not in plain.text
    assert "¥9.90" in api.get(f"/products/{card_sku}?agent=99999999").text
    assert api.get(f"/s/{unique('none').lower()[:30]}/").status_code == 404
