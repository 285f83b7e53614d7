"""Staff through the whole system (issue 18): signing in with a password and TOTP, failures that
all answer the same, lock-out per account and per IP, recovery codes, sessions that a password
change or a TOTP reset ends, API tokens scoped to roles, the bootstrap token, and audit rows
that name the person, role and IP."""

import re

import pytest

from tests.e2e.account.helpers import audit, csrf_header, rows
from tests.e2e.helpers import (
    BOOTSTRAP,
    BOOTSTRAP_ACTOR,
    Api,
    admin_session,
    assert_error,
    csrf_of,
    enrol,
    new_product,
    new_staff,
    sign_in,
    start_system,
)


def signed_in_member(system, role="owner"):
    client = Api(system["BASE_URL"])
    admin_session(client, role)
    return client


def test_a_new_member_enrols_totp_at_the_first_sign_in_then_needs_a_code(api):
    member = new_staff(api, "operator")
    assert not member["totp"]
    first = sign_in(api, member)
    assert first.status_code == 303 and first.headers["Location"] == "/admin/enrol"
    assert api.get("/admin", allow_redirects=False).headers["Location"] == "/admin/login"  # not before TOTP
    assert api.get("/api/v1/admin/me").status_code == 401
    enrol(api, member)
    assert len(member["codes"]) == 10 and len(set(member["codes"])) == 10
    me = api.get("/api/v1/admin/me").json()
    assert me == {
        "name": f"staff:{member['id']} {member['email']}",
        "role": "operator",
        "roles": ["operator"],
        "kind": "session",
        "ip": "127.0.0.1",
    }
    assert api.get("/admin/enrol", allow_redirects=False).status_code == 303  # the secret is not shown again
    with Api(api.base_url) as other:
        assert sign_in(other, member, code="").status_code == 401  # the code is no longer optional
        assert sign_in(other, member).status_code == 303


def test_every_sign_in_failure_answers_the_same(api):
    member = new_staff(api)
    enrol_client = Api(api.base_url)
    sign_in(enrol_client, member)
    enrol(enrol_client, member)
    wrong_password = sign_in(api, {**member, "password": "not-the-password-1"})
    wrong_code = sign_in(api, member, code="000000")
    unknown = sign_in(api, {**member, "email": "nobody-" + member["email"]})
    answers = [wrong_password, wrong_code, unknown]
    assert [a.status_code for a in answers] == [401, 401, 401]
    bodies = {re.sub(r'value="[^"]*@example\.com"', "", a.text) for a in answers}
    assert len(bodies) == 1 and "alert-error" in bodies.pop()
    assert all("Set-Cookie" not in a.headers or "kameng_admin" not in a.headers["Set-Cookie"] for a in answers)


def test_five_failures_lock_the_account_for_a_while_and_only_that_account(api, system):
    member, other = new_staff(api), new_staff(api)
    for person in (member, other):
        with Api(api.base_url) as client:
            sign_in(client, person)
            enrol(client, person)
    for _ in range(5):
        assert sign_in(api, {**member, "password": "not-the-password-1"}).status_code == 401
    assert sign_in(api, member).status_code == 401  # the right password and code: locked
    assert sign_in(api, other).status_code == 303  # the other account (same IP) is not locked
    listed = {
        m["id"]: m
        for m in api.get("/api/v1/admin/staff", headers={"Authorization": f"Bearer {BOOTSTRAP}"}).json()["items"]
    }
    assert listed[member["id"]]["locked"] and not listed[other["id"]]["locked"]
    rows(system, "UPDATE account.staff SET locked_until = now() - interval '1 second' WHERE id = :id", id=member["id"])
    assert sign_in(api, member).status_code == 303  # the lock ends


def test_failed_credentials_of_any_kind_are_limited_per_ip(config, runner_factory, seeded):
    config["RATE_LIMITS"] = "auth=3/m"
    start_system(config, runner_factory)
    with Api(config["BASE_URL"]) as client:
        statuses = [
            client.get("/api/v1/admin/stock", headers={"Authorization": "Bearer wrong"}).status_code,
            sign_in(client, {"email": "a@example.com", "password": "wrong-password-1"}).status_code,
            client.get("/api/v1/admin/stock", headers={"Authorization": "Bearer wrong"}).status_code,
        ]
        assert statuses == [401, 401, 401]
        limited = client.get("/api/v1/admin/stock", headers={"Authorization": f"Bearer {BOOTSTRAP}"})
        error = assert_error(limited, 429, "rate_limited")  # even a right credential waits now
        assert int(limited.headers["Retry-After"]) >= 1 and error["details"]["limit"] == "auth"
        assert sign_in(client, {"email": "a@example.com", "password": "x"}).status_code == 429


