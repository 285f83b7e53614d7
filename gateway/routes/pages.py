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

    @page("GET,POST", "/pay/<payment_no>")
    def pay_page(self, request, payment_no):
        sandbox = bool(self.config.get("SANDBOX_PAYMENTS"))
        try:
            if request.method == "POST" and sandbox:
                self.payment_rpc.sandbox_pay(payment_no[:64])
            payment = self.payment_rpc.get_payment(payment_no[:64])
        except NotFound:
            return pages.render("not_found.html", status=404)
        return pages.render("pay.html", payment=payment, sandbox=sandbox)

    @page("GET", "/static/<filename>")
    def static(self, request, filename):
        return pages.static(filename) or pages.render("not_found.html", status=404)
