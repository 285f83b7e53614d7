"""Coupons' admin API (issue 22): list, create, deactivate; the catalog's roles, as promotions."""

from datetime import datetime

from gateway import auth, schemas
from gateway.http import api, json_body, query_args
from gateway.routes import Routes

ADMIN = {"tags": ["admin"], "roles": auth.CATALOG}


def to_catalog(fields):
    """The request as the catalog's RPC takes it: timestamps as ISO strings, money in fen already."""
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in fields.items() if v is not None}


class AdminCouponRoutes(Routes):
    @api(
        "GET",
        "/api/v1/admin/coupons",
        summary="Coupons",
        query=schemas.CouponQuery,
        response=schemas.CouponList,
        **ADMIN,
    )
    def list_coupons(self, request):
        query = {k: v for k, v in query_args(request, schemas.CouponQuery()).items() if v is not None}
        return schemas.CouponList().dump({"items": self.catalog_rpc.list_coupons(query)})

    @api(
        "POST",
        "/api/v1/admin/coupons",
        summary="Create a coupon (满减 or a capped percentage; for a SKU, a category or all)",
        body=schemas.NewCoupon,
        response=schemas.Coupon,
        status=201,
        errors=(409,),  # the code exists
        **ADMIN,
    )
    def create_coupon(self, request):
        actor = request.actor.audit
        fields = to_catalog(json_body(request, schemas.NewCoupon()))
        return 201, schemas.Coupon().dump(self.catalog_rpc.create_coupon(actor, fields))

    @api(
        "DELETE",
        "/api/v1/admin/coupons/<int:coupon_id>",
        summary="Deactivate a coupon (orders that used it keep their discount)",
        response=schemas.Coupon,
        **ADMIN,
    )
    def deactivate_coupon(self, request, coupon_id):
        actor = request.actor.audit
        return schemas.Coupon().dump(self.catalog_rpc.deactivate_coupon(actor, coupon_id))
