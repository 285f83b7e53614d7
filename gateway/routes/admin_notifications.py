"""Admin: the staff webhook targets of the notify service (owner, operator)."""

from gateway import auth, schemas
from gateway.http import api, json_body
from gateway.routes import Routes

ADMIN = {"tags": ["admin", "notifications"], "roles": auth.NOTIFICATIONS}


class AdminNotificationRoutes(Routes):
    @api(
        "GET",
        "/api/v1/admin/notifications/targets",
        summary="The staff webhook targets",
        response=schemas.NotificationTargets,
        **ADMIN,
    )
    def list_notification_targets(self, request):
        return schemas.NotificationTargets().dump({"items": self.notify_rpc.list_targets()})

    @api(
        "POST",
        "/api/v1/admin/notifications/targets",
        summary="Add a webhook target (generic JSON, WeCom, DingTalk, Telegram); URL and secret stored encrypted",
        body=schemas.NewTarget,
        response=schemas.NotificationTarget,
        status=201,
        **ADMIN,
    )
    def create_notification_target(self, request):
        body = json_body(request, schemas.NewTarget())
        return 201, schemas.NotificationTarget().dump(self.notify_rpc.create_target(request.actor.audit, body))

    @api(
        "PATCH",
        "/api/v1/admin/notifications/targets/<int:target_id>",
        summary="Change a webhook target",
        body=schemas.TargetChanges,
        response=schemas.NotificationTarget,
        **ADMIN,
    )
    def update_notification_target(self, request, target_id):
        body = json_body(request, schemas.TargetChanges())
        return schemas.NotificationTarget().dump(self.notify_rpc.update_target(request.actor.audit, target_id, body))

    @api(
        "DELETE",
        "/api/v1/admin/notifications/targets/<int:target_id>",
        summary="Remove a webhook target",
        response=schemas.NotificationTarget,
        **ADMIN,
    )
    def delete_notification_target(self, request, target_id):
        return schemas.NotificationTarget().dump(self.notify_rpc.delete_target(request.actor.audit, target_id))
