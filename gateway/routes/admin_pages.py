"""The admin console (/admin): dashboard (signing in and staff: admin_staff_pages.py), products
and price rules, code import (the streamed import API, with progress), orders with the saga
timeline and refunds (the risk pages are in admin_risk_pages.py).
Every page calls the same services the admin JSON API calls; every change is audited there."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

from marshmallow import ValidationError
from werkzeug.utils import redirect

from gateway import auth, cache, checkout, orderview, pages, schemas, web
from gateway.routes import Routes
from gateway.web import page
from services.common.errors import Conflict, InvalidInput, NotFound

MERCHANT_TZ = ZoneInfo("Asia/Shanghai")  # "today" on the dashboard is the merchant's day
PRODUCT_FIELDS = (
    "sku",
    "name",
    "category",
    "price",
    "currency",
    "delivery",
    "min_quantity",
    "max_quantity",
    "description",
    "low_stock_threshold",
)
INT_FIELDS = {"min_quantity", "max_quantity", "low_stock_threshold", "percent_off"}
ANYONE = {"roles": auth.ANYONE, "area": "admin"}
CATALOG = {"roles": auth.CATALOG, "area": "admin"}
ORDERS = {"roles": auth.ORDERS, "area": "admin"}
MONEY = {"roles": auth.MONEY, "area": "admin"}
UNPAID = ("awaiting_payment", "expired", "cancelled")  # a payment may still be confirmed by hand
CODE_DELIVERIES = ("card", "loop")  # the deliveries whose stock is imported codes (else: a counted stock)
CODES_SHOWN = 50

web.nav("admin", "/", "admin.nav.store", 90)


def product_form(form, names):
    """The product fields present in a form, typed for the API schemas (empty fields left out)."""
    values = {}
    for name in names:
        value = form.get(name, "").strip()
        if value == "":
            continue
        try:
            values[name] = int(value) if name in INT_FIELDS else value
        except ValueError:
            values[name] = value  # the schema says what is wrong with it
    return values


def spec_fields(form):
    """The edit form's group and spec label: an empty field takes the SKU out of its group (or its
    label away); a form without them (an older page) changes neither."""
    values = {}
    for name in ("group_id", "spec_label"):
        if name in form:
            value = form.get(name, "").strip()
            values[name] = (int(value) if value.isdigit() else value) if value else None
    return values


def tiers_of(text):
    """ "10:9.00, 50:8.50" -> [{"min_quantity": 10, "price": "9.00"}, ...] for the API's schema,
    which says what is wrong with it (an empty field: no tiers)."""
    tiers = []
    for part in filter(None, (p.strip() for p in text.replace("，", ",").split(","))):
        quantity, _, price = part.partition(":")
        quantity = quantity.strip()
        tiers.append({"min_quantity": int(quantity) if quantity.isdigit() else quantity, "price": price.strip()})
    return tiers


def products_page(gateway, request, errors=None, form=None, status=200):
    return pages.render(
        request,
        "admin/products.html",
        status=status,
        stock=gateway.catalog_rpc.stock_report(),
        errors=errors or {},
        form=form or {},
        done=request.args.get("done"),
    )


def product_page(gateway, request, sku, message=None, status=200, revealed=None):
    stock = {s["sku"]: s for s in gateway.catalog_rpc.stock_report()}.get(sku)
    if stock is None:
        raise NotFound("no such product", {})
    try:
        product = gateway.catalog_rpc.get_product(sku)
        quote = gateway.catalog_rpc.quote(sku, product["min_quantity"])
    except NotFound:  # inactive: the stock row is what we can show
        product, quote = None, None
    delivery = product["delivery"] if product else None
    codes = None
    if delivery in CODE_DELIVERIES:  # masked: the list itself reveals nothing and is not audited
        query = {"limit": CODES_SHOWN, "status": "available"}
        codes = revealed or schemas.CodeList().dump(gateway.catalog_rpc.list_codes(request.admin["actor"], sku, query))
    return pages.render(
        request,
        "admin/product.html",
        status=status,
        sku=sku,
        product=product,
        stock=stock,
        quote=quote,
        delivery=delivery,
        codes=codes,
        revealed=revealed is not None,
        message=message or request.args.get("done"),
    )


def order_page(gateway, request, order_no, message=None, status=200):
    order = gateway.order_rpc.admin_order(order_no)
    try:
        payment = schemas.AdminPayment().dump(gateway.payment_rpc.admin_payment(order_no))
    except NotFound:  # not paid for yet
        payment = None
    return pages.render(
        request,
        "admin/order.html",
        status=status,
        order=schemas.AdminOrder().dump(order),
        timeline=orderview.timeline(order["timeline"]),
        payment=payment,
        idem=checkout.idempotency_key(),
        refundable=order["can_refund"],
        # the channel's money arrived without its notification (issue 24): finance settles it by hand
        confirmable=order.get("payment") is not None
        and order["status"] in UNPAID
        and request.admin["role"] in auth.MONEY,
        message=message or request.args.get("done"),
    )


def today_start():
    return datetime.combine(datetime.now(MERCHANT_TZ).date(), time(0), MERCHANT_TZ).isoformat()


class AdminPageRoutes(Routes):
    @page("GET", "/admin", menu_label="admin.nav.dashboard", order=10, **ANYONE)
    def admin_dashboard(self, request):
        figures = self.order_rpc.dashboard(today_start())
        low = [s for s in self.catalog_rpc.stock_report() if s["low"] and s["active"]]
        return pages.render(request, "admin/dashboard.html", figures=figures, low=low)

    @page("GET", "/admin/products", menu_label="admin.nav.products", order=20, **CATALOG)
    def admin_products(self, request):
        return products_page(self, request)

    @page("POST", "/admin/products", **CATALOG)
    def admin_create_product(self, request):
        try:
            fields = schemas.NewProduct().load(product_form(request.form, PRODUCT_FIELDS))
            created = self.catalog_rpc.create_product(request.admin["actor"], fields)
        except (ValidationError, InvalidInput, Conflict) as exc:
            errors = exc.messages if isinstance(exc, ValidationError) else {"sku": [exc.message]}
            return products_page(self, request, errors, request.form, 400)
        cache.invalidate_catalog()
        return redirect(f"/admin/products/{created['sku']}?done=created", code=303)

    @page("GET", "/admin/products/<sku>", **CATALOG)
    def admin_product(self, request, sku):
        return product_page(self, request, sku[:64])

    @page("POST", "/admin/products/<sku>", **CATALOG)
    def admin_change_product(self, request, sku):
        sku, actor, form, action = sku[:64], request.admin["actor"], request.form, request.form.get("action")
        try:
            if action == "level_price":
                level = form.get("level", "").strip()[:32]
                price = schemas.LevelPrice().load({"price": form.get("price", "").strip() or None})["price"]
                if not level:
                    raise InvalidInput("the level is missing", {})
                self.catalog_rpc.set_level_price(actor, sku, level, price)
            elif action == "tiers":
                tiers = schemas.WholesaleTiers().load({"tiers": tiers_of(form.get("tiers", "")[:2000])})["tiers"]
                self.catalog_rpc.set_wholesale_tiers(actor, sku, tiers)
            elif action == "new_group":
                group = self.catalog_rpc.create_product_group(
                    actor, schemas.NewProductGroup().load({"name": form.get("group_name", "").strip()})
                )
                self.catalog_rpc.update_product(actor, sku, {"group_id": group["id"]})
            elif action == "stock":
                text = form.get("stock", "").strip()[:12]
                count = schemas.StockSet().load({"stock": int(text) if text.lstrip("-").isdigit() else (text or None)})
                self.catalog_rpc.set_stock(actor, sku, count["stock"])
            elif action == "reveal_codes":
                query = {"limit": CODES_SHOWN, "status": "available", "reveal": True}
                revealed = schemas.CodeList().dump(self.catalog_rpc.list_codes(actor, sku, query))
                return product_page(self, request, sku, revealed=revealed)
            elif action == "promotion":
                fields = schemas.Promotion().load(
                    product_form(form, ("name", "percent_off", "price", "starts", "ends", "timezone"))
                )
                self.catalog_rpc.create_promotion(actor, sku, {k: v for k, v in fields.items() if v is not None})
            else:
                fields = schemas.ProductChanges().load(
                    {
                        **product_form(form, PRODUCT_FIELDS[1:]),
                        **spec_fields(form),
                        "active": form.get("active") == "on",
                    }
                )
                self.catalog_rpc.update_product(actor, sku, fields)
        except (ValidationError, InvalidInput, ValueError) as exc:
            return product_page(self, request, sku, str(getattr(exc, "messages", exc)), 400)
        except Conflict as exc:
            return product_page(self, request, sku, exc.message, 409)
        cache.invalidate_catalog()
        return redirect(f"/admin/products/{sku}?done=saved", code=303)

    @page("GET", "/admin/orders", menu_label="admin.nav.orders", order=30, **ORDERS)
    def admin_orders(self, request):
        query = schemas.OrderQuery().load(
            {k: v for k, v in request.args.items() if v and k in ("status", "contact", "sku", "before")}
        )
        orders = self.order_rpc.search_orders(query)
        return pages.render(
            request,
            "admin/orders.html",
            orders=schemas.OrderList().dump({"items": orders})["items"],
            query=query,
            statuses=self.order_rpc.order_states(),
        )

    @page("GET", "/admin/orders/<order_no>", **ORDERS)
    def admin_order_page(self, request, order_no):
        return order_page(self, request, order_no[:64])

    @page("POST", "/admin/orders/<order_no>/refund", **MONEY)
    def admin_refund(self, request, order_no):
        order_no, actor, form = order_no[:64], request.admin["actor"], request.form
        body = {"reason": form.get("reason", "").strip()[:200] or "refund by merchant"}
        if form.get("amount", "").strip():  # in yuan, as the JSON API takes it: a partial refund
            body["amount"] = form["amount"].strip()[:20]
        try:
            refund = schemas.Refund().load(body)
            partial = None
            if refund.get("amount") is not None:  # None back: the amount is all that is left
                key = form.get("idem", "").strip()[:64] or None  # a resubmitted form refunds once
                partial = self.payment_rpc.refund_payment(actor, order_no, refund["amount"], refund["reason"], key)
            if partial is None:
                self.order_rpc.refund_order(actor, order_no, refund["reason"])
        except (ValidationError, InvalidInput) as exc:
            return order_page(self, request, order_no, str(getattr(exc, "messages", exc)), 400)
        except Conflict:
            return order_page(self, request, order_no, "admin.not_refundable", 409)
        return redirect(f"/admin/orders/{order_no}?done={'partial_refund' if partial else 'refund'}", code=303)

    @page("POST", "/admin/orders/<order_no>/payment/confirm", **MONEY)
    def admin_confirm_payment(self, request, order_no):
        order_no = order_no[:64]
        try:
            body = schemas.ConfirmByHand().load({k: request.form.get(k, "").strip() for k in ("trade_no", "reason")})
            self.payment_rpc.confirm_by_hand(request.admin["actor"], order_no, body["trade_no"], body["reason"])
        except ValidationError as exc:
            return order_page(self, request, order_no, str(exc.messages), 400)
        except (Conflict, NotFound):
            return order_page(self, request, order_no, "admin.not_confirmable", 409)
        return redirect(f"/admin/orders/{order_no}?done=confirmed", code=303)
