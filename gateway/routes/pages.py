from gateway import pages, schemas, signals
from gateway.http import JsonHttpHandler
from services.common.errors import NotFound

page = JsonHttpHandler.decorator     # same request ids, headers and error handling; not in OpenAPI


class PageRoutes:
    @page("GET", "/")
    def storefront(self, request):
        q = request.args.get("q", "")[:64] or None
        return signals.remember_device(request, pages.render(
            "index.html", q=q, products=self.catalog_rpc.list_products({"q": q, "limit": 200})["items"]),
            self.config.get("PUBLIC_URL", ""))

    @page("GET", "/products/<sku>")
    def product_page(self, request, sku):
        try:
            return signals.remember_device(request, pages.render("product.html", p=self.catalog_rpc.get_product(sku)),
                                           self.config.get("PUBLIC_URL", ""))
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

    @page("GET,POST", "/orders/<order_no>")
    def order_page(self, request, order_no):
        """The buyer's order page. The token comes in a POSTed form, never in the URL (logs)."""
        if request.method == "GET":
            return pages.render("order.html", order_no=order_no[:64], order=None)
        self.limit("lookup", request)
        try:
            order = schemas.Order().dump(self.order_rpc.get_order(order_no[:64], request.form.get("token", "")[:256]))
        except NotFound:
            return pages.render("order.html", order_no=order_no[:64], order=None, wrong=True, status=404)
        return pages.render("order.html", order_no=order_no[:64], order=order)

    @page("GET", "/static/<filename>")
    def static(self, request, filename):
        return pages.static(filename) or pages.render("not_found.html", status=404)
