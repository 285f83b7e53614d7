"""Admin: the supplier registry (issue 17, DESIGN §6): suppliers and their qualification, the
connection to their own API (credentials go in, never come out), their signing keys, and what each
sources for which SKU. The supplier service validates, audits and decides; these routes check the
HTTP shape and call it."""

from werkzeug.wrappers import Response

from gateway import auth, schemas
from gateway.http import api, json_body, query_args
from gateway.routes import Routes

ADMIN = {"tags": ["admin", "suppliers"], "roles": auth.CATALOG}
ONE = "/api/v1/admin/suppliers/<int:supplier_id>"


def changed(gateway, request, supplier_id, action):
    """enable, disable or suspend: the supplier as it is afterwards."""
    actor = request.actor.audit
    return schemas.Supplier().dump(gateway.supplier_rpc.change_supplier(actor, supplier_id, action))


class AdminSupplierRoutes(Routes):
    @api(
        "POST",
        "/api/v1/admin/suppliers",
        summary="Register a supplier (pending until its documents are reviewed)",
        body=schemas.NewSupplier,
        response=schemas.Supplier,
        status=201,
        **ADMIN,
    )
    def create_supplier(self, request):
        actor = request.actor.audit
        new = json_body(request, schemas.NewSupplier())
        return 201, schemas.Supplier().dump(self.supplier_rpc.create_supplier(actor, new))

    @api("GET", "/api/v1/admin/suppliers", summary="Every supplier", response=schemas.SupplierList, **ADMIN)
    def list_suppliers(self, request):
        return schemas.SupplierList().dump({"items": self.supplier_rpc.list_suppliers()})

    @api("GET", ONE, summary="A supplier (its credentials only as set or not)", response=schemas.Supplier, **ADMIN)
    def get_supplier(self, request, supplier_id):
        return schemas.Supplier().dump(self.supplier_rpc.get_supplier(supplier_id))

    @api(
        "POST",
        ONE + "/approve",
        summary="Approve a supplier's qualification: its documents and the last day it is valid",
        body=schemas.SupplierApproval,
        response=schemas.Supplier,
        **ADMIN,
    )
    def approve_supplier(self, request, supplier_id):
        actor = request.actor.audit
        review = json_body(request, schemas.SupplierApproval())
        return schemas.Supplier().dump(self.supplier_rpc.approve_supplier(actor, supplier_id, review))

    @api(
        "POST",
        ONE + "/enable",
        summary="Enable a supplier (409 unless approved and qualified today)",
        response=schemas.Supplier,
        **ADMIN,
    )
    def enable_supplier(self, request, supplier_id):
        return changed(self, request, supplier_id, "enable")

    @api("POST", ONE + "/disable", summary="Disable a supplier", response=schemas.Supplier, **ADMIN)
    def disable_supplier(self, request, supplier_id):
        return changed(self, request, supplier_id, "disable")

    @api(
        "POST",
        ONE + "/suspend",
        summary="Suspend a supplier (disabled until approved again)",
        response=schemas.Supplier,
        **ADMIN,
    )
    def suspend_supplier(self, request, supplier_id):
        return changed(self, request, supplier_id, "suspend")

    @api(
        "PUT",
        ONE + "/connection",
        summary="How to reach the supplier's own API: adapter, base URL, settings, credentials (write-only)",
        body=schemas.SupplierConnectionSet,
        response=schemas.Supplier,
        **ADMIN,
    )
    def set_supplier_connection(self, request, supplier_id):
        actor = request.actor.audit
        connection = json_body(request, schemas.SupplierConnectionSet())
        return schemas.Supplier().dump(self.supplier_rpc.set_connection(actor, supplier_id, connection))

    @api("GET", ONE + "/skus", summary="What a supplier sources", response=schemas.SupplierSourcingList, **ADMIN)
    def supplier_skus(self, request, supplier_id):
        return schemas.SupplierSourcingList().dump({"items": self.supplier_rpc.supplier_sourcing(supplier_id)})

    @api(
        "PUT",
        ONE + "/skus/<sku>",
        summary="Source a SKU from this supplier: its product id there, cost, priority, hourly cap",
        body=schemas.SupplierSourcingSet,
        response=schemas.SupplierSourcing,
        **ADMIN,
    )
    def set_supplier_sku(self, request, supplier_id, sku):
        actor = request.actor.audit
        sourcing = json_body(request, schemas.SupplierSourcingSet())
        answer = self.supplier_rpc.set_sourcing(actor, supplier_id, sku[:64], sourcing)
        return schemas.SupplierSourcing().dump(answer)

    @api(
        "GET",
        "/api/v1/admin/supplier-skus",
        summary="Every sourced SKU with its suppliers, fewest usable sources first",
        response=schemas.SkuSourcesList,
        **ADMIN,
    )
    def list_sku_sources(self, request):
        return schemas.SkuSourcesList().dump({"items": self.supplier_rpc.sku_sourcing()})

    @api(
        "GET",
        "/api/v1/admin/supplier-skus/<sku>",
        summary="A SKU's suppliers, best first, and whether it has a single usable source",
        response=schemas.SkuSources,
        **ADMIN,
    )
    def sku_sources(self, request, sku):
        return schemas.SkuSources().dump(self.supplier_rpc.sku_sourcing(sku[:64]))

    @api(
        "POST",
        ONE + "/keys",
        summary="Issue a signing key (its secret is shown only in this answer)",
        response=schemas.NewSupplierKey,
        status=201,
        **ADMIN,
    )
    def issue_supplier_key(self, request, supplier_id):
        actor = request.actor.audit
        return 201, schemas.NewSupplierKey().dump(self.supplier_rpc.issue_key(actor, supplier_id))

    @api("GET", ONE + "/keys", summary="A supplier's signing keys", response=schemas.SupplierKeys, **ADMIN)
    def list_supplier_keys(self, request, supplier_id):
        return schemas.SupplierKeys().dump({"items": self.supplier_rpc.list_keys(supplier_id)})

    @api("DELETE", ONE + "/keys/<key_id>", summary="Revoke a signing key, for good", status=204, **ADMIN)
    def revoke_supplier_key(self, request, supplier_id, key_id):
        actor = request.actor.audit
        self.supplier_rpc.revoke_key(actor, supplier_id, key_id[:64])
        return Response(status=204)

    @api(
        "GET",
        "/api/v1/admin/supplier-purchases",
        summary="Codes bought by auto-replenishment, newest first, with what each purchase cost",
        query=schemas.PurchaseQuery,
        response=schemas.PurchaseList,
        **ADMIN,
    )
    def supplier_purchases(self, request):
        query = query_args(request, schemas.PurchaseQuery())
        return schemas.PurchaseList().dump({"items": self.supplier_rpc.purchases(query.get("sku"), query["limit"])})
