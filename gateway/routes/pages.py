"""The storefront (mobile first): catalog, product + checkout, the order page (pay, wait, codes),
"find my order". The buyer's order token never travels in a URL: it comes in a POSTed form and
is kept in an HttpOnly cookie scoped to that order's page."""

import hashlib
from urllib.parse import urlencode

from werkzeug.utils import redirect

from gateway import cache, campaigns, checkout, i18n, members, ordering, pages, schemas, signals, storefronts, web
from gateway.http import query_args
from gateway.routes import Routes, admin_announcement
from gateway.web import Redirect, page
from services.common.errors import (
    CouponUnavailable,
    Forbidden,
    InsufficientBalance,
    InvalidInput,
    NotFound,
    OutOfStock,
    Unavailable,
)

TOKEN_COOKIE = "kameng_order"
TOKEN_COOKIE_S = 30 * 86400
FIND_COOKIE = "kameng_find"
FIND_GRANT_S = 1800
PAGE_SIZE = 24  # tiles on one storefront page (the catalog's cursor paging)
RETURN_WAIT_S = 3.0  # back from paying: how long the order page waits for the payment to be confirmed


def order_path(order_no):
    return f"/orders/{order_no}"


def with_token_cookie(response, config, order_no, token):
    web.set_cookie(response, config, TOKEN_COOKIE, token, max_age=TOKEN_COOKIE_S, path=order_path(order_no))
    return response


def open_with_token(gateway, request, order_no, token):
    """A token typed in (or pasted): checked, then kept in the order page's cookie."""
    gateway.limit("lookup", request)
    try:
        gateway.order_rpc.get_order(order_no, token)
    except NotFound:
        return pages.render(request, "store/order_token.html", status=404, order_no=order_no, wrong=True)
    return with_token_cookie(redirect(order_path(order_no), code=303), gateway.config, order_no, token)


def checkout_form(gateway, request, product, status=200, errors=None, form=None, message=None, store=None):
    currency = product["currency"]  # the payment service's rule; the order service refuses the others
    try:
        channels = gateway.payment_channels.get_or_set(currency, lambda: gateway.payment_rpc.channels_for(currency))
    except Unavailable:  # no payment service to ask: nothing to pay with just now
        channels = []
    deal = campaigns.deals(campaigns.current(gateway)).get(product["sku"]) if store is None else None
    return pages.render(
        request,
        "store/product.html",
        status=status,
        p=product,
        channels=channels,
        errors=errors or {},
        form=form or {},
        message=message,
        idem=(form or {}).get("idem") or checkout.idempotency_key(),
        store=store,
        deal=deal,
        member=bool(members.token(request, gateway.config)) and store is None,  # may spend points
    )


def shop_url(path, q, category, cursor):
    """A storefront page's address: the same search and category, at `cursor` (None: no page)."""
    if cursor is None and q is None and category is None:
        return path
    args = {k: v for k, v in (("q", q), ("category", category), ("cursor", cursor)) if v}
    return f"{path}?{urlencode(args)}"


def buyer_view(gateway, request, order_no):
    """The order (dumped for pages) for the token in the order's cookie or a find-my-order
    grant, with the token (or None); (None, None) for anyone else."""
    token = web.cookie(request, gateway.config, TOKEN_COOKIE, order_path(order_no))
    try:
        if token:
            return schemas.BuyerOrder().dump(gateway.order_rpc.get_order(order_no, token)), token
    except NotFound:
        pass
    grant = web.sessions(gateway.config).get("find", web.cookie(request, gateway.config, FIND_COOKIE))
    if grant and order_no in grant["orders"]:
        return schemas.BuyerOrder().dump(gateway.order_rpc.buyer_order(order_no)), None
    return None, None


