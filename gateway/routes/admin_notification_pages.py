"""The admin console's notifications page (owner, operator): the staff webhook targets -- listed
with their URL's scheme and host only, added (URL, format, secret, topics), removed. It calls the
same notify RPCs as the admin JSON API (gateway/routes/admin_notifications.py), which validate,
encrypt and audit; this page only turns forms into those calls."""

from werkzeug.utils import redirect

from gateway import auth, pages, schemas
from gateway.routes import Routes
from gateway.schemas.admin_notifications import FORMATS, TOPICS
from gateway.web import page
from services.common.errors import Conflict, InvalidInput, NotFound

ADMIN = {"roles": auth.NOTIFICATIONS, "area": "admin"}
DONE = {"added": "admin.notify.added", "removed": "admin.notify.removed"}
FIELDS = ("name", "url", "format", "secret", "chat_id", "language")


def targets_page(gateway, request, errors=None, form=None, status=200, message=None):
    targets = schemas.NotificationTargets().dump({"items": gateway.notify_rpc.list_targets()})["items"]
    return pages.render(
        request,
        "admin/notifications.html",
        status=status,
        targets=targets,
        formats=FORMATS,
        topics=TOPICS,
        errors=errors or {},
        form=form or {"topics": list(TOPICS)},
        done=DONE.get(request.args.get("done")),
        error=message,
    )


def target_of(form):
    """The form as the notify service's new target: empty optional fields left out."""
    fields = {k: form.get(k, "").strip()[:2000] for k in FIELDS}
    target = {k: v for k, v in fields.items() if v}
    target["topics"] = [t for t in form.getlist("topics") if t in TOPICS]
    return target, {**fields, "topics": target["topics"]}


class AdminNotificationPageRoutes(Routes):
    @page("GET", "/admin/notifications", menu_label="admin.nav.notifications", order=70, **ADMIN)
    def admin_notifications(self, request):
        return targets_page(self, request)

    @page("POST", "/admin/notifications", **ADMIN)
    def admin_add_notification_target(self, request):
        target, form = target_of(request.form)
        try:
            self.notify_rpc.create_target(request.admin["actor"], target)
        except InvalidInput as exc:
            errors = exc.details.get("fields") or {"url": [exc.message]}
            return targets_page(self, request, errors, form, 400)
        except Conflict:
            return targets_page(self, request, {"name": ["admin.notify.duplicate"]}, form, 409)
        return redirect("/admin/notifications?done=added", code=303)

    @page("POST", "/admin/notifications/<int:target_id>/delete", **ADMIN)
    def admin_remove_notification_target(self, request, target_id):
        try:
            self.notify_rpc.delete_target(request.admin["actor"], target_id)
        except NotFound:
            return targets_page(self, request, status=404, message="admin.notify.no_target")
        return redirect("/admin/notifications?done=removed", code=303)
