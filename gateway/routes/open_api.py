"""The distributor open API (DESIGN §6 `/api/v1/open/...`): agents' shops, live-stream hosts and
sub-sites call it, signed with an agent key (§7). Every route has the account service check the
signature first (401, or 403 outside the agent's IP allowlist), then validates the body (400),
then asks the owning service: the catalog and the account service for prices, the order service
for orders (paid from the wallet), the account service for the wallet."""

from gateway import schemas
from gateway.http import api, client_ip, json_body, query_args, read_body
from gateway.routes import Routes
from gateway.routes.supplier_api import signed
from services.common.errors import Unauthorized

SCHEME = "agentSignature"
SIGNED = "Signed with an agent key: X-Key-Id, X-Timestamp, X-Nonce, X-Signature (HMAC-SHA256)"


class OpenApiRoutes(Routes):
    def agent(self, request, body=b""):
        """The calling agent (authenticate_agent's answer), or 401 / 403 / 429. Failed signatures
        count against the client's `auth` limit, as other failed credentials do."""
        self.limit("open", request)
        self.limit.peek("auth", request)
        ip = client_ip(request, self.config.get("TRUSTED_PROXIES", ()))
        try:
            return self.account_rpc.authenticate_agent(signed(request, body), ip)
        except Unauthorized:
            self.limit("auth", request)
            raise

    @api(
        "GET",
        "/api/v1/open/products",
        summary=f"Products at this agent's buying price. {SIGNED}",
        query=schemas.OpenProductQuery,
        response=schemas.OpenProductList,
        tags=["open"],
        signed=SCHEME,
    )
    def open_products(self, request):
        agent = self.agent(request, read_body(request))
        query = query_args(request, schemas.OpenProductQuery())
        listing = self.catalog_rpc.list_products({**query, "agent_level": agent["top_level"]})
        asked = [{"sku": item["sku"], "unit_price": item["price"]} for item in listing["items"]]
        prices = {p["sku"]: p["unit_price"] for p in self.account_rpc.agent_prices(agent["agent_id"], asked)}
        items = [{**item, "price": prices.get(item["sku"], item["price"])} for item in listing["items"]]
        return schemas.OpenProductList().dump({**listing, "items": items})

    @api(
        "POST",
        "/api/v1/open/orders",
        summary=f"An order paid from the agent's wallet at its price. {SIGNED}. 201 a new order; the same "
        "agent_order_id again 200 with that order (nothing charged again), with another body 422; "
        "409 insufficient_balance (nothing held or charged) or out_of_stock; 404 unknown SKU",
        body=schemas.NewAgentOrder,
        response=schemas.AgentOrder,
        status=201,
        tags=["open"],
        signed=SCHEME,
        errors=(200, 409),
    )
    def open_create_order(self, request):
        body = read_body(request)
        agent = self.agent(request, body)
        cmd = json_body(request, schemas.NewAgentOrder(), body)
        answer = self.order_rpc.create_agent_order(agent, cmd)
        return (201 if answer["created"] else 200), schemas.AgentOrder().dump(answer["order"])

    @api(
        "GET",
        "/api/v1/open/orders/<agent_order_id>",
        summary=f"One of this agent's orders by its own id, with the codes once delivered. {SIGNED}",
        response=schemas.AgentOrder,
        tags=["open"],
        signed=SCHEME,
    )
    def open_order(self, request, agent_order_id):
        agent = self.agent(request, read_body(request))
        return schemas.AgentOrder().dump(self.order_rpc.agent_order(agent["agent_id"], agent_order_id[:64]))

    @api(
        "GET",
        "/api/v1/open/balance",
        summary=f"The agent's wallet balance. {SIGNED}",
        response=schemas.Balance,
        tags=["open"],
        signed=SCHEME,
    )
    def open_balance(self, request):
        agent = self.agent(request, read_body(request))
        return schemas.Balance().dump(self.account_rpc.agent_balance(agent["agent_id"]))

    @api(
        "GET",
        "/api/v1/open/statement",
        summary=f"The agent's wallet statement, newest first (`before`: an entry id, for older ones). {SIGNED}",
        query=schemas.StatementQuery,
        response=schemas.Statement,
        tags=["open"],
        signed=SCHEME,
    )
    def open_statement(self, request):
        agent = self.agent(request, read_body(request))
        query = query_args(request, schemas.StatementQuery())
        answer = self.account_rpc.agent_statement(agent["agent_id"], query["limit"], query["before"])
        return schemas.Statement().dump(answer)
