from gateway import cache, schemas
from gateway.http import api, query_args
from gateway.routes import Routes


class CatalogRoutes(Routes):
    @api(
        "GET",
        "/api/v1/products",
        summary="Products for sale",
        query=schemas.ProductQuery,
        response=schemas.ProductList,
        tags=["catalog"],
    )
    def list_products(self, request):
        query = query_args(request, schemas.ProductQuery())
        key = tuple(sorted(query.items()))
        return cache.listing.get_or_set(key, lambda: schemas.ProductList().dump(self.catalog_rpc.list_products(query)))

    @api(
        "GET",
        "/api/v1/products/<sku>",
        summary="One product with live stock (at most 1 s old), its group's specs and its wholesale tiers",
        response=schemas.ProductDetail,
        tags=["catalog"],
    )
    def get_product(self, request, sku):
        product = cache.product.get_or_set(sku, lambda: schemas.ProductDetail().dump(self.catalog_rpc.get_product(sku)))
        self.page_views.seen(product["sku"])  # found: a view for the analytics funnel
        return product

    @api(
        "GET",
        "/api/v1/products/<sku>/quote",
        summary="Price for a quantity now (rule applied)",
        query=schemas.QuoteQuery,
        response=schemas.Quote,
        tags=["catalog"],
    )
    def quote(self, request, sku):
        quantity = query_args(request, schemas.QuoteQuery())["quantity"]
        return schemas.Quote().dump(self.catalog_rpc.quote(sku, quantity))
