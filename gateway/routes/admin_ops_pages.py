"""The console's operator pages (issue 23): categories (create, rename, archive), the payment
reconciliation report and the integrity report. They call the RPCs the admin JSON API calls
(gateway/routes/admin_catalog.py, payments.py, admin_integrity.py), through the same schemas."""

from marshmallow import ValidationError
from werkzeug.utils import redirect

from gateway import auth, cache, pages, schemas
from gateway.routes import Routes
from gateway.routes.admin_integrity import INTEGRITY_TIMEOUT_S
from gateway.web import page
from services.common.errors import Conflict, InvalidInput, NotFound

CATALOG = {"roles": auth.CATALOG, "area": "admin"}
MONEY = {"roles": auth.MONEY, "area": "admin"}
INTEGRITY = {"roles": auth.INTEGRITY, "area": "admin"}


def categories_page(gateway, request, error=None, status=200):
    categories = schemas.CategoryList().dump({"items": gateway.catalog_rpc.list_categories(True)})["items"]
    return pages.render(
        request,
        "admin/categories.html",
        status=status,
        categories=categories,
        error=error,
        done=request.args.get("done", "")[:16],
    )


def status_of(exc):
    return 409 if isinstance(exc, Conflict) else 404 if isinstance(exc, NotFound) else 400


def messages_of(exc):
    if isinstance(exc, ValidationError):
        return "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in exc.normalized_messages().items())
    return exc.message


class AdminOpsPageRoutes(Routes):
    @page("GET", "/admin/categories", menu_label="admin.nav.categories", order=21, **CATALOG)
    def admin_categories(self, request):
        return categories_page(self, request)

    @page("POST", "/admin/categories", **CATALOG)
    def admin_add_category(self, request):
        form = request.form
        body = {"name": form.get("name", "").strip()[:100], "parent": form.get("parent", "").strip()[:100] or None}
        order = form.get("sort_order", "").strip()[:12]
        if order:
            body["sort_order"] = int(order) if order.lstrip("-").isdigit() else order  # the schema says what is wrong
        try:
            fields = schemas.Category().load({**body, "requires_real_name": form.get("requires_real_name") == "on"})
            self.catalog_rpc.create_category(request.admin["actor"], fields)
        except (ValidationError, InvalidInput, Conflict, NotFound) as exc:
            return categories_page(self, request, messages_of(exc), status_of(exc))
        cache.invalidate_catalog()
        return redirect("/admin/categories?done=created", code=303)

    @page("POST", "/admin/categories/<name>", **CATALOG)
    def admin_rename_category(self, request, name):
        action = request.form.get("action")
        try:
            if action in ("archive", "restore"):
                fields = {"archived": action == "archive"}
            else:
                fields = schemas.CategoryChanges().load({"name": request.form.get("new_name", "").strip()[:100]})
            self.catalog_rpc.update_category(request.admin["actor"], name[:64], fields)
        except (ValidationError, InvalidInput, Conflict, NotFound) as exc:
            return categories_page(self, request, messages_of(exc), status_of(exc))
        cache.invalidate_catalog()
        return redirect("/admin/categories?done=saved", code=303)

    @page("GET", "/admin/reconciliation", menu_label="admin.nav.reconciliation", order=48, **MONEY)
    def admin_reconciliation(self, request):
        try:
            days = schemas.ReconciliationQuery().load({"days": request.args.get("days", "7")[:4]})["days"]
        except ValidationError:
            days = 7
        report = schemas.ReconciliationReport().dump(self.payment_rpc.reconciliation_report(days))
        return pages.render(request, "admin/reconciliation.html", report=report, days=days)

    @page("GET", "/admin/integrity", menu_label="admin.nav.integrity", order=49, **INTEGRITY)
    def admin_integrity(self, request):
        try:
            query = schemas.IntegrityQuery().load({"days": request.args.get("days", "30")[:4]})
        except ValidationError:
            query = schemas.IntegrityQuery().load({})
        report = self.audit_rpc.check_integrity.timed(INTEGRITY_TIMEOUT_S)(query["days"], query["grace_s"])
        report = schemas.IntegrityReport().dump(report)
        return pages.render(request, "admin/integrity.html", report=report, days=query["days"])
