"""The admin console's risk pages: the review queue (approve / reject), the rule set (readable, an
editor that saves a new version, the version history), the blacklist and the allowlist.
They call the same risk RPCs as the risk admin JSON API (gateway/routes/admin_risk.py), which
validate, audit and put changes in force; these pages only turn forms into those calls."""

from werkzeug.utils import redirect

from gateway import auth, pages, riskview, schemas
from gateway.routes import Routes
from gateway.web import page
from services.common.errors import Conflict, InvalidInput, NotFound

ADMIN = {"roles": auth.RISK, "area": "admin"}
LISTS = ("blacklist", "allowlist")
REVIEW_DONE = {"approve": "admin.risk.approved", "reject": "admin.risk.rejected"}
LIST_DONE = {"added": "admin.risk.added", "removed": "admin.risk.removed"}


def queue_page(gateway, request, error=None, status=200):
    reviews = schemas.RiskReviews().dump({"items": gateway.risk_rpc.reviews()})["items"]
    for review in reviews:
        review["seconds"] = riskview.seconds_left(review["hold_until"])
        review["left"] = riskview.clock(review["seconds"])
    done, order_no = request.args.get("done"), request.args.get("order", "")[:64]
    return pages.render(
        request,
        "admin/risk.html",
        status=status,
        reviews=reviews,
        error=error,
        done=REVIEW_DONE.get(done),
        done_order=order_no,
    )


def rules_page(gateway, request, text=None, errors=None, status=200, posted=None, form_errors=None):
    current = schemas.RiskRules().dump(gateway.risk_rpc.get_rules())
    versions = schemas.RiskRuleVersions().dump({"items": gateway.risk_rpc.rule_versions()})["items"]
    for version in versions:
        version["text"] = riskview.pretty(version["rules"])
    return pages.render(
        request,
        "admin/risk_rules.html",
        status=status,
        current=current,
        rows=riskview.rule_rows(current["rules"]),
        versions=versions,
        text=riskview.pretty(current["rules"]) if text is None else text,
        errors=errors or [],
        saved=request.args.get("done") == "saved",
        form_rows=riskview.form_rows(current["rules"]) if posted is None else riskview.posted_rows(posted),
        form_errors=form_errors or [],
        dimensions=riskview.DIMENSIONS,
    )


def lists_page(gateway, request, failed=None, errors=None, form=None, status=200, message=None):
    entries = {
        name: schemas.RiskListEntries().dump({"items": gateway.risk_rpc.list_entries(name)})["items"] for name in LISTS
    }
    return pages.render(
        request,
        "admin/risk_lists.html",
        status=status,
        entries=entries,
        kinds=gateway.risk_rpc.list_kinds(),
        failed=failed,
        errors=errors or {},
        form=form or {},
        done=LIST_DONE.get(request.args.get("done")),
        error=message,
    )


def list_of(name):
    if name not in LISTS:
        raise NotFound("no such list", {})
    return name


class AdminRiskPageRoutes(Routes):
    @page("GET", "/admin/risk", menu_label="admin.nav.risk", order=40, **ADMIN)
    def admin_risk(self, request):
        return queue_page(self, request)

    @page("POST", "/admin/risk/reviews/<order_no>", **ADMIN)
    def admin_resolve_review(self, request, order_no):
        order_no, action = order_no[:64], request.form.get("action")
        if action not in REVIEW_DONE:
            raise InvalidInput("approve or reject", {"action": action})
        note = request.form.get("note", "").strip()[:2000] or None  # the risk service bounds it
        try:
            self.risk_rpc.resolve_review(request.admin["actor"], order_no, action == "approve", note)
        except InvalidInput as exc:
            return queue_page(self, request, ("admin.risk.bad_note", exc.message), 400)
        except (NotFound, Conflict) as exc:
            return queue_page(
                self, request, ("admin.risk.not_waiting", exc.message), 404 if isinstance(exc, NotFound) else 409
            )
        return redirect(f"/admin/risk?done={action}&order={order_no}", code=303)

    @page("GET", "/admin/risk/rules", menu_label="admin.nav.risk_rules", order=41, **ADMIN)
    def admin_risk_rules(self, request):
        return rules_page(self, request)

    @page("POST", "/admin/risk/rules", **ADMIN)
    def admin_set_risk_rules(self, request):
        if "rules" not in request.form:  # the form (amounts in yuan), not the JSON editor
            document, errors = riskview.parse_form(request.form)
            if errors:
                return rules_page(self, request, status=400, posted=request.form, form_errors=errors)
            try:
                self.risk_rpc.set_rules(request.admin["actor"], document)
            except InvalidInput as exc:
                errors = riskview.field_errors(exc.details.get("fields", exc.message))
                return rules_page(self, request, status=400, posted=request.form, form_errors=errors)
            return redirect("/admin/risk/rules?done=saved", code=303)
        text = request.form.get("rules", "")
        document, errors = riskview.parse_rules(text)
        if errors:
            return rules_page(self, request, text, [("rules", e) for e in errors], 400)
        try:
            self.risk_rpc.set_rules(request.admin["actor"], document)
        except InvalidInput as exc:
            return rules_page(self, request, text, riskview.field_errors(exc.details.get("fields", exc.message)), 400)
        return redirect("/admin/risk/rules?done=saved", code=303)

    @page("GET", "/admin/risk/lists", menu_label="admin.nav.risk_lists", order=42, **ADMIN)
    def admin_risk_lists(self, request):
        return lists_page(self, request)

    @page("POST", "/admin/risk/lists/<name>", **ADMIN)
    def admin_add_list_entry(self, request, name):
        name = list_of(name)
        form = {k: request.form.get(k, "").strip()[:1000] for k in ("kind", "value", "note")}
        entry = {k: v for k, v in form.items() if v or k != "note"}
        try:
            self.risk_rpc.add_list_entry(request.admin["actor"], name, entry)
        except InvalidInput as exc:
            return lists_page(self, request, name, exc.details.get("fields", {"value": [exc.message]}), form, 400)
        except Conflict:
            return lists_page(self, request, name, {"value": ["admin.risk.duplicate"]}, form, 409)
        return redirect(f"/admin/risk/lists?done=added#{name}", code=303)

    @page("POST", "/admin/risk/lists/<name>/<int:entry_id>/delete", **ADMIN)
    def admin_remove_list_entry(self, request, name, entry_id):
        name = list_of(name)
        try:
            self.risk_rpc.remove_list_entry(request.admin["actor"], name, entry_id)
        except NotFound:
            return lists_page(self, request, status=404, message="admin.risk.no_entry")
        return redirect(f"/admin/risk/lists?done=removed#{name}", code=303)
