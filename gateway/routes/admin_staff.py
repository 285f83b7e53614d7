"""Admin: staff accounts (issue 18, owner only), and each staff member's own account -- password
and API tokens -- which only a console session may change (a token cannot mint tokens). The
account service holds the rules; these routes check the HTTP shape and call it."""

from werkzeug.wrappers import Response

from gateway import auth, errors, schemas, web
from gateway.http import api, json_body
from gateway.routes import Routes
from services.common.errors import Forbidden

OWNER = {"tags": ["admin", "staff"], "roles": auth.OWNER}
ME = {"tags": ["admin", "staff"], "roles": auth.ANYONE}
ONE = "/api/v1/admin/staff/<int:staff_id>"


def signed_in(actor):
    """A staff member's own console session: the one credential that changes their account."""
    if actor.kind != "session":
        raise Forbidden("sign in to the console to change your account", {"kind": actor.kind})
    return actor.staff_id


class AdminStaffRoutes(Routes):
    @api(
        "POST",
        "/api/v1/admin/staff",
        summary="Add a staff member (the bootstrap token's way to make the first owner); they set up TOTP at "
        "their first sign-in",
        body=schemas.NewStaff,
        response=schemas.StaffMember,
        status=201,
        **OWNER,
    )
    def create_staff(self, request):
        new = json_body(request, schemas.NewStaff())
        return 201, schemas.StaffMember().dump(self.account_rpc.create_staff(request.actor.audit, new))

    @api("GET", "/api/v1/admin/staff", summary="Every staff member", response=schemas.StaffList, **OWNER)
    def list_staff(self, request):
        return schemas.StaffList().dump({"items": self.account_rpc.list_staff()})

    @api(
        "PATCH",
        ONE,
        summary="Change a member's role, or disable them (their sessions end, their tokens stop)",
        body=schemas.StaffChanges,
        response=schemas.StaffMember,
        **OWNER,
    )
    def change_staff(self, request, staff_id):
        changes = json_body(request, schemas.StaffChanges())
        return schemas.StaffMember().dump(self.account_rpc.change_staff(request.actor.audit, staff_id, changes))

    @api(
        "POST",
        ONE + "/totp-reset",
        summary="Reset a member's TOTP (a lost phone): their sessions end, they enrol again",
        response=schemas.StaffMember,
        **OWNER,
    )
    def reset_staff_totp(self, request, staff_id):
        return schemas.StaffMember().dump(self.account_rpc.reset_staff_totp(request.actor.audit, staff_id))

    @api("GET", ONE + "/sessions", summary="A member's live sessions", response=schemas.StaffSessions, **OWNER)
    def staff_sessions(self, request, staff_id):
        return schemas.StaffSessions().dump({"items": self.account_rpc.staff_sessions(staff_id)})

    @api("DELETE", ONE + "/sessions", summary="End a member's sessions", response=schemas.SessionsEnded, **OWNER)
    def end_staff_sessions(self, request, staff_id):
        return schemas.SessionsEnded().dump(self.account_rpc.end_staff_sessions(request.actor.audit, staff_id))

    @api("GET", "/api/v1/admin/me", summary="Who this credential is", response=schemas.Me, **ME)
    def admin_me(self, request):
        return schemas.Me().dump(request.actor._asdict())

    @api(
        "PUT",
        "/api/v1/admin/me/password",
        summary="Change my password: my other sessions end (console session only)",
        body=schemas.PasswordChange,
        **ME,
    )
    def change_my_password(self, request):
        change = json_body(request, schemas.PasswordChange())
        answer = self.account_rpc.change_staff_password(request.actor.audit, signed_in(request.actor), change)
        return web.renew_admin_session(
            request, errors.json_response(200, {"changed": True}), self.config, answer["session"]
        )

    @api(
        "POST",
        "/api/v1/admin/me/tokens",
        summary="A new API token, scoped to some of my roles; its secret is shown only here",
        body=schemas.NewApiToken,
        response=schemas.ApiToken,
        status=201,
        **ME,
    )
    def issue_my_token(self, request):
        new = json_body(request, schemas.NewApiToken())
        issued = self.account_rpc.issue_staff_token(request.actor.audit, signed_in(request.actor), new)
        return 201, schemas.ApiToken().dump(issued)

    @api("GET", "/api/v1/admin/me/tokens", summary="My API tokens (no secrets)", response=schemas.ApiTokens, **ME)
    def my_tokens(self, request):
        return schemas.ApiTokens().dump({"items": self.account_rpc.staff_tokens(signed_in(request.actor))})

    @api("DELETE", "/api/v1/admin/me/tokens/<int:token_id>", summary="Revoke one of my API tokens", status=204, **ME)
    def revoke_my_token(self, request, token_id):
        self.account_rpc.revoke_staff_token(request.actor.audit, signed_in(request.actor), token_id)
        return Response(status=204)
