"""The storefront's account pages (issue 18): sign up, sign in and out, the e-mail's verification
link, forgot / reset password, the account (profile, level, real-name form) and the order
history with codes. They turn forms into the account service's calls, as the JSON API does
(gateway/routes/accounts.py); the session is gateway/members.py's cookie."""

import contextlib

from werkzeug.utils import redirect

from gateway import members, pages, schemas, web
from gateway.http import client_ip
from gateway.routes import Routes
from gateway.web import Redirect, page
from services.common.errors import Conflict, InvalidInput, Unauthorized

FIELDS = {"sign_up": ("email", "phone", "name"), "sign_in": ("login",), "forgot": ("email",)}


def form_page(request, name, status=200, errors=None, message=None, **context):
    """An account form again, with what was typed (never the password) and what was wrong."""
    kept = {key: request.form.get(key, "")[:254] for key in FIELDS.get(name, ())}
    return pages.render(
        request, f"store/account/{name}.html", status=status, errors=errors or {}, form=kept, message=message, **context
    )


def fields_of(form, names):
    return {k: form.get(k, "").strip()[:256] for k in names if form.get(k, "").strip()}


def profile_page(gateway, request, status=200, errors=None, message=None):
    token = members.token(request, gateway.config)
    try:
        buyer = schemas.Buyer().dump(gateway.account_rpc.buyer_profile(token)) if token else None
    except Unauthorized:
        buyer = None
    if buyer is None:
        raise Redirect("/account/sign-in")
    done = request.args.get("done", "")[:32]
    points = schemas.MemberPoints().dump(gateway.order_rpc.member_points(buyer["id"], 0))
    referral = schemas.ReferralShown().dump(gateway.account_rpc.buyer_referrals(token))
    return pages.render(
        request,
        "store/account/profile.html",
        status=status,
        buyer=buyer,
        points=points,
        referral=referral,
        errors=errors or {},
        message=message,
        done=done,
    )


class AccountPageRoutes(Routes):
    @page("GET", "/account", menu_label="nav.account", order=30)
    def account_page(self, request):
        return profile_page(self, request)

    @page("GET", "/r/<code>")
    def referral_link(self, request, code):
        """A referral link (issue 22): its code is remembered for sign-up (30 days), then sign up."""
        response = redirect("/account/sign-up", code=302)
        if code.isalnum() and len(code) <= 16:
            web.set_cookie(
                response, self.config, members.REFERRAL_COOKIE, code.upper(), max_age=members.REFERRAL_COOKIE_S
            )
        return response

    @page("GET", "/account/sign-up")
    def sign_up_page(self, request):
        return form_page(request, "sign_up")

    @page("POST", "/account/sign-up")
    def sign_up_form(self, request):
        self.limit("login", request)
        body = {
            **fields_of(request.form, ("email", "phone", "name")),
            "password": request.form.get("password", "")[:256],
        }
        try:
            ip = client_ip(request, self.config.get("TRUSTED_PROXIES", ()))
            answer = self.account_rpc.register_buyer(body, ip, members.referral(request, self.config))
        except InvalidInput as exc:
            return form_page(request, "sign_up", 400, exc.details.get("fields", {}), exc.message)
        except Conflict:
            return form_page(request, "sign_up", 409, message="account.exists")
        return members.signed_in(redirect("/account?done=welcome", code=303), self.config, answer["session"])

    @page("GET", "/account/sign-in")
    def sign_in_page(self, request):
        return form_page(request, "sign_in", done=request.args.get("done", "")[:16])

    @page("POST", "/account/sign-in")
    def sign_in_form(self, request):
        self.limit("login", request)
        body = {
            "login": request.form.get("login", "").strip()[:254],
            "password": request.form.get("password", "")[:256],
        }
        try:
            answer = self.account_rpc.sign_in_buyer(body, client_ip(request, self.config.get("TRUSTED_PROXIES", ())))
        except (Unauthorized, InvalidInput):
            return form_page(request, "sign_in", 401, message="account.sign_in_failed")
        return members.signed_in(redirect("/account", code=303), self.config, answer["session"])

    @page("POST", "/account/sign-out")
    def sign_out_form(self, request):
        token = members.token(request, self.config)
        if token:
            self.account_rpc.sign_out_buyer(token)
        return members.signed_out(redirect("/", code=303), self.config)

    @page("GET", "/account/verify")
    def verify_landing(self, request):
        self.limit("login", request)
        try:
            self.account_rpc.verify_email(request.args.get("token", "")[:128])
        except InvalidInput:
            return pages.render(request, "store/account/verified.html", status=400, ok=False)
        return pages.render(request, "store/account/verified.html", ok=True)

    @page("POST", "/account/verify/resend")
    def resend_form(self, request):
        self.limit("login", request)
        self.account_rpc.resend_verification(members.required(request, self.config))
        return redirect("/account?done=resent", code=303)

    @page("GET,POST", "/account/forgot")
    def forgot_page(self, request):
        if request.method == "GET":
            return form_page(request, "forgot")
        self.limit("login", request)
        with contextlib.suppress(InvalidInput):  # the same answer as for any other address
            self.account_rpc.request_password_reset({"email": request.form.get("email", "").strip()[:254] or "-"})
        return form_page(request, "forgot", message="account.reset_sent", sent=True)

    @page("GET,POST", "/account/reset")
    def reset_page(self, request):
        token = (request.form.get("token") or request.args.get("token", ""))[:128]
        if request.method == "GET":
            return form_page(request, "reset", token=token)
        self.limit("login", request)
        try:
            self.account_rpc.reset_password({"token": token, "password": request.form.get("password", "")[:256]})
        except InvalidInput as exc:
            return form_page(request, "reset", 400, exc.details.get("fields", {}), exc.message, token=token)
        return members.signed_out(redirect("/account/sign-in?done=reset", code=303), self.config)

    @page("POST", "/account/real-name")
    def real_name_form(self, request):
        details = {k: request.form.get(k, "").strip()[:64] for k in ("name", "id_number")}
        try:
            self.account_rpc.set_real_name(members.required(request, self.config), details)
        except InvalidInput as exc:
            return profile_page(self, request, 400, exc.details.get("fields", {}), exc.message)
        return redirect("/account?done=real_name", code=303)

    @page("POST", "/account/campaign-mails")
    def campaign_mails_form(self, request):
        opted_in = request.form.get("campaign_mails") == "1"
        self.account_rpc.set_campaign_mails(members.required(request, self.config), {"campaign_mails": opted_in})
        return redirect("/account?done=campaign_mails", code=303)

    @page("GET", "/account/orders")
    def orders_page(self, request):
        self.limit("lookup", request)
        token = members.token(request, self.config)
        buyer = self.account_rpc.buyer_for_order(token) if token else None
        if buyer is None:
            raise Redirect("/account/sign-in")
        orders = schemas.AccountOrders().dump({"items": self.order_rpc.buyer_orders(buyer["id"])})["items"]
        names = pages.product_names(self, [o["sku"] for o in orders])
        return pages.render(request, "store/account/orders.html", orders=orders, names=names)
