"""Buyer accounts over JSON (issue 18): sign up, sign in and out, the profile, the e-mailed
one-time links, real-name details, and the buyer's own orders with their codes. The session is
the HttpOnly cookie of gateway/members.py; the account service judges every value."""

from gateway import members, schemas
from gateway.errors import json_response
from gateway.http import api, client_ip, json_body
from gateway.routes import Routes

ACCOUNT = {"tags": ["account"], "errors": (401, 429)}  # not signed in (or wrong credentials); the login limit
CONFLICTS = {"tags": ["account"], "errors": (401, 409, 429)}  # and a contact or an order held by another account


class AccountRoutes(Routes):
    def ip(self, request):
        return client_ip(request, self.config.get("TRUSTED_PROXIES", ()))

    @api(
        "POST",
        "/api/v1/account/register",
        summary="Sign up with an e-mail or a phone and a password (signed in at once; an e-mail gets a link)",
        body=schemas.Registration,
        response=schemas.Buyer,
        status=201,
        **CONFLICTS,
    )
    def register(self, request):
        self.limit("login", request)
        body = json_body(request, schemas.Registration())
        referral = members.referral(request, self.config, body.pop("referral_code", None))
        answer = self.account_rpc.register_buyer(body, self.ip(request), referral)
        return members.json_with_session(201, schemas.Buyer().dump(answer["buyer"]), self.config, answer["session"])

    @api(
        "POST",
        "/api/v1/account/sign-in",
        summary="Sign in (every failure answers the same 401)",
        body=schemas.BuyerSignIn,
        response=schemas.Buyer,
        **ACCOUNT,
    )
    def sign_in(self, request):
        self.limit("login", request)
        answer = self.account_rpc.sign_in_buyer(json_body(request, schemas.BuyerSignIn()), self.ip(request))
        return members.json_with_session(200, schemas.Buyer().dump(answer["buyer"]), self.config, answer["session"])

    @api("POST", "/api/v1/account/sign-out", summary="Sign out", response=schemas.AccountDone, **ACCOUNT)
    def sign_out(self, request):
        token = members.token(request, self.config)
        if token:
            self.account_rpc.sign_out_buyer(token)
        return members.signed_out(json_response(200, {"ok": True}), self.config)

    @api("GET", "/api/v1/account", summary="The signed-in buyer's profile", response=schemas.Buyer, **ACCOUNT)
    def profile(self, request):
        return schemas.Buyer().dump(self.account_rpc.buyer_profile(members.required(request, self.config)))

    @api("GET", "/api/v1/account/points", summary="The member's points", response=schemas.MemberPoints, **ACCOUNT)
    def points(self, request):
        buyer = members.current(self, request)
        return schemas.MemberPoints().dump(self.order_rpc.member_points(buyer["id"]))

    @api(
        "GET",
        "/api/v1/account/referral",
        summary="The member's referral code and link, whom they referred, their cashback",
        response=schemas.ReferralShown,
        **ACCOUNT,
    )
    def referral(self, request):
        return schemas.ReferralShown().dump(self.account_rpc.buyer_referrals(members.required(request, self.config)))

    @api(
        "POST",
        "/api/v1/account/referral",
        summary="Name a referrer once, after signing up without one (risk refuses self-referral and rings: 403)",
        body=schemas.ReferralBind,
        response=schemas.ReferralShown,
        tags=["account"],
        errors=(401, 403, 404, 409, 429),
    )
    def bind_referral(self, request):
        self.limit("login", request)
        code = json_body(request, schemas.ReferralBind())["code"]
        found = members.referral(request, self.config, code)
        token = members.required(request, self.config)
        answer = self.account_rpc.bind_referral(token, code, self.ip(request), found and found["device"])
        return schemas.ReferralShown().dump(answer)

    @api(
        "POST",
        "/api/v1/account/verify-email",
        summary="Verify the e-mail with the mailed one-time link's token",
        body=schemas.LinkToken,
        response=schemas.Buyer,
        **ACCOUNT,
    )
    def verify_email(self, request):
        self.limit("login", request)
        return schemas.Buyer().dump(self.account_rpc.verify_email(json_body(request, schemas.LinkToken())["token"]))

    @api(
        "POST",
        "/api/v1/account/verify-email/resend",
        summary="Mail a new verification link",
        response=schemas.AccountDone,
        **ACCOUNT,
    )
    def resend_verification(self, request):
        self.limit("login", request)
        self.account_rpc.resend_verification(members.required(request, self.config))
        return {"ok": True}

    @api(
        "POST",
        "/api/v1/account/password-reset",
        summary="Mail a one-time reset link (the same 202 whether the account exists or not)",
        body=schemas.ResetRequest,
        response=schemas.AccountDone,
        status=202,
        **ACCOUNT,
    )
    def request_reset(self, request):
        self.limit("login", request)
        self.account_rpc.request_password_reset(json_body(request, schemas.ResetRequest()))
        return 202, {"ok": True}

    @api(
        "POST",
        "/api/v1/account/password-reset/confirm",
        summary="Set a new password with the reset link's token (every session ends)",
        body=schemas.ResetConfirm,
        response=schemas.AccountDone,
        **ACCOUNT,
    )
    def confirm_reset(self, request):
        self.limit("login", request)
        self.account_rpc.reset_password(json_body(request, schemas.ResetConfirm()))
        return members.signed_out(json_response(200, {"ok": True}), self.config)

    @api(
        "PUT",
        "/api/v1/account/campaign-mails",
        summary="Opt in to (or out of) the mails that say a timed campaign has started",
        body=schemas.CampaignMailsForm,
        response=schemas.Buyer,
        **ACCOUNT,
    )
    def campaign_mails(self, request):
        token = members.required(request, self.config)
        body = json_body(request, schemas.CampaignMailsForm())
        return schemas.Buyer().dump(self.account_rpc.set_campaign_mails(token, body))

    @api(
        "PUT",
        "/api/v1/account/real-name",
        summary="Real-name details: 姓名 and the 18-digit ID number (checked, stored encrypted, shown masked)",
        body=schemas.RealNameForm,
        response=schemas.Buyer,
        **ACCOUNT,
    )
    def real_name(self, request):
        token = members.required(request, self.config)
        return schemas.Buyer().dump(self.account_rpc.set_real_name(token, json_body(request, schemas.RealNameForm())))

    @api(
        "GET",
        "/api/v1/account/orders",
        summary="The signed-in buyer's orders, newest first, with their codes once delivered",
        response=schemas.AccountOrders,
        **ACCOUNT,
    )
    def my_orders(self, request):
        self.limit("lookup", request)
        buyer = members.current(self, request)
        return schemas.AccountOrders().dump({"items": self.order_rpc.buyer_orders(buyer["id"])})

    @api(
        "POST",
        "/api/v1/account/orders/<order_no>/claim",
        summary="Add a guest order to the account by proving its token (X-Order-Token); 404 like a wrong token",
        response=schemas.AccountOrder,
        **CONFLICTS,
    )
    def claim_order(self, request, order_no):
        self.limit("lookup", request)
        buyer = members.current(self, request)
        token = request.headers.get("X-Order-Token", "")[:256]
        return schemas.AccountOrder().dump(
            {**self.order_rpc.claim_order(order_no[:64], token, buyer["id"]), "items": []}
        )
