"""Admin authentication. Until staff accounts exist (account service), the bootstrap token
`KAMENG_ADMIN_TOKEN` is the only credential and carries the role `owner`; an empty setting
closes the admin API. A caller proves it with `Authorization: Bearer <token>` (scripts), or with
the session cookie the console's sign-in gives (gateway/web.py) plus, on every call that
changes something, the session's CSRF token in `X-CSRF-Token`."""

import hmac

from services.common.errors import Forbidden, Unauthorized

ACTOR = "bootstrap-owner"


def valid_token(config, token):
    expected = config.get("ADMIN_TOKEN") or ""
    return bool(expected) and hmac.compare_digest(token.strip().encode(), expected.encode())


def admin(request, config):
    """The acting admin's name for audit rows, or Unauthorized (401) / Forbidden (403, CSRF)."""
    from gateway import web

    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and valid_token(config, token):
        return ACTOR
    session = None if scheme else web.admin_session(request, config)
    if session is None or not config.get("ADMIN_TOKEN"):
        raise Unauthorized("a valid admin bearer token is required")
    given = request.headers.get("X-CSRF-Token", "")[:256]
    if request.method not in web.SAFE_METHODS and not hmac.compare_digest(given.encode(), session["csrf"].encode()):
        raise Forbidden("the X-CSRF-Token header is missing or wrong", {})
    return session["actor"]
