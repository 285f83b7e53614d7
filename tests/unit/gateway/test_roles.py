"""Every admin route declares its roles (issue 18): the gateway's entrypoints -- what it really
serves -- are listed with the roles each declares, and a route under /api/v1/admin or /admin
without any fails the test (the public sign-in pages excepted, by name)."""

from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from gateway import auth, web
from gateway.http import ROUTES
from gateway.service import GatewayService

PUBLIC = {
    ("GET", "/admin/login"),
    ("POST", "/admin/login"),
    ("GET", "/admin/setup"),
    ("POST", "/admin/setup"),
    ("GET", "/admin/enrol"),
    ("POST", "/admin/enrol"),
}


def served():
    """(method, url) of every HTTP entrypoint of the gateway."""
    for name in dir(GatewayService):
        for entrypoint in getattr(getattr(GatewayService, name), ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if hasattr(entrypoint, "url"):
                yield entrypoint.method, entrypoint.url


def declared():
    """{(method, url): roles} from the API and page registries, in nameko's URL form."""
    roles = {(p.method, p.url): p.roles for p in web.PAGES}
    for route in ROUTES:
        roles[(route.method, route.path)] = route.roles
    return roles


def as_path(url):
    import re

    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", url)


def admin_routes():
    roles = {(m, as_path(u)): r for (m, u), r in declared().items()}
    return sorted(
        (method, url, roles.get((method, as_path(url)), ()))
        for method, url in set(served())
        if url.startswith(("/api/v1/admin", "/admin")) and (method, url) not in PUBLIC
    )


def test_every_admin_route_declares_roles_and_only_real_ones():
    listing = admin_routes()
    print("\n".join(f"{method:6} {url:60} {', '.join(roles)}" for method, url, roles in listing))
    assert len(listing) > 60
    assert [(m, u) for m, u, roles in listing if not roles] == []
    assert all(set(roles) <= set(auth.ROLES) and "owner" in roles for _, _, roles in listing)


def test_the_roles_of_some_routes_by_name():
    roles = {(m, as_path(u)): r for m, u, r in admin_routes()}
    assert roles[("POST", "/api/v1/admin/orders/{order_no}/refund")] == auth.MONEY
    assert roles[("POST", "/admin/orders/{order_no}/refund")] == auth.MONEY
    assert roles[("POST", "/api/v1/admin/orders/{order_no}/payment/confirm")] == auth.MONEY
    assert roles[("POST", "/admin/orders/{order_no}/payment/confirm")] == auth.MONEY
    assert roles[("POST", "/api/v1/admin/staff")] == auth.OWNER and roles[("GET", "/admin/staff")] == auth.OWNER
    assert roles[("PATCH", "/api/v1/admin/products/{sku}")] == auth.CATALOG
    assert roles[("PUT", "/api/v1/admin/risk/rules")] == auth.RISK
    assert roles[("GET", "/api/v1/admin/orders")] == auth.ORDERS
    assert roles[("GET", "/api/v1/admin/payments/reconciliation")] == auth.MONEY
