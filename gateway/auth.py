"""Admin authentication and roles (issue 18). Every admin route declares the roles that may call
it (`api(..., roles=auth.CATALOG)`, `page(..., roles=auth.CATALOG)`); the caller is resolved by
the account service, which knows every credential:

- `Authorization: Bearer <token>`: a staff member's API token (scoped to some of their roles),
  or the bootstrap token KAMENG_ADMIN_TOKEN (owner role, audited as "bootstrap-token");
- the console's session cookie (gateway/web.py holds the account session's token and a CSRF
  token for it), plus `X-CSRF-Token` on every JSON call that changes something.

No credential, or a wrong one: 401. A right one without the route's roles: 403. Every wrong
credential counts against the client IP's `auth` rate limit; past it, 429 before any check."""

import hmac
from typing import Any, NamedTuple

from services.common import audit
from services.common.errors import Forbidden, Unauthorized

ROLES = ("owner", "operator", "support", "finance")
# who may do what: the owner everything, each other role its own area
ANYONE = ROLES
OWNER = ("owner",)
CATALOG = ("owner", "operator")  # products, prices, stock, codes, suppliers
RISK = ("owner", "operator")
ORDERS = ("owner", "operator", "support", "finance")  # finding and reading orders
SUPPORT = ("owner", "support")  # tickets: the queue, replies, assignment, SLA policies, shortcuts
MONEY = ("owner", "finance")  # refunds, payments, reconciliation
REPORTS = ("owner", "operator", "finance")  # the analytics reports: sales, margins, slow sellers
INTEGRITY = ("owner", "operator", "finance")
NOTIFICATIONS = ("owner", "operator")  # staff webhook targets
AGENTS = ("owner", "operator")  # the agent tree, levels, markups, keys
AGENT_BOOKS = ("owner", "operator", "finance")  # reading wallets, statements, commissions


class Actor(NamedTuple):
    name: str  # "staff:12 alice@example.com", "staff:12 alice@example.com token:3", "bootstrap-token"
    role: str  # the person's role
    roles: tuple[str, ...]  # what this credential may act as (a token's scope)
    ip: str
    kind: str  # session | token | bootstrap
    staff_id: int | None

    @property
    def audit(self) -> str:
        """The text every audit row names the actor by (services.common.audit.who)."""
        return audit.who(self.name, self.role, self.ip)


def credential(request, config) -> tuple[dict[str, str] | None, dict[str, Any] | None]:
    """({"kind", "token"}, the console session or None), or (None, None) without a credential."""
    from gateway import web

    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme:
        return ({"kind": "bearer", "token": token.strip()[:256]} if scheme.lower() == "bearer" else None), None
    session = web.admin_session(request, config)
    if session is None:
        return None, None
    return {"kind": "session", "token": session["token"]}, session


def resolve(gateway, request, credential_) -> Actor | None:
    """The actor behind a credential, or None; wrong credentials count against the IP."""
    from gateway.http import client_ip

    gateway.limit.peek("auth", request)
    found = gateway.account_rpc.authenticate_staff(credential_)
    if found is None:
        gateway.limit("auth", request)
        return None
    ip = client_ip(request, gateway.config.get("TRUSTED_PROXIES", ()))
    return Actor(found["name"], found["role"], tuple(found["roles"]), ip, found["kind"], found["staff_id"])


def allow(actor: Actor, roles) -> Actor:
    if not set(actor.roles) & set(roles):
        raise Forbidden("your role may not do this", {"roles": list(roles), "yours": list(actor.roles)})
    return actor


def admin(gateway, request, roles) -> Actor:
    """The acting admin of a JSON call, allowed by `roles`; or 401 / 403 (roles, CSRF) / 429."""
    from gateway import web

    found, session = credential(request, gateway.config)
    actor = resolve(gateway, request, found) if found else None
    if actor is None:
        raise Unauthorized("a valid admin credential is required")
    if session is not None and request.method not in web.SAFE_METHODS:
        given = request.headers.get("X-CSRF-Token", "")[:256]
        if not hmac.compare_digest(given.encode(), session["csrf"].encode()):
            raise Forbidden("the X-CSRF-Token header is missing or wrong", {})
    return allow(actor, roles)


def console(gateway, request, roles) -> dict[str, Any] | None:
    """The signed-in staff member of a console page ({"actor" (audit text), "csrf", "role",
    "name", "staff_id", "token"}), None when not signed in; 403 without the page's roles."""
    from gateway import web

    session = web.admin_session(request, gateway.config)
    actor = resolve(gateway, request, {"kind": "session", "token": session["token"]}) if session else None
    if actor is None:
        return None
    allow(actor, roles)
    return {**session, "actor": actor.audit, "role": actor.role, "name": actor.name, "staff_id": actor.staff_id}
