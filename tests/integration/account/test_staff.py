"""Staff sign-in and credentials on real PostgreSQL (issue 18): the lock-out window, TOTP codes
good once, recovery codes and API tokens kept only as digests, token scopes never above the
member's role, and the bootstrap token off when its setting is empty."""

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from services.account import staff
from services.account.models import RecoveryCode, Staff, StaffToken, metadata
from services.common.config import DEV_ENV
from services.common.crypto import DataKeys
from services.common.db import make_engine, transaction
from services.common.errors import InvalidInput
from services.common.testing import unique

KEYS = DataKeys([DEV_ENV["KAMENG_DATA_KEY"]])
PASSWORD = "plum-Kettle-47-river"


@pytest.fixture(scope="module")
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def tx(engine):
    return transaction(engine, metadata)


def enrolled(engine, role="owner"):
    """A member with TOTP set up: (id, email, secret, recovery codes)."""
    email = f"{unique('st').lower()}@example.com"
    with tx(engine) as s:
        made = staff.create(s, "test", {"email": email, "name": "N", "role": role, "password": PASSWORD})
        token = staff.sign_in(s, KEYS, {"email": email, "password": PASSWORD}, "203.0.113.9", 600)["session"]
        secret = staff.enrolment(s, KEYS, token)["secret"]
    with tx(engine) as s:
        codes = staff.confirm_enrolment(s, KEYS, token, pyotp.TOTP(secret).now())["recovery_codes"]
    return made["id"], email, secret, codes


def sign_in(engine, email, code, password=PASSWORD):
    with tx(engine) as s:
        return staff.sign_in(s, KEYS, {"email": email, "password": password, "code": code}, "203.0.113.9", 600)


def next_code(secret):
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(staff.now()) + 1)


def test_a_totp_code_is_good_once(engine):
    _, email, secret, _ = enrolled(engine)
    code = next_code(secret)  # the enrolment used this step's
    assert sign_in(engine, email, code) is not None
    assert sign_in(engine, email, code) is None


def test_five_failures_within_the_window_lock_the_account_and_old_ones_are_forgotten(engine):
    member_id, email, _, codes = enrolled(engine)
    for _ in range(4):
        assert sign_in(engine, email, codes[0], password="wrong-password-1") is None
    with tx(engine) as s:  # the run began long ago: it starts again
        s.get_one(Staff, member_id).failing_since = staff.now() - timedelta(minutes=16)
    assert sign_in(engine, email, codes[0], password="wrong-password-1") is None
    with tx(engine) as s:
        assert s.get_one(Staff, member_id).locked_until is None
    for _ in range(4):
        assert sign_in(engine, email, codes[0], password="wrong-password-1") is None
    with tx(engine) as s:
        assert s.get_one(Staff, member_id).locked_until > staff.now() + timedelta(minutes=14)
    assert sign_in(engine, email, codes[1]) is None  # locked: right password and code
    with tx(engine) as s:
        assert (
            s.scalar(
                select(RecoveryCode.used_at).where(RecoveryCode.code_hash == staff.digest(codes[1].replace("-", "")))
            )
            is None
        )


def test_recovery_codes_and_api_tokens_are_kept_as_digests(engine):
    member_id, _, _, codes = enrolled(engine)
    with tx(engine) as s:
        issued = staff.issue_token(s, "test", member_id, {"name": "ci", "roles": ["finance", "owner"]})
    with tx(engine) as s:
        kept = [r.code_hash for r in s.scalars(select(RecoveryCode).where(RecoveryCode.staff_id == member_id))]
        assert len(kept) == 10 and all(c.encode() not in kept for c in codes)
        token = s.scalars(select(StaffToken).where(StaffToken.id == issued["id"])).one()
        assert token.token_hash == staff.digest(issued["token"]) and token.roles == ["owner", "finance"]
        found = staff.authenticate(s, {"kind": "bearer", "token": issued["token"]}, "")
        assert found["roles"] == ["owner", "finance"] and found["kind"] == "token"


def test_a_token_scope_never_exceeds_the_members_role(engine):
    member_id, *_ = enrolled(engine, "support")
    with tx(engine) as s, pytest.raises(InvalidInput):
        staff.issue_token(s, "test", member_id, {"name": "x", "roles": ["support", "finance"]})
    assert staff.scope("owner", ["support", "operator", "support"]) == ["operator", "support"]


def test_the_bootstrap_token_is_an_owner_while_set_and_nothing_when_empty(engine):
    with tx(engine) as s:
        assert (
            staff.authenticate(s, {"kind": "bearer", "token": "boot-secret"}, "boot-secret")["name"]
            == "bootstrap-token"
        )
        assert staff.authenticate(s, {"kind": "bearer", "token": "boot-secret"}, "") is None
        assert staff.authenticate(s, {"kind": "bearer", "token": ""}, "") is None
