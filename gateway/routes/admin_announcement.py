"""The storefront's announcement (公告, issue 23) in the admin API and the console (owner,
operator): plain text with line breaks, kept by the catalog, shown escaped on the storefront home."""

from marshmallow import ValidationError
from werkzeug.utils import redirect

from gateway import auth, cache, pages, schemas
from gateway.http import api, json_body
from gateway.routes import Routes
from gateway.web import page

ADMIN = {"tags": ["admin"], "roles": auth.CATALOG}
PAGE = {"roles": auth.CATALOG, "area": "admin"}


def current(gateway):
    """The announcement the storefront shows ({"text", ...}), at most 10 s stale."""
    return cache.announcement.get_or_set(
        "now", lambda: schemas.Announcement().dump(gateway.catalog_rpc.get_announcement())
    )


class AdminAnnouncementRoutes(Routes):
    @api(
        "GET",
        "/api/v1/admin/announcement",
        summary="The storefront's announcement",
        response=schemas.Announcement,
        **ADMIN,
    )
    def get_announcement(self, request):
        return schemas.Announcement().dump(self.catalog_rpc.get_announcement())

    @api(
        "PUT",
        "/api/v1/admin/announcement",
        summary="Set the storefront's announcement (plain text; empty: none)",
        body=schemas.Announcement,
        response=schemas.Announcement,
        **ADMIN,
    )
    def set_announcement(self, request):
        body = json_body(request, schemas.Announcement())
        saved = self.catalog_rpc.set_announcement(request.actor.audit, {"text": body["text"]})
        cache.announcement.clear()
        return schemas.Announcement().dump(saved)

    @page("GET", "/admin/announcement", menu_label="admin.nav.announcement", order=48, **PAGE)
    def admin_announcement(self, request):
        found = schemas.Announcement().dump(self.catalog_rpc.get_announcement())
        done = request.args.get("done") == "saved"
        return pages.render(request, "admin/announcement.html", announcement=found, errors={}, done=done)

    @page("POST", "/admin/announcement", **PAGE)
    def admin_set_announcement(self, request):
        text = request.form.get("text", "")[:4000]
        try:
            schemas.Announcement().load({"text": text})
        except ValidationError:
            errors = {"text": ["admin.announcement.too_long"]}
            found = {"text": text}
            return pages.render(request, "admin/announcement.html", status=400, announcement=found, errors=errors)
        self.catalog_rpc.set_announcement(request.admin["actor"], {"text": text})
        cache.announcement.clear()
        return redirect("/admin/announcement?done=saved", code=303)
