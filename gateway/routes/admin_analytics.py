"""The analytics reports (issue 22): JSON and CSV under /api/v1/admin/analytics/, and the
console's page /admin/analytics with the hour-of-week heatmap drawn as server-rendered SVG (no
script). Every figure comes from the analytics service, which builds them from events only."""

from marshmallow import ValidationError
from werkzeug.wrappers import Response

from gateway import auth, csvout, pages, reportview, schemas
from gateway.http import api, query_args
from gateway.routes import Routes
from gateway.web import page
from services.common.errors import NotFound

REPORTS = schemas.admin_analytics.REPORTS
PAGE = {"roles": auth.REPORTS, "area": "admin"}
TIMEOUT_S = 20  # a year of orders is counted in SQL; more than the usual RPC deadline


def _fetch(self, name, query):
    if name not in REPORTS:
        raise NotFound("no such report", {"report": name, "choices": list(REPORTS)})
    since, until = query.get("since"), query.get("until")
    answer = self.analytics_rpc.report.timed(TIMEOUT_S)(
        name,
        since.isoformat() if since else None,
        until.isoformat() if until else None,
        query.get("by"),
    )
    return reportview.shown(name, answer)


class AdminAnalyticsRoutes(Routes):
    @api(
        "GET",
        "/api/v1/admin/analytics/<report>",
        summary="A report built from the event stream: heatmap, breakdown (?by=sku|category|channel|agent), "
        "funnel, repeat_buyers, margin, refunds_risk, slow_sellers",
        query=schemas.AnalyticsQuery,
        response=schemas.AnalyticsReport,
        tags=["admin"],
        roles=auth.REPORTS,
        errors=(404,),
    )
    def analytics_report(self, request, report):
        query = query_args(request, schemas.AnalyticsQuery())
        shown = _fetch(self, report[:32], query)
        # only the report's own fields: a dict's missing "items" would be read as its method
        return schemas.AnalyticsReport(only=[k for k in shown if k in schemas.AnalyticsReport().fields]).dump(shown)

    @api(
        "GET",
        "/api/v1/admin/analytics/<report>.csv",
        summary="The same report as CSV (amounts in yuan)",
        query=schemas.AnalyticsQuery,
        content="text/csv",
        tags=["admin"],
        roles=auth.REPORTS,
        errors=(404,),
    )
    def analytics_report_csv(self, request, report):
        query = query_args(request, schemas.AnalyticsQuery())
        name = report[:32]
        shown = _fetch(self, name, query)
        header, rows, numeric = reportview.csv_rows(name, shown)
        response = Response(csvout.render(header, rows, numeric=numeric), content_type="text/csv; charset=utf-8")
        suffix = f"-{shown['by']}" if shown.get("by") else ""
        response.headers["Content-Disposition"] = (
            f'attachment; filename="{name}{suffix}-{shown["since"]}-{shown["until"]}.csv"'
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    @api(
        "POST",
        "/api/v1/admin/analytics/replay",
        summary="Rebuild the reports from the analytics service's raw event log (audited)",
        response=schemas.AnalyticsReplay,
        tags=["admin"],
        roles=auth.OWNER,
    )
    def analytics_replay(self, request):
        return schemas.AnalyticsReplay().dump(self.analytics_rpc.replay.timed(300)(request.actor.audit))

    @page("GET", "/admin/analytics", menu_label="admin.nav.analytics", order=60, **PAGE)
    def admin_analytics(self, request):
        try:
            query = query_args(request, schemas.AnalyticsQuery())
        except ValidationError:  # a date typed wrong: the default period
            query = {}
        by = query.get("by") or "sku"
        query["by"] = by
        shown = {name: _fetch(self, name, query) for name in REPORTS}
        heat = shown["heatmap"]
        top = max((c["orders"] for c in heat["cells"]), default=0)
        return pages.render(
            request,
            "admin/analytics.html",
            reports=shown,
            heat=heat,
            top=top,
            by=by,
            dimensions=schemas.admin_analytics.DIMENSIONS,
            period={"since": heat["since"], "until": heat["until"]},
        )
