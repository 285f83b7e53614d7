"""Admin authentication. Until staff accounts exist (account service), the bootstrap token
`KAMENG_ADMIN_TOKEN` is the only credential and carries the role `owner`; an empty setting
closes the admin API."""
import hmac

from services.common.errors import Unauthorized


def admin(request, config):
    """The acting admin's name for audit rows, or Unauthorized (401)."""
    expected = config.get("ADMIN_TOKEN") or ""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer" or not hmac.compare_digest(
            token.strip().encode(), expected.encode()):
        raise Unauthorized("a valid admin bearer token is required")
    return "bootstrap-owner"
