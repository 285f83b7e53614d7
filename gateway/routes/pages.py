from gateway import pages
from gateway.http import JsonHttpHandler
from services.common.errors import NotFound

page = JsonHttpHandler.decorator     # same request ids, headers and error handling; not in OpenAPI


class PageRoutes:
    @page("GET", "/")
    def storefront(self, request):
        q = request.args.get("q", "")[:64] or None
        return pages.render("index.html", q=q,
                            products=self.catalog_rpc.list_products({"q": q, "limit": 200})["items"])

    @page("GET", "/products/<sku>")
    def product_page(self, request, sku):
        try:
            return pages.render("product.html", p=self.catalog_rpc.get_product(sku))
        except NotFound:
            return pages.render("not_found.html", status=404)

    @page("GET", "/static/<filename>")
    def static(self, request, filename):
        return pages.static(filename) or pages.render("not_found.html", status=404)
