"""What the route listing (tests/unit/gateway/test_roles.py) declares, the running gateway does:
every admin route refuses a caller without a credential (401 for the API, the sign-in page for
the console) and one whose role is not among the route's (403)."""

import re

from tests.e2e.helpers import Api, admin_session
from tests.unit.gateway.test_roles import admin_routes


def concrete(url):
    return re.sub(r"<int:[a-z_]+>", "1", re.sub(r"<(?:string:)?([a-z_]+)>", "X", url))


def test_every_admin_route_refuses_a_caller_without_a_credential(api):
    refused = {}
    for method, url, _ in admin_routes():
        answer = api.request(method, concrete(url), allow_redirects=False)
        if url.startswith("/api/"):
            refused[(method, url)] = answer.status_code == 401 and answer.json()["error"]["code"] == "unauthorized"
        else:
            refused[(method, url)] = answer.status_code in (303, 403) and (
                answer.status_code == 403 or answer.headers["Location"] == "/admin/login"
            )
    assert [route for route, ok in refused.items() if not ok] == []


def test_every_admin_route_a_role_may_not_call_is_forbidden_to_it(system):
    with Api(system["BASE_URL"]) as support:
        admin_session(support, "support")
        csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', support.get("/admin").text).group(1)
        wrong = []
        for method, url, roles in admin_routes():
            if "support" in roles:
                continue
            data = {"csrf": csrf} if not url.startswith("/api/") else None
            answer = support.request(
                method, concrete(url), data=data, headers={"X-CSRF-Token": csrf}, allow_redirects=False
            )
            if answer.status_code != 403:
                wrong.append((method, url, answer.status_code))
        assert wrong == []
