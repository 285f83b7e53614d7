"""The console's coupons page (issue 22): list, create, deactivate. It calls the catalog RPCs the
admin JSON API calls (gateway/routes/admin_coupons.py), through the same request schema."""

from marshmallow import ValidationError
from werkzeug.utils import redirect

from gateway import auth, pages, schemas
from gateway.routes import Routes
from gateway.routes.admin_coupons import to_catalog
from gateway.web import page
from services.common.errors import Conflict, InvalidInput, NotFound

COUPONS = {"roles": auth.CATALOG, "area": "admin"}
TEXT = ("code", "name", "kind", "amount_off", "max_off", "min_total", "scope", "scope_value")
NUMBERS = ("percent_off", "total_limit", "per_buyer_limit")
TIMES = ("valid_from", "valid_until")  # datetime-local inputs, in UTC


def coupons_page(gateway, request, status=200, error=None, form=None):
    coupons = schemas.CouponList().dump({"items": gateway.catalog_rpc.list_coupons({})})["items"]
    done = request.args.get("done", "")[:16]
    return pages.render(
        request, "admin/coupons.html", status=status, coupons=coupons, error=error, done=done, form=form or {}
    )


def coupon_form(form):
    """The form as the JSON API's body (empty fields left out), loaded by its schema."""
    body = {k: form.get(k, "").strip()[:100] for k in TEXT if form.get(k, "").strip()}
    try:
        body.update({k: int(form[k].strip()[:12]) for k in NUMBERS if form.get(k, "").strip()})
    except ValueError:
        raise InvalidInput("a whole number is expected", {}) from None
    body.update({k: form[k].strip()[:40] + ":00Z" for k in TIMES if form.get(k, "").strip()})
    body["single_use"] = form.get("single_use") == "on"
    try:
        return to_catalog(schemas.NewCoupon().load(body))
    except ValidationError as exc:
        raise InvalidInput("; ".join(f"{k}: {v}" for k, v in exc.messages_dict.items()), {}) from None


class AdminCouponPageRoutes(Routes):
    @page("GET", "/admin/coupons", menu_label="admin.nav.coupons", order=47, **COUPONS)
    def admin_coupons(self, request):
        return coupons_page(self, request)

    @page("POST", "/admin/coupons", **COUPONS)
    def admin_add_coupon(self, request):
        try:
            self.catalog_rpc.create_coupon(request.admin["actor"], coupon_form(request.form))
        except (InvalidInput, Conflict) as exc:
            status = 400 if isinstance(exc, InvalidInput) else 409
            return coupons_page(self, request, status, exc.message, request.form)
        return redirect("/admin/coupons?done=saved", code=303)

    @page("POST", "/admin/coupons/<int:coupon_id>/deactivate", **COUPONS)
    def admin_deactivate_coupon(self, request, coupon_id):
        try:
            self.catalog_rpc.deactivate_coupon(request.admin["actor"], coupon_id)
        except NotFound as exc:
            return coupons_page(self, request, 404, exc.message)
        return redirect("/admin/coupons?done=deactivated", code=303)
