"""The console's staff pages (issue 18): signing in (e-mail + password + TOTP code, or a recovery
code), the TOTP enrolment of a first sign-in (the secret as a QR code and an otpauth:// URI, then
the recovery codes, each shown once), the bootstrap page that makes the first owner with
KAMENG_ADMIN_TOKEN (only while there is none), the staff list (owner), and my account (password,
API tokens). They call the same account RPCs as the JSON API (gateway/routes/admin_staff.py)."""

from marshmallow import ValidationError
from werkzeug.utils import redirect

from gateway import auth, pages, schemas, web
from gateway.http import client_ip
from gateway.routes import Routes
from gateway.web import Redirect, page
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized

OWNER = {"roles": auth.OWNER, "area": "admin"}
ANYONE = {"roles": auth.ANYONE, "area": "admin"}
STAFF_ACTIONS = ("role", "disable", "enable", "totp-reset", "sessions-end")


def failed(gateway, request, template, **context):
    """A wrong credential: the same page for every reason, counted against the IP."""
    gateway.limit("auth", request)
    return pages.render(request, template, status=401, wrong=True, **context)


def problems(exc):
    if isinstance(exc, ValidationError):
        return exc.messages
    return exc.details.get("fields") or {"": [exc.message]}


def enrolling(gateway, request):
    session = web.admin_session(request, gateway.config)
    if session is None:
        raise Redirect("/admin/login")
    return session["token"]


def staff_page(gateway, request, errors=None, status=200):
    members = schemas.StaffList().dump({"items": gateway.account_rpc.list_staff()})["items"]
    return pages.render(
        request,
        "admin/staff.html",
        status=status,
        members=members,
        roles=auth.ROLES,
        errors=errors or {},
        done=request.args.get("done"),
    )


def account_page(gateway, request, errors=None, issued=None, status=200):
    tokens = gateway.account_rpc.staff_tokens(request.admin["staff_id"])
    return pages.render(
        request,
        "admin/account.html",
        status=status,
        tokens=tokens,
        errors=errors or {},
        issued=issued,
        roles=auth.ROLES if request.admin["role"] == "owner" else (request.admin["role"],),
        done=request.args.get("done"),
    )


