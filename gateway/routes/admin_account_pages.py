"""The admin console's account pages: buyer accounts (search; contacts partly masked; level,
total spent, real-name status) and member levels (add, change a threshold, remove). They call
the account RPCs the admin JSON API calls (gateway/routes/admin_accounts.py)."""

from werkzeug.utils import redirect

from gateway import auth, pages, schemas
from gateway.routes import Routes
from gateway.web import page
from services.common.errors import Conflict, InvalidInput, NotFound
from services.common.money import parse_minor

LEVELS = {"roles": auth.CATALOG, "area": "admin"}
BUYERS = {"roles": auth.ORDERS, "area": "admin"}


def levels_page(gateway, request, status=200, error=None):
    levels = schemas.MemberLevelList().dump({"items": gateway.account_rpc.list_levels()})["items"]
    done = request.args.get("done", "")[:16]
    return pages.render(request, "admin/levels.html", status=status, levels=levels, error=error, done=done)


def threshold_of(form):
    try:
        return parse_minor(form.get("threshold", "").strip()[:20])
    except ValueError:
        raise InvalidInput("threshold: a decimal amount such as 500.00", {"fields": {"threshold": ["9.90"]}}) from None


class AdminAccountPageRoutes(Routes):
    @page("GET", "/admin/buyers", menu_label="admin.nav.buyers", order=45, **BUYERS)
    def admin_buyers(self, request):
        query = {"q": request.args.get("q", "").strip()[:64] or None, "limit": 100}
        buyers = schemas.AdminBuyerList().dump({"items": self.account_rpc.search_buyers(query)})["items"]
        return pages.render(request, "admin/buyers.html", buyers=buyers, q=query["q"] or "")

    @page("GET", "/admin/buyers/<int:buyer_id>", **BUYERS)
    def admin_buyer_page(self, request, buyer_id):
        """One buyer: the account, their points and their referrals (issue 22)."""
        buyer = schemas.AdminBuyer().dump(self.account_rpc.admin_buyer(buyer_id))
        points = schemas.MemberPoints().dump(self.order_rpc.member_points(buyer_id))
        referral = schemas.ReferralShown().dump(self.account_rpc.admin_referrals(buyer_id))
        return pages.render(request, "admin/buyer.html", buyer=buyer, points=points, referral=referral)

    @page("GET", "/admin/levels", menu_label="admin.nav.levels", order=46, **LEVELS)
    def admin_levels(self, request):
        return levels_page(self, request)

    @page("POST", "/admin/levels", **LEVELS)
    def admin_add_level(self, request):
        try:
            level = {"name": request.form.get("name", "").strip()[:32], "threshold": threshold_of(request.form)}
            self.account_rpc.create_level(request.admin["actor"], level)
        except (InvalidInput, Conflict) as exc:
            return levels_page(self, request, 400 if isinstance(exc, InvalidInput) else 409, exc.message)
        return redirect("/admin/levels?done=saved", code=303)

    @page("POST", "/admin/levels/<name>", **LEVELS)
    def admin_change_level(self, request, name):
        try:
            self.account_rpc.update_level(request.admin["actor"], name[:32], {"threshold": threshold_of(request.form)})
        except (InvalidInput, Conflict, NotFound) as exc:
            return levels_page(self, request, 400, exc.message)
        return redirect("/admin/levels?done=saved", code=303)

    @page("POST", "/admin/levels/<name>/delete", **LEVELS)
    def admin_delete_level(self, request, name):
        try:
            self.account_rpc.delete_level(request.admin["actor"], name[:32])
        except NotFound as exc:
            return levels_page(self, request, 404, exc.message)
        return redirect("/admin/levels?done=removed", code=303)