class PageRoutes(Routes):
    @page("GET", "/", menu_label="nav.home", order=10)
    def storefront(self, request):
        return self.render_shop(request, None)

    @page("GET", "/s/<slug>/")
    def sub_store(self, request, slug):
        """An agent's sub-store: the shop under its store name, at its retail prices."""
        return self.render_shop(request, storefronts.by_slug(self, slug))

    def render_shop(self, request, store):
        q = request.args.get("q", "").strip()[:64] or None
        category = request.args.get("category", "").strip()[:64] or None
        cursor = request.args.get("cursor", "").strip()[:256] or None
        query = {"q": q, "category": category, "limit": PAGE_SIZE, "cursor": cursor}
        try:
            if store is None:
                key = ("page", q, category, cursor)
                found = cache.listing.get_or_set(key, lambda: storefronts.listing(self, None, query))
            else:
                found = storefronts.listing(self, store, query)
        except InvalidInput:  # a cursor made up or cut short: the first page
            raise Redirect(request.path) from None
        products = found["items"]
        running = campaigns.current(self) if store is None else []  # a sub-store sells at its agent's prices
        return signals.remember_device(
            request,
            pages.render(
                request,
                "store/index.html",
                q=q,
                category=category,
                products=pages.tiles(products),
                next_page=found.get("next_cursor") and shop_url(request.path, q, category, found["next_cursor"]),
                first_page=shop_url(request.path, q, category, None) if cursor else None,
                categories=cache.categories.get_or_set("all", self.catalog_rpc.list_categories),
                store=store,
                campaigns=campaigns.banner(running),
                announcement=admin_announcement.current(self)["text"] if store is None else "",
                deals=campaigns.deals(running),
            ),
            self.config.get("PUBLIC_URL", ""),
        )

    @page("GET", "/products/<sku>")
    def product_page(self, request, sku):
        """A product; with ?agent=<id> (an agent's buy link) at that agent's retail price, the
        agent kept in the checkout form (an unknown or disabled agent: the shop's own price)."""
        return self.render_product(request, sku, storefronts.by_link(self, request.args.get(storefronts.LINK_FIELD)))

    @page("GET", "/s/<slug>/products/<sku>")
    def sub_store_product(self, request, slug, sku):
        return self.render_product(request, sku, storefronts.by_slug(self, slug))

    def render_product(self, request, sku, store):
        product = storefronts.retail_product(self, store, self.catalog_rpc.get_product(sku[:64]))
        self.page_views.seen(product["sku"])  # found: a view for the analytics funnel
        return signals.remember_device(
            request, checkout_form(self, request, product, store=store), self.config.get("PUBLIC_URL", "")
        )

    @page("POST", "/products/<sku>")
    def checkout(self, request, sku):
        return self.buy_from_page(request, sku, storefronts.by_link(self, request.form.get(storefronts.LINK_FIELD)))

    @page("POST", "/s/<slug>/products/<sku>")
    def sub_store_checkout(self, request, slug, sku):
        return self.buy_from_page(request, sku, storefronts.by_slug(self, slug))

    def buy_from_page(self, request, sku, store):
        product = storefronts.retail_product(self, store, self.catalog_rpc.get_product(sku[:64]))
        self.page_views.seen(product["sku"])  # found: a view for the analytics funnel
        t = i18n.translator(pages.language(request, self.config))
        body, password, errors = checkout.form_order(request.form, product, t)
        if errors:
            return checkout_form(self, request, product, 400, errors, request.form, store=store)
        self.limit("orders", request)
        try:
            status, answer = ordering.place(
                self.order_rpc,
                self.order_creates,
                self.orders_moving,
                body,
                signals.of(request, self.config.get("TRUSTED_PROXIES", ())),
                request.form.get("idem", "")[:64] or None,
                float(self.config.get("ORDER_WAIT_S", ordering.WAIT_S)),
                self.sold_out,
                members.for_order(self, request),
                storefronts.via(store),
            )
        except OutOfStock:
            status, answer = 409, None
        except CouponUnavailable:
            message = "checkout.coupon_unavailable"
            return checkout_form(self, request, product, 409, form=request.form, message=message, store=store)
        except InvalidInput as exc:
            fields = checkout.localize(exc.details.get("fields", {}), product, t)
            return checkout_form(self, request, product, 400, fields, request.form, store=store)
        except InsufficientBalance:  # more points than the member holds: nothing was kept
            return checkout_form(
                self, request, product, 409, form=request.form, message="checkout.points_short", store=store
            )
        except Forbidden as exc:
            if exc.details.get("reason") != "real_name_required":
                raise
            message = "checkout.real_name_required"
            return checkout_form(self, request, product, 403, form=request.form, message=message, store=store)
        if status != 201:
            return checkout_form(self, request, product, 409, form=request.form, message="msg.sold_out", store=store)
        target = order_path(answer["order_no"])
        if password:
            try:
                self.order_rpc.set_lookup_password(answer["order_no"], answer["token"], password)
            except (Unavailable, InvalidInput):
                target += "?note=password"
        return with_token_cookie(redirect(target, code=303), self.config, answer["order_no"], answer["token"])

    @page("GET", "/orders/<order_no>")
    def order_page(self, request, order_no):
        order_no = order_no[:64]
        self.limit("lookup", request)
        order, token = buyer_view(self, request, order_no)
        if order is None:
            return pages.render(request, "store/order_token.html", order_no=order_no)
        confirming = False
        if request.args.get("returned") == "1" and order["status"] == "awaiting_payment":
            # back from the channel's cashier (or the sandbox's button): the payment is being
            # confirmed. Wait a moment for the order to move; never offer to pay it again.
            was = order["status"]
            if self.orders_moving.wait(order_no, lambda seen: seen["status"] != was, RETURN_WAIT_S) is not None:
                order, token = buyer_view(self, request, order_no)
            confirming = order is not None and order["status"] == "awaiting_payment"
            if order is None:
                return pages.render(request, "store/order_token.html", order_no=order_no)
        return pages.render(
            request,
            "store/order.html",
            order=order,
            names=pages.product_names(self, [order["sku"]]),
            token=token or None,
            buy_again=order["terminal"] and not order["delivered"],
            watch=not order["terminal"],
            note=request.args.get("note"),
            confirming=confirming,
        )

    @page("GET", "/orders/<order_no>/status")
    def order_status(self, request, order_no):
        """For the order page's script: {"status"} while it waits for payment and delivery. With
        ?status=<what the page shows>&wait=<s> the answer is held until the order moves (the
        order service's hint, gateway/waits.py), so the page changes the moment it is paid."""
        order_no = order_no[:64]
        hold = query_args(request, schemas.OrderWait())
        hold["status"] = ordering.held_status(self.order_rpc, hold)
        order, _ = buyer_view(self, request, order_no)
        if order is None:
            raise NotFound("no such order", {})
        if hold.get("status") == order["status"] and hold["wait"] > 0:
            moved = self.orders_moving.wait(order_no, lambda seen: seen["status"] != order["status"], hold["wait"])
            if moved is not None:
                return {"status": moved["status"]}
        return {"status": order["status"]}

    @page("POST", "/orders/<order_no>")
    def order_with_token(self, request, order_no):
        return open_with_token(self, request, order_no[:64], request.form.get("token", "").strip()[:256])

    @page("POST", "/orders/<order_no>/cancel")
    def cancel_page(self, request, order_no):
        order_no = order_no[:64]
        self.limit("lookup", request)
        self.order_rpc.cancel_order(order_no, web.cookie(request, self.config, TOKEN_COOKIE, order_path(order_no)))
        return redirect(order_path(order_no), code=303)

    @page("GET", "/find", menu_label="nav.find", order=20)
    def find_page(self, request):
        return pages.render(request, "store/find.html", found=None, form={})

    @page("POST", "/find")
    def find_orders(self, request):
        form = request.form
        if form.get("mode") == "token":
            return open_with_token(
                self, request, form.get("order_no", "").strip()[:64], form.get("token", "").strip()[:256]
            )
        contact = form.get("contact", "").strip()[:254]
        self.limit("lookup", request)
        self.limit("contact_lookup", request, subject=hashlib.sha256(contact.lower().encode()).hexdigest()[:32])
        try:
            found = self.order_rpc.find_orders(contact, form.get("password", "")[:64])
        except InvalidInput:
            found = []
        response = pages.render(
            request,
            "store/find.html",
            status=200 if found else 404,
            found=schemas.OrderList().dump({"items": found})["items"],
            names=pages.product_names(self, [o["sku"] for o in found]),
            form={"contact": contact},
        )
        if found:
            sid = web.sessions(self.config).create("find", {"orders": [o["order_no"] for o in found]}, FIND_GRANT_S)
            web.set_cookie(response, self.config, FIND_COOKIE, sid, max_age=FIND_GRANT_S)
        return response

    @page("GET,POST", "/pay/<payment_no>")
    def pay_page(self, request, payment_no):
        """Every order's pay link (fixed at acceptance): the payment service makes the intent with
        the order's channel when it is first opened. A channel with a cashier of its own (Alipay,
        epay) is redirected to; WeChat's QR code, the USDT amount and the sandbox's button are
        shown here."""
        sandbox = bool(self.config.get("SANDBOX_PAYMENTS"))
        payment = self.payment_rpc.open_intent(payment_no[:64])
        if request.method == "POST" and sandbox:
            self.limit("notify", request)
            self.payment_rpc.sandbox_pay(payment["payment_no"])
            return redirect(order_path(payment["order_no"]) + "?returned=1", code=303)
        own = f"/pay/{payment['payment_no']}"
        if payment["status"] == "pending" and payment["pay_url"] and not payment["pay_url"].endswith(own):
            return redirect(payment["pay_url"], code=303)  # the channel's cashier
        return pages.render(request, "store/pay.html", payment=payment, sandbox=sandbox)

    @page("GET", "/favicon.ico")
    def favicon(self, request):
        """Browsers ask for it without a <link>: the shop's icon is an SVG."""
        response = redirect("/static/favicon.svg", code=301)
        response.headers["Cache-Control"] = "public, max-age=86400"
        return response

    @page("GET", "/static/<filename>")
    def static(self, request, filename):
        found = pages.static(filename)
        if found is None:
            raise NotFound("no such file", {})
        return found
