"""Admin: member levels (thresholds on total spent; the names the catalog's level prices use)
and the buyer accounts (contacts partly masked, real-name status without its details)."""

from gateway import auth, schemas
from gateway.http import api, json_body, query_args
from gateway.routes import Routes

LEVELS = {"tags": ["admin", "accounts"], "roles": auth.CATALOG}  # level prices are pricing
BUYERS = {"tags": ["admin", "accounts"], "roles": auth.ORDERS}  # support looks buyers up


class AdminAccountRoutes(Routes):
    @api(
        "GET", "/api/v1/admin/levels", summary="Member levels, lowest first", response=schemas.MemberLevelList, **LEVELS
    )
    def list_levels(self, request):
        return schemas.MemberLevelList().dump({"items": self.account_rpc.list_levels()})

    @api(
        "POST",
        "/api/v1/admin/levels",
        summary="Add a member level (buyers past its threshold move up at once)",
        body=schemas.MemberLevel,
        response=schemas.MemberLevel,
        status=201,
        **LEVELS,
    )
    def create_level(self, request):
        actor = request.actor.audit
        level = json_body(request, schemas.MemberLevel())
        return 201, schemas.MemberLevel().dump(self.account_rpc.create_level(actor, level))

    @api(
        "PUT",
        "/api/v1/admin/levels/<name>",
        summary="Change a member level's threshold",
        body=schemas.MemberLevelChange,
        response=schemas.MemberLevel,
        **LEVELS,
    )
    def update_level(self, request, name):
        actor = request.actor.audit
        change = json_body(request, schemas.MemberLevelChange())
        return schemas.MemberLevel().dump(self.account_rpc.update_level(actor, name[:32], change))

    @api(
        "DELETE", "/api/v1/admin/levels/<name>", summary="Remove a member level", response=schemas.MemberLevel, **LEVELS
    )
    def delete_level(self, request, name):
        actor = request.actor.audit
        return schemas.MemberLevel().dump(self.account_rpc.delete_level(actor, name[:32]))

    @api(
        "GET",
        "/api/v1/admin/buyers",
        summary="Buyer accounts, newest first (search by part of the e-mail, phone or name)",
        query=schemas.BuyerQuery,
        response=schemas.AdminBuyerList,
        **BUYERS,
    )
    def search_buyers(self, request):
        query = query_args(request, schemas.BuyerQuery())
        return schemas.AdminBuyerList().dump({"items": self.account_rpc.search_buyers(query)})

    @api("GET", "/api/v1/admin/buyers/<int:buyer_id>", summary="A buyer account", response=schemas.AdminBuyer, **BUYERS)
    def admin_buyer(self, request, buyer_id):
        return schemas.AdminBuyer().dump(self.account_rpc.admin_buyer(buyer_id))

    @api(
        "GET",
        "/api/v1/admin/buyers/<int:buyer_id>/points",
        summary="A buyer's points: balance, next expiry, latest movements",
        response=schemas.MemberPoints,
        **BUYERS,
    )
    def admin_buyer_points(self, request, buyer_id):
        return schemas.MemberPoints().dump(self.order_rpc.member_points(buyer_id))

    @api(
        "GET",
        "/api/v1/admin/buyers/<int:buyer_id>/referral",
        summary="A buyer's referral code, referrer, referred buyers and cashback",
        response=schemas.ReferralShown,
        **BUYERS,
    )
    def admin_buyer_referral(self, request, buyer_id):
        return schemas.ReferralShown().dump(self.account_rpc.admin_referrals(buyer_id))