def test_a_recovery_code_signs_in_once_and_its_use_is_audited(api, system):
    client = signed_in_member(system)
    member, code = client.staff, client.staff["codes"][0]
    with Api(api.base_url) as phone_lost:
        assert sign_in(phone_lost, member, code=code.upper()).status_code == 303
        assert phone_lost.get("/api/v1/admin/me").status_code == 200
    with Api(api.base_url) as again:
        assert sign_in(again, member, code=code).status_code == 401
    assert [a for a, _ in audit(system, "account", "staff.recovery_code_used", str(member["id"]))] == [
        f"staff:{member['id']} {member['email']} (owner) from 127.0.0.1"
    ]


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(api, system):
    here = signed_in_member(system, "support")
    member = here.staff
    there = Api(api.base_url)
    assert sign_in(there, member, code=member["codes"].pop()).status_code == 303
    weak = here.put(
        "/api/v1/admin/me/password",
        json={"current_password": member["password"], "new_password": "password123"},
        headers=csrf_header(here),
    )
    assert_error(weak, 400, "validation_error")
    changed = here.put(
        "/api/v1/admin/me/password",
        json={"current_password": member["password"], "new_password": "a-new-Long-passphrase-9"},
        headers=csrf_header(here),
    )
    assert changed.status_code == 200, changed.text
    assert here.get("/api/v1/admin/me").status_code == 200 and here.get("/admin").status_code == 200
    assert there.get("/api/v1/admin/me").status_code == 401
    assert there.get("/admin", allow_redirects=False).headers["Location"] == "/admin/login"
    assert sign_in(Api(api.base_url), member, code=member["codes"].pop()).status_code == 401  # old password
    member["password"] = "a-new-Long-passphrase-9"
    assert sign_in(Api(api.base_url), member, code=member["codes"].pop()).status_code == 303


def test_a_totp_reset_ends_the_sessions_and_the_member_enrols_again(api, admin, system):
    client = signed_in_member(system, "finance")
    member = client.staff
    assert admin.get(f"/api/v1/admin/staff/{member['id']}/sessions").json()["items"][0]["ip"] == "127.0.0.1"
    reset = admin.post(f"/api/v1/admin/staff/{member['id']}/totp-reset")
    assert reset.status_code == 200 and reset.json()["totp"] is False
    assert client.get("/api/v1/admin/me").status_code == 401
    assert admin.get(f"/api/v1/admin/staff/{member['id']}/sessions").json()["items"] == []
    assert sign_in(client, member, code=member["codes"][-1]).headers["Location"] == "/admin/enrol"
    assert audit(system, "account", "staff.totp_reset", str(member["id"]))[0][0] == BOOTSTRAP_ACTOR
    ended = admin.delete(f"/api/v1/admin/staff/{member['id']}/sessions")
    assert ended.status_code == 200 and ended.json()["ended"] >= 1
    assert client.get("/admin/enrol", allow_redirects=False).headers["Location"] == "/admin/login"


def test_an_api_token_acts_within_its_roles_until_revoked(api, system):
    owner = signed_in_member(system, "owner")
    issued = owner.post(
        "/api/v1/admin/me/tokens", json={"name": "books", "roles": ["finance"]}, headers=csrf_header(owner)
    )
    assert issued.status_code == 201 and issued.json()["token"].startswith("kst_")
    bearer = {"Authorization": f"Bearer {issued.json()['token']}"}
    assert api.get("/api/v1/admin/payments/reconciliation", headers=bearer).status_code == 200
    forbidden = api.post("/api/v1/admin/products", json=new_product(), headers=bearer)
    assert_error(forbidden, 403, "forbidden")
    assert api.get("/api/v1/admin/staff", headers=bearer).status_code == 403  # the owner's, not the token's
    assert (
        api.post("/api/v1/admin/me/tokens", json={"name": "x", "roles": ["owner"]}, headers=bearer).status_code == 403
    )
    listed = owner.get("/api/v1/admin/me/tokens").json()["items"]
    assert [(t["name"], t["roles"], t["revoked"]) for t in listed] == [("books", ["finance"], False)]
    assert listed[0]["last_used_at"] and "token" not in listed[0]
    revoked = owner.delete(f"/api/v1/admin/me/tokens/{listed[0]['id']}", headers=csrf_header(owner))
    assert revoked.status_code == 204
    assert_error(api.get("/api/v1/admin/payments/reconciliation", headers=bearer), 401, "unauthorized")


def test_a_token_never_exceeds_its_members_role_and_stops_when_they_are_disabled(api, admin, system):
    operator = signed_in_member(system, "operator")
    too_much = operator.post(
        "/api/v1/admin/me/tokens", json={"name": "x", "roles": ["owner"]}, headers=csrf_header(operator)
    )
    assert_error(too_much, 400, "validation_error")
    issued = operator.post(
        "/api/v1/admin/me/tokens", json={"name": "ci", "roles": ["operator"]}, headers=csrf_header(operator)
    )
    bearer = {"Authorization": f"Bearer {issued.json()['token']}"}
    assert api.post("/api/v1/admin/products", json=new_product(), headers=bearer).status_code == 201
    assert (
        admin.patch(f"/api/v1/admin/staff/{operator.staff['id']}", json={"role": "support"}).json()["role"] == "support"
    )
    assert api.post("/api/v1/admin/products", json=new_product(), headers=bearer).status_code == 401  # scope left
    assert admin.patch(f"/api/v1/admin/staff/{operator.staff['id']}", json={"role": "operator"}).status_code == 200
    assert api.post("/api/v1/admin/products", json=new_product(), headers=bearer).status_code == 201
    assert admin.patch(f"/api/v1/admin/staff/{operator.staff['id']}", json={"disabled": True}).json()["disabled"]
    assert api.post("/api/v1/admin/products", json=new_product(), headers=bearer).status_code == 401
    assert operator.get("/api/v1/admin/me").status_code == 401


