"""Admin: risk rules (versioned, audited, in force at once), blacklist and allowlist, the review queue."""

from gateway import auth, schemas
from gateway.http import api, json_body
from gateway.routes import Routes

ADMIN = {"tags": ["admin", "risk"], "roles": auth.RISK}


def note_of(request):
    """A review action's optional body {"note": ...}; none at all is fine."""
    if not request.content_length and "chunked" not in request.headers.get("Transfer-Encoding", ""):
        return None
    return json_body(request, schemas.ReviewAction())["note"]


class AdminRiskRoutes(Routes):
    @api("GET", "/api/v1/admin/risk/rules", summary="The risk rules in force", response=schemas.RiskRules, **ADMIN)
    def get_risk_rules(self, request):
        return schemas.RiskRules().dump(self.risk_rpc.get_rules())

    @api(
        "PUT",
        "/api/v1/admin/risk/rules",
        summary="Replace the risk rules (a new version, in force at once)",
        body=schemas.RuleSet,
        response=schemas.RiskRules,
        **ADMIN,
    )
    def set_risk_rules(self, request):
        actor = request.actor.audit
        rule_set = json_body(request, schemas.RuleSet())
        return schemas.RiskRules().dump(self.risk_rpc.set_rules(actor, rule_set))

    @api(
        "GET",
        "/api/v1/admin/risk/rules/versions",
        summary="Every version of the risk rules, newest first",
        response=schemas.RiskRuleVersions,
        **ADMIN,
    )
    def risk_rule_versions(self, request):
        return schemas.RiskRuleVersions().dump({"items": self.risk_rpc.rule_versions()})

    @api(
        "POST",
        "/api/v1/admin/risk/blacklist",
        summary="Blacklist an IP, CIDR, contact, device, recharge account or e-mail domain",
        body=schemas.NewListEntry,
        response=schemas.RiskListEntry,
        status=201,
        **ADMIN,
    )
    def add_blacklist(self, request):
        actor = request.actor.audit
        entry = json_body(request, schemas.NewListEntry())
        return 201, schemas.RiskListEntry().dump(self.risk_rpc.add_list_entry(actor, "blacklist", entry))

    @api("GET", "/api/v1/admin/risk/blacklist", summary="Blacklist entries", response=schemas.RiskListEntries, **ADMIN)
    def list_blacklist(self, request):
        return schemas.RiskListEntries().dump({"items": self.risk_rpc.list_entries("blacklist")})

    @api(
        "DELETE",
        "/api/v1/admin/risk/blacklist/<int:entry_id>",
        summary="Remove a blacklist entry",
        response=schemas.RiskListEntry,
        **ADMIN,
    )
    def remove_blacklist(self, request, entry_id):
        actor = request.actor.audit
        return schemas.RiskListEntry().dump(self.risk_rpc.remove_list_entry(actor, "blacklist", entry_id))

    @api(
        "POST",
        "/api/v1/admin/risk/allowlist",
        summary="Allowlist a value (its orders skip the rules, not the blacklist)",
        body=schemas.NewListEntry,
        response=schemas.RiskListEntry,
        status=201,
        **ADMIN,
    )
    def add_allowlist(self, request):
        actor = request.actor.audit
        entry = json_body(request, schemas.NewListEntry())
        return 201, schemas.RiskListEntry().dump(self.risk_rpc.add_list_entry(actor, "allowlist", entry))

    @api("GET", "/api/v1/admin/risk/allowlist", summary="Allowlist entries", response=schemas.RiskListEntries, **ADMIN)
    def list_allowlist(self, request):
        return schemas.RiskListEntries().dump({"items": self.risk_rpc.list_entries("allowlist")})

    @api(
        "DELETE",
        "/api/v1/admin/risk/allowlist/<int:entry_id>",
        summary="Remove an allowlist entry",
        response=schemas.RiskListEntry,
        **ADMIN,
    )
    def remove_allowlist(self, request, entry_id):
        actor = request.actor.audit
        return schemas.RiskListEntry().dump(self.risk_rpc.remove_list_entry(actor, "allowlist", entry_id))

    @api(
        "GET",
        "/api/v1/admin/risk/reviews",
        summary="Orders held for review (their stock is kept)",
        response=schemas.RiskReviews,
        **ADMIN,
    )
    def list_reviews(self, request):
        return schemas.RiskReviews().dump({"items": self.risk_rpc.reviews()})

    @api(
        "POST",
        "/api/v1/admin/risk/reviews/<order_no>/approve",
        summary="Approve a held order: it goes on to payment",
        body=schemas.ReviewAction,
        response=schemas.RiskDecision,
        **ADMIN,
    )
    def approve_review(self, request, order_no):
        actor = request.actor.audit
        return schemas.RiskDecision().dump(self.risk_rpc.resolve_review(actor, order_no[:64], True, note_of(request)))

    @api(
        "POST",
        "/api/v1/admin/risk/reviews/<order_no>/reject",
        summary="Reject a held order: its stock is released",
        body=schemas.ReviewAction,
        response=schemas.RiskDecision,
        **ADMIN,
    )
    def reject_review(self, request, order_no):
        actor = request.actor.audit
        return schemas.RiskDecision().dump(self.risk_rpc.resolve_review(actor, order_no[:64], False, note_of(request)))
