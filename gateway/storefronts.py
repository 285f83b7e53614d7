"""Agents' sub-stores (分站, issue 19): /s/<slug>/ is the shop under the agent's store name, and
/products/<sku>?agent=<id> is an agent's buy link. Both show the agent's retail prices and place
the order through the agent (`via_agent`); the prices are the account service's (the chain's
markups and the agent's retail markup over the catalog's price for the chain's top agent level).
Plain functions: the page routes stay thin, and no price rule lives here."""

from services.common.errors import NotFound

LINK_FIELD = "agent"  # the buy link's query parameter, kept in the checkout form as a hidden field


def by_slug(gateway, slug):
    """The store at /s/<slug>/ ({"agent_id", "name", "slug", "top_level", "base"}); 404 for none."""
    found = gateway.account_rpc.agent_store(slug[:32])
    return {**found, "base": f"/s/{found['slug']}", "link": None}


def by_link(gateway, value):
    """The agent of a buy link (?agent=<id>), or None: no such agent, a disabled one, or junk."""
    value = (value or "").strip()[:18]
    if not value.isdigit():
        return None
    try:
        found = gateway.account_rpc.agent_store_by_id(int(value))
    except NotFound:
        return None
    return {**found, "base": "", "link": found["agent_id"]}


def via(store):
    """What the order service needs of it (create_order's `via_agent`)."""
    return None if store is None else {"agent_id": store["agent_id"], "top_level": store["top_level"]}


def listing(gateway, store, query):
    """One page of the catalog's listing for `query` ({"items", "next_cursor"}), at the agent's
    retail prices in its store."""
    if store is None:
        return gateway.catalog_rpc.list_products(query)
    found = gateway.catalog_rpc.list_products({**query, "agent_level": store["top_level"]})
    top = found["items"]
    if not top:
        return found
    asked = [{"sku": p["sku"], "unit_price": p["price"]} for p in top]
    prices = {p["sku"]: p["unit_price"] for p in gateway.account_rpc.agent_store_prices(store["agent_id"], asked)}
    return {**found, "items": [{**p, "price": prices[p["sku"]]} for p in top]}


def retail_product(gateway, store, product):
    """One product at the agent's retail price (the catalog's quote for the top agent level)."""
    if store is None:
        return product
    quote = gateway.catalog_rpc.quote(product["sku"], product["min_quantity"], agent_level=store["top_level"])
    asked = [{"sku": product["sku"], "unit_price": quote["unit_price"]}]
    return {**product, "price": gateway.account_rpc.agent_store_prices(store["agent_id"], asked)[0]["unit_price"]}
