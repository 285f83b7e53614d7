"""Sessions on real PostgreSQL (issue 18): a token resolves to its person while live, and stops
on sign-out, on "sign out everywhere", on expiry, and when the person's credential changes."""

import time

from sqlalchemy import update

from services.account import sessions
from services.account.models import Buyer, Session, Staff, metadata
from services.common.db import transaction
from services.common.testing import unique


def a_buyer(engine):
    with transaction(engine, metadata) as s:
        buyer = Buyer(email=f"{unique('b')}@example.com", password_hash="x")
        s.add(buyer)
        s.flush()
        return buyer.id


def start(engine, kind, model, person_id, ttl_s=600):
    with transaction(engine, metadata) as s:
        return sessions.start(s, kind, s.get_one(model, person_id), ttl_s, ip="203.0.113.9")


def resolved(engine, token, kind="buyer"):
    with transaction(engine, metadata) as s:
        live = sessions.resolve(s, token, kind)
        return live and live.subject_id


def test_a_session_lives_until_signed_out(engine):
    buyer = a_buyer(engine)
    token, other = start(engine, "buyer", Buyer, buyer), start(engine, "buyer", Buyer, buyer)
    assert resolved(engine, token) == buyer and resolved(engine, other) == buyer
    assert resolved(engine, token, kind="staff") is None  # a buyer's token is no staff session
    assert resolved(engine, token + "x") is None and resolved(engine, "") is None
    with transaction(engine, metadata) as s:
        sessions.end(s, token)
    assert resolved(engine, token) is None and resolved(engine, other) == buyer
    with transaction(engine, metadata) as s:
        assert sessions.end_all(s, "buyer", buyer) == 1
    assert resolved(engine, other) is None


def test_a_new_credential_ends_the_sessions_made_with_the_old_one(engine):
    buyer = a_buyer(engine)
    old = start(engine, "buyer", Buyer, buyer)
    with transaction(engine, metadata) as s:
        sessions.new_credential(s.get_one(Buyer, buyer))
    new = start(engine, "buyer", Buyer, buyer)
    assert resolved(engine, old) is None and resolved(engine, new) == buyer


def test_an_expired_session_or_a_disabled_staff_member_is_signed_out(engine):
    buyer = a_buyer(engine)
    token = start(engine, "buyer", Buyer, buyer, ttl_s=1)
    assert resolved(engine, token) == buyer
    time.sleep(1.2)
    assert resolved(engine, token) is None
    with transaction(engine, metadata) as s:
        staff = Staff(email=f"{unique('s')}@example.com", name="Ops", role="operator", password_hash="x")
        s.add(staff)
        s.flush()
        staff_id = staff.id
    token = start(engine, "staff", Staff, staff_id)
    assert resolved(engine, token, "staff") == staff_id
    with transaction(engine, metadata) as s:
        s.execute(update(Staff).where(Staff.id == staff_id).values(disabled_at=Staff.created_at))
    assert resolved(engine, token, "staff") is None


def test_only_the_tokens_digest_is_kept(engine):
    token = start(engine, "buyer", Buyer, a_buyer(engine))
    with transaction(engine, metadata) as s:
        kept = [r.token_hash for r in s.query(Session).all()]
    assert sessions.digest(token) in kept and all(token.encode() not in k for k in kept)
