"""The signed-in buyer at the gateway (issue 18): the account service's session token rides in an
HttpOnly cookie (SameSite=Lax; `__Host-` and Secure behind TLS, gateway/web.py); the account
service says whose it is. A request without the cookie is a guest's and costs no call at all, so
guest checkout keeps DESIGN §3's budget; a signed-in buyer's order adds one account RPC (two
messages) for their id, member level and real-name status."""

from gateway import errors, web
from gateway.signals import device_id
from services.common.errors import Unauthorized

BUYER_COOKIE = "kameng_buyer"
BUYER_COOKIE_S = 14 * 86400  # the account service's session lasts as long (services/account/buyers.py)


def token(request, config):
    return web.cookie(request, config, BUYER_COOKIE)


def for_order(gateway, request):
    """{"id", "level", "real_name"} of the signed-in buyer, or None (a guest, or a session over)."""
    found = token(request, gateway.config)
    return gateway.account_rpc.buyer_for_order(found) if found else None


def current(gateway, request):
    """{"id", "level", "real_name"} of the signed-in buyer, or 401."""
    found = gateway.account_rpc.buyer_for_order(required(request, gateway.config))
    if found is None:
        raise Unauthorized("sign in first", {})
    return found


def required(request, config):
    """The session token of a signed-in buyer, or 401 (the account service checks it)."""
    found = token(request, config)
    if not found:
        raise Unauthorized("sign in first", {})
    return found


def signed_in(response, config, session_token):
    web.set_cookie(response, config, BUYER_COOKIE, session_token, max_age=BUYER_COOKIE_S)
    return response


def signed_out(response, config):
    web.clear_cookie(response, config, BUYER_COOKIE)
    return response


def json_with_session(status, body, config, session_token):
    return signed_in(errors.json_response(status, body), config, session_token)


REFERRAL_COOKIE = "kameng_ref"  # set by the referral link /r/<code> (issue 22), read at sign-up
REFERRAL_COOKIE_S = 30 * 86400


def referral(request, config, code=None):
    """{"code", "device"} for the account service at sign-up: the code the body names, else the
    referral link's cookie; None without either."""
    code = code or web.cookie(request, config, REFERRAL_COOKIE)[:16]
    return {"code": code, "device": device_id(request)} if code else None