class AdminStaffPageRoutes(Routes):
    @page("GET", "/admin/login")
    def admin_login_form(self, request):
        setup = not self.account_rpc.staff_setup()["has_owner"]
        return pages.render(request, "admin/login.html", setup=setup, done=request.args.get("done"))

    @page("POST", "/admin/login")
    def admin_login(self, request):
        self.limit("login", request)
        self.limit.peek("auth", request)
        form = {k: request.form.get(k, "")[:512] for k in ("email", "password", "code")}
        try:
            signed_in = self.account_rpc.staff_sign_in(form, client_ip(request, self.config.get("TRUSTED_PROXIES", ())))
        except Unauthorized:
            return failed(self, request, "admin/login.html", email=form["email"])
        response = redirect("/admin/enrol" if signed_in["enrol"] else "/admin", code=303)
        web.start_admin_session(response, self.config, signed_in["session"])
        return response

    @page("POST", "/admin/logout", **ANYONE)
    def admin_logout(self, request):
        response = redirect("/admin/login", code=303)
        token = web.end_admin_session(request, response, self.config)
        if token:
            self.account_rpc.end_staff_session(token)
        return response

    @page("GET", "/admin/setup")
    def admin_setup_form(self, request):
        if self.account_rpc.staff_setup()["has_owner"]:
            return redirect("/admin/login", code=303)
        return pages.render(request, "admin/setup.html")

    @page("POST", "/admin/setup")
    def admin_setup(self, request):
        """The bootstrap token's one use in the console: the first owner, while there is none."""
        self.limit.peek("auth", request)
        found = self.account_rpc.authenticate_staff({"kind": "bearer", "token": request.form.get("token", "")[:256]})
        if found is None or found["kind"] != "bootstrap":
            return failed(self, request, "admin/setup.html")
        new = {k: request.form.get(k, "").strip()[:512] for k in ("email", "name", "password")}
        try:
            self.account_rpc.create_first_owner(schemas.NewStaff().load({**new, "role": "owner"}))
        except (ValidationError, InvalidInput) as exc:
            return pages.render(request, "admin/setup.html", status=400, errors=problems(exc), form=new)
        except Conflict:
            return redirect("/admin/login", code=303)
        return redirect("/admin/login?done=owner", code=303)

    @page("GET", "/admin/enrol")
    def admin_enrol_form(self, request):
        try:
            enrolment = self.account_rpc.start_totp_enrolment(enrolling(self, request))
        except Conflict:
            return redirect("/admin", code=303)
        except Forbidden:  # the session ended
            return redirect("/admin/login", code=303)
        return pages.render(request, "admin/enrol.html", enrolment=enrolment)

    @page("POST", "/admin/enrol")
    def admin_enrol(self, request):
        token = enrolling(self, request)
        try:
            done = self.account_rpc.confirm_totp_enrolment(token, request.form.get("code", "")[:16])
        except InvalidInput:
            enrolment = self.account_rpc.start_totp_enrolment(token)
            return pages.render(request, "admin/enrol.html", status=400, enrolment=enrolment, wrong=True)
        return pages.render(request, "admin/recovery_codes.html", codes=done["recovery_codes"])

    @page("GET", "/admin/staff", menu_label="admin.nav.staff", order=80, **OWNER)
    def admin_staff(self, request):
        return staff_page(self, request)

    @page("POST", "/admin/staff", **OWNER)
    def admin_create_staff(self, request):
        new = {k: request.form.get(k, "").strip()[:512] for k in ("email", "name", "role", "password")}
        try:
            self.account_rpc.create_staff(request.admin["actor"], schemas.NewStaff().load(new))
        except (ValidationError, InvalidInput, Conflict) as exc:
            return staff_page(self, request, problems(exc), 400)
        return redirect("/admin/staff?done=created", code=303)

    @page("POST", "/admin/staff/<int:staff_id>/<action>", **OWNER)
    def admin_change_staff(self, request, staff_id, action):
        actor = request.admin["actor"]
        if action not in STAFF_ACTIONS:
            raise NotFound("no such action", {})
        try:
            if action == "totp-reset":
                self.account_rpc.reset_staff_totp(actor, staff_id)
            elif action == "sessions-end":
                self.account_rpc.end_staff_sessions(actor, staff_id)
            else:
                changes = (
                    {"role": request.form.get("role", "")} if action == "role" else {"disabled": action == "disable"}
                )
                self.account_rpc.change_staff(actor, staff_id, changes)
        except (InvalidInput, Conflict) as exc:
            return staff_page(self, request, problems(exc), 409)
        return redirect(f"/admin/staff?done=saved#staff-{staff_id}", code=303)

    @page("GET", "/admin/account", menu_label="admin.nav.account", order=85, **ANYONE)
    def admin_account(self, request):
        return account_page(self, request)

    @page("POST", "/admin/account/password", **ANYONE)
    def admin_change_password(self, request):
        change = {k: request.form.get(k, "")[:512] for k in ("current_password", "new_password")}
        try:
            answer = self.account_rpc.change_staff_password(request.admin["actor"], request.admin["staff_id"], change)
        except InvalidInput as exc:
            return account_page(self, request, problems(exc), status=400)
        response = redirect("/admin/account?done=password", code=303)
        return web.renew_admin_session(request, response, self.config, answer["session"])

    @page("POST", "/admin/account/tokens", **ANYONE)
    def admin_issue_token(self, request):
        new = {"name": request.form.get("name", "").strip()[:80], "roles": request.form.getlist("roles")[:4]}
        try:
            issued = self.account_rpc.issue_staff_token(request.admin["actor"], request.admin["staff_id"], new)
        except InvalidInput as exc:
            return account_page(self, request, problems(exc), status=400)
        return account_page(self, request, issued=issued)

    @page("POST", "/admin/account/tokens/<int:token_id>/revoke", **ANYONE)
    def admin_revoke_token(self, request, token_id):
        self.account_rpc.revoke_staff_token(request.admin["actor"], request.admin["staff_id"], token_id)
        return redirect("/admin/account?done=revoked", code=303)