def test_roles_limit_console_pages_and_api_calls(api, system):
    support = signed_in_member(system, "support")
    assert support.get("/admin/orders").status_code == 200
    assert support.get("/admin/staff").status_code == 403 and support.get("/admin/products").status_code == 403
    assert_error(
        support.post("/api/v1/admin/products", json=new_product(), headers=csrf_header(support)), 403, "forbidden"
    )
    menu = support.get("/admin").text
    assert 'href="/admin/orders"' in menu and 'href="/admin/staff"' not in menu


def test_audit_rows_name_the_person_role_and_ip_and_a_price_change_before_and_after(api, admin, system):
    operator = signed_in_member(system, "operator")
    product = new_product(price="10.00")
    assert operator.post("/api/v1/admin/products", json=product, headers=csrf_header(operator)).status_code == 201
    changed = operator.patch(
        f"/api/v1/admin/products/{product['sku']}", json={"price": "12.50"}, headers=csrf_header(operator)
    )
    assert changed.status_code == 200, changed.text
    level = admin.put(f"/api/v1/admin/products/{product['sku']}/level-prices/gold", json={"price": "9.00"})
    assert level.status_code == 200, level.text
    assert [a for a, _ in audit(system, "catalog", "product.create", product["sku"])] == [operator.staff["actor"]]
    ((actor, data),) = audit(system, "catalog", "product.update", product["sku"])
    assert actor == operator.staff["actor"] and data["before"] == {"price": 1000} and data["after"] == {"price": 1250}
    ((actor, data),) = audit(system, "catalog", "level_price.set", product["sku"])
    assert actor == BOOTSTRAP_ACTOR and data["before"] == {"price": None} and data["after"] == {"price": 900}


@pytest.fixture
def no_staff(system):
    for table in ("staff_tokens", "staff_recovery_codes", "sessions", "staff"):
        rows(system, f"DELETE FROM account.{table}")
    return system


def test_the_bootstrap_token_makes_the_first_owner_then_stays_an_owner_automation_token(api, no_staff):
    login = api.get("/admin/login")
    assert 'id="setup-link"' in login.text
    page = api.get("/admin/setup")
    form = {"email": "first@example.com", "name": "店主", "password": "Quiet-harbor-lantern-8", "csrf": csrf_of(page)}
    assert api.post("/admin/setup", data={**form, "token": "wrong"}).status_code == 401
    weak = api.post("/admin/setup", data={**form, "token": BOOTSTRAP, "password": "123456"})
    assert weak.status_code == 400 and "field-error" in weak.text
    made = api.post("/admin/setup", data={**form, "token": BOOTSTRAP}, allow_redirects=False)
    assert made.status_code == 303 and made.headers["Location"] == "/admin/login?done=owner"
    assert api.get("/admin/setup", allow_redirects=False).status_code == 303  # closed now
    assert 'id="setup-link"' not in api.get("/admin/login").text
    owner = {"email": "first@example.com", "password": form["password"]}
    assert sign_in(api, owner).headers["Location"] == "/admin/enrol"
    assert [a for a, _ in audit(no_staff, "account", "staff.create")][-1] == "bootstrap-token"
    bearer = {"Authorization": f"Bearer {BOOTSTRAP}"}
    me = api.get("/api/v1/admin/me", headers=bearer).json()
    assert me["name"] == "bootstrap-token" and me["role"] == "owner" and me["kind"] == "bootstrap"
    product = new_product()
    assert api.post("/api/v1/admin/products", json=product, headers=bearer).status_code == 201
    assert [a for a, _ in audit(no_staff, "catalog", "product.create", product["sku"])] == [BOOTSTRAP_ACTOR]
    last = api.patch(f"/api/v1/admin/staff/{made_owner_id(api)}", json={"disabled": True}, headers=bearer)
    assert_error(last, 409, "conflict")  # the last owner stays


def made_owner_id(api):
    staff = api.get("/api/v1/admin/staff", headers={"Authorization": f"Bearer {BOOTSTRAP}"}).json()["items"]
    return next(m["id"] for m in staff if m["email"] == "first@example.com")


def test_an_empty_bootstrap_setting_turns_the_token_off(config, runner_factory, seeded):
    config["ADMIN_TOKEN"] = ""
    start_system(config, runner_factory)
    with Api(config["BASE_URL"]) as client:
        for token in ("", "dev-admin-token"):
            assert_error(
                client.get("/api/v1/admin/stock", headers={"Authorization": f"Bearer {token}"}), 401, "unauthorized"
            )
