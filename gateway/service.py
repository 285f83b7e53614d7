"""The only HTTP surface. Entrypoints are thin: validate, call a service, shape the answer."""
from nameko.dependency_providers import Config
from werkzeug.wrappers import Response

from gateway import auth, openapi, pages, schemas
from gateway.http import JsonHttpHandler, api, json_body, query_args
from services.common import rpc
from services.common.config import SERVICES
from services.common.errors import NotFound
from services.common.metrics import Instrumentation, exposition
from services.common.rpc import RpcProxy

http = JsonHttpHandler.decorator     # pages: same request ids, headers and error handling, no OpenAPI


class GatewayService:
    name = "gateway"
    config = Config()
    instrumentation = Instrumentation()
    catalog_rpc = RpcProxy("catalog")
    order_rpc = RpcProxy("order")
    payment_rpc = RpcProxy("payment")
    delivery_rpc = RpcProxy("delivery")
    risk_rpc = RpcProxy("risk")
    account_rpc = RpcProxy("account")

    @api("GET", "/healthz", summary="Broker, database and every service answer",
         response=schemas.Health, tags=["ops"])
    def healthz(self, request):
        pings = {name: (getattr(self, f"{name}_rpc").ping, ()) for name in SERVICES}
        return schemas.health(rpc.gather(pings, timeout=self.config.get("HEALTH_TIMEOUT_S", 2)))

    @api("GET", "/metrics", summary="Prometheus metrics", tags=["ops"], content="text/plain")
    def metrics(self, request):
        body, content_type = exposition()
        return Response(body, content_type=content_type)

    @api("GET", "/openapi.json", summary="This document", tags=["ops"])
    def openapi(self, request):
        return openapi.build()

    @http("GET", "/")
    def storefront(self, request):
        q = request.args.get("q", "")[:64] or None
        return pages.render("index.html", q=q,
                            products=self.catalog_rpc.list_products({"q": q, "limit": 200})["items"])

    @http("GET", "/products/<sku>")
    def product_page(self, request, sku):
        try:
            return pages.render("product.html", p=self.catalog_rpc.get_product(sku))
        except NotFound:
            return pages.render("not_found.html", status=404)

    @http("GET", "/static/<filename>")
    def static(self, request, filename):
        return pages.static(filename) or pages.render("not_found.html", status=404)

    @api("GET", "/api/v1/products", summary="Products for sale", query=schemas.ProductQuery,
         response=schemas.ProductList, tags=["catalog"])
    def list_products(self, request):
        query = query_args(request, schemas.ProductQuery())
        return schemas.ProductList().dump(self.catalog_rpc.list_products(query))

    @api("GET", "/api/v1/products/<sku>", summary="One product with live stock",
         response=schemas.Product, tags=["catalog"])
    def get_product(self, request, sku):
        return schemas.Product().dump(self.catalog_rpc.get_product(sku))

    @api("POST", "/api/v1/admin/products", summary="Create a product", body=schemas.NewProduct,
         response=schemas.Product, status=201, tags=["admin"], admin=True)
    def create_product(self, request):
        actor = auth.admin(request, self.config)
        fields = json_body(request, schemas.NewProduct())
        return 201, schemas.Product().dump(self.catalog_rpc.create_product(actor, fields))
