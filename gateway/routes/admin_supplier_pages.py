"""The admin console's supplier page: every supplier with its status, qualification expiry and
whether it is enabled (with enable / disable), every sourced SKU with its suppliers, warning
where a SKU has a single usable source (the operator aims for three to five), and the latest
purchases of auto-replenishment with what each cost. It calls the same
supplier RPCs as the JSON API (gateway/routes/admin_suppliers.py)."""

from werkzeug.utils import redirect

from gateway import auth, pages, schemas
from gateway.routes import Routes
from gateway.web import page
from services.common.errors import Conflict, InvalidInput, NotFound

ADMIN = {"roles": auth.CATALOG, "area": "admin"}
DONE = {"enable": "admin.suppliers.enabled_done", "disable": "admin.suppliers.disabled_done"}


def suppliers_page(gateway, request, error=None, status=200):
    return pages.render(
        request,
        "admin/suppliers.html",
        status=status,
        suppliers=schemas.SupplierList().dump({"items": gateway.supplier_rpc.list_suppliers()})["items"],
        skus=schemas.SkuSourcesList().dump({"items": gateway.supplier_rpc.sku_sourcing()})["items"],
        purchases=schemas.PurchaseList().dump({"items": gateway.supplier_rpc.purchases(None, 50)})["items"],
        done=DONE.get(request.args.get("done")),
        error=error,
    )


class AdminSupplierPageRoutes(Routes):
    @page("GET", "/admin/suppliers", menu_label="admin.nav.suppliers", order=50, **ADMIN)
    def admin_suppliers(self, request):
        return suppliers_page(self, request)

    @page("POST", "/admin/suppliers/<int:supplier_id>/<action>", **ADMIN)
    def admin_change_supplier(self, request, supplier_id, action):
        if action not in DONE:
            raise NotFound("no such action", {})
        try:
            self.supplier_rpc.change_supplier(request.admin["actor"], supplier_id, action)
        except (Conflict, InvalidInput) as exc:
            return suppliers_page(self, request, ("admin.suppliers.not_changed", exc.message), 409)
        return redirect(f"/admin/suppliers?done={action}#supplier-{supplier_id}", code=303)
