"""Buyers (issue 18): register with an e-mail or a mainland mobile and a password, sign in and
out, the profile, the real-name details. Passwords are argon2id (passwords.py), hashed and
verified in a real thread (eventlet's tpool: ~50 ms of CPU must not stall the other workers)
and outside any transaction. Every failed sign-in answers the same and costs the same: an
unknown account is verified against a dummy hash. Guests keep buying without an account."""

import json
from datetime import UTC, datetime
from typing import Any

from eventlet import tpool
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.account import identity, links, passwords, referrals, sessions
from services.account.models import Buyer
from services.common.crypto import DataKeys
from services.common.envelope import isoformat
from services.common.errors import Conflict, InvalidInput, NotFound, Unauthorized

SIGN_IN_FAILED = "the account or the password is wrong"
SESSION_S = 14 * 86400


def contact_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """The registration's e-mail, phone and name in their normal forms (InvalidInput else)."""
    found = {
        "email": identity.email(fields["email"]) if fields.get("email") else None,
        "phone": identity.phone(fields["phone"]) if fields.get("phone") else None,
        "name": identity.display_name(fields["name"]) if fields.get("name") else None,
    }
    if not found["email"] and not found["phone"]:
        raise InvalidInput("an e-mail or a phone number is required", {"fields": {"email": ["required"]}})
    return found


def check_password(password: str, *personal: str | None) -> None:
    problems = passwords.problems(password, *(p for p in personal if p))
    if problems:
        raise InvalidInput("password: " + "; ".join(problems), {"fields": {"password": problems}})


def hash_password(password: str) -> str:
    return tpool.execute(passwords.hash_password, password)


def verify_password(stored: str | None, password: str) -> bool:
    return tpool.execute(passwords.verify, stored, password)


def register(
    session: Session,
    keys: DataKeys,
    fields: dict[str, Any],
    password_hash: str,
    public_url: str,
    ip: str | None,
    device: str | None = None,
    referrer_id: int | None = None,
) -> dict[str, Any]:
    """A new buyer (`fields` from `contact_fields`), signed in: {"buyer", "session"}. An e-mail
    gets its verification link by mail (sent after the commit). `referrer_id`: a referral risk
    allowed (services/account/referrals.py); the sign-up's IP and device are kept for its rule."""
    same = [column == fields[name] for column, name in ((Buyer.email, "email"), (Buyer.phone, "phone")) if fields[name]]
    if session.scalar(select(Buyer.id).where(or_(*same))) is not None:
        raise Conflict("an account with this e-mail or phone exists: sign in, or reset its password", {})
    buyer = Buyer(**fields, password_hash=password_hash, signup_ip=ip, signup_device=device)
    if referrer_id is not None and session.get(Buyer, referrer_id) is not None:
        buyer.referred_by, buyer.referred_at = referrer_id, datetime.now(UTC)
    session.add(buyer)
    session.flush()
    referrals.code_of(session, buyer)
    if buyer.email:
        links.mail_verification(session, keys, buyer, public_url)
    return {"buyer": view(buyer, keys), "session": sessions.start(session, "buyer", buyer, SESSION_S, ip)}


def by_login(session: Session, login: str) -> Buyer | None:
    """The buyer whose e-mail or phone this is (None for anything else, malformed included)."""
    try:
        column, value = (Buyer.email, identity.email(login)) if "@" in login else (Buyer.phone, identity.phone(login))
    except InvalidInput:
        return None
    return session.scalars(select(Buyer).where(column == value)).first()


def stored_hash(session: Session, login: str) -> tuple[int | None, str | None]:
    buyer = by_login(session, login)
    return (buyer.id, buyer.password_hash) if buyer else (None, None)


def sign_in(
    session: Session, keys: DataKeys, buyer_id: int | None, matched: bool, new_hash: str | None, ip: str | None
) -> dict[str, Any]:
    """After the password was verified (outside the transaction): a session, or the one answer
    every failure gets. `new_hash`: today's parameters, when the stored hash is older."""
    if buyer_id is None or not matched:
        raise Unauthorized(SIGN_IN_FAILED, {})
    buyer = session.get_one(Buyer, buyer_id)
    if new_hash:
        buyer.password_hash = new_hash
    return {"buyer": view(buyer, keys), "session": sessions.start(session, "buyer", buyer, SESSION_S, ip)}


def signed_in(session: Session, token: str) -> Buyer:
    live = sessions.resolve(session, token or "", "buyer")
    if live is None:
        raise Unauthorized("sign in first", {})
    buyer: Buyer = live.person
    return buyer


def for_order(session: Session, token: str) -> dict[str, Any] | None:
    """What an order needs of the signed-in buyer (None: no live session, a guest)."""
    live = sessions.resolve(session, token or "", "buyer")
    if live is None:
        return None
    return {
        "id": live.person.id,
        "level": live.person.level,
        "real_name": live.person.real_name_verified_at is not None,
    }


def set_real_name(session: Session, keys: DataKeys, buyer: Buyer, name: str, id_number: str) -> dict[str, Any]:
    """The checked 姓名 and ID number, encrypted; the format check is the verification here."""
    buyer.real_name = keys.encrypt(json.dumps({"name": name, "id_number": id_number}, ensure_ascii=False))
    buyer.real_name_verified_at = datetime.now(UTC)
    return view(buyer, keys)


def view(buyer: Buyer, keys: DataKeys) -> dict[str, Any]:
    """The buyer's own profile: the real-name details masked (张*, 1101**********1234)."""
    real = None
    if buyer.real_name is not None:
        details = json.loads(keys.decrypt(buyer.real_name))
        real = {
            "name": identity.mask_name(details["name"]),
            "id_number": identity.mask_id(details["id_number"]),
            "verified_at": buyer.real_name_verified_at and isoformat(buyer.real_name_verified_at),
        }
    return {
        "id": buyer.id,
        "email": buyer.email,
        "phone": buyer.phone,
        "name": buyer.name,
        "email_verified": buyer.email_verified_at is not None,
        "level": buyer.level,
        "total_spent": buyer.total_spent,
        "real_name": real,
        "campaign_mails": buyer.campaign_mails is True,
        "created_at": isoformat(buyer.created_at) if buyer.created_at else None,
    }


def admin_row(buyer: Buyer) -> dict[str, Any]:
    """A buyer as the console lists them: contacts partly masked, no real-name details."""
    return {
        "id": buyer.id,
        "email": identity.mask_email(buyer.email),
        "phone": identity.mask_phone(buyer.phone),
        "name": buyer.name,
        "email_verified": buyer.email_verified_at is not None,
        "level": buyer.level,
        "total_spent": buyer.total_spent,
        "real_name_verified": buyer.real_name_verified_at is not None,
        "created_at": isoformat(buyer.created_at),
    }


def search(
    session: Session, q: str | None = None, level: str | None = None, limit: int = 50, before: int | None = None
):
    """Buyers, newest first: `q` a part of the e-mail or phone (or the id), `level` exactly."""
    query = select(Buyer).order_by(Buyer.id.desc()).limit(limit)
    if q:
        pattern = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        match = or_(Buyer.email.like(pattern), Buyer.phone.like(pattern), func.lower(Buyer.name).like(pattern))
        query = query.where(or_(match, Buyer.id == int(q)) if q.isdigit() and len(q) < 18 else match)
    if level:
        query = query.where(Buyer.level == level)
    if before:
        query = query.where(Buyer.id < before)
    return [admin_row(b) for b in session.scalars(query)]


def admin_buyer(session: Session, buyer_id: int) -> dict[str, Any]:
    buyer = session.get(Buyer, buyer_id)
    if buyer is None:
        raise NotFound("no such buyer", {"buyer_id": buyer_id})
    return admin_row(buyer)


# -- the steps with a password: hashing is done between transactions, never inside one ------------


def enrol(
    db: Any,
    keys: DataKeys,
    fields: dict[str, Any],
    public_url: str,
    ip: str | None,
    referral: dict[str, Any] | None = None,
    assess: Any = None,
) -> dict[str, Any]:
    """`referral`: {"code", "device"} from the referral link's cookie; `assess`: risk's
    assess_referral. A referral risk refuses (or cannot judge in time) is not recorded; the
    sign-up itself goes on."""
    contacts = contact_fields(fields)
    check_password(fields["password"], *contacts.values())
    password_hash = hash_password(fields["password"])
    device, referrer_id = (referral or {}).get("device"), None
    if (referral or {}).get("code") and assess is not None:
        with db.transaction() as s:
            facts = referrals.referrer_facts(s, referral["code"])  # type: ignore[index]
        referred = referrals.referred_facts(None, contacts.get("email"), ip, device)
        if referrals.ask_risk(assess, facts, referred).get("allowed") and facts is not None:
            referrer_id = facts["id"]
    try:
        with db.transaction() as s:
            return register(s, keys, contacts, password_hash, public_url, ip, device, referrer_id)
    except IntegrityError:  # the same e-mail or phone signed up at the same moment
        raise Conflict("an account with this e-mail or phone exists: sign in, or reset its password", {}) from None


def authenticate(db: Any, keys: DataKeys, cred: dict[str, Any], ip: str | None) -> dict[str, Any]:
    """Sign in: one lookup, one argon2 verification (against a dummy hash when the account is
    unknown), one answer for every failure."""
    with db.transaction() as s:
        buyer_id, stored = stored_hash(s, cred["login"])
    matched = verify_password(stored, cred["password"])
    new_hash = hash_password(cred["password"]) if matched and passwords.needs_rehash(stored or "") else None
    with db.transaction() as s:
        return sign_in(s, keys, buyer_id, matched, new_hash, ip)


def reset(db: Any, body: dict[str, Any]) -> dict[str, Any]:
    with db.transaction() as s:
        buyer = links.peek(s, body["token"], "reset_password")
        personal = (buyer.email, buyer.phone, buyer.name)
    check_password(body["password"], *personal)
    password_hash = hash_password(body["password"])
    with db.transaction() as s:
        return links.reset_password(s, body["token"], password_hash)


def submit_real_name(db: Any, keys: DataKeys, token: str, details: dict[str, Any]) -> dict[str, Any]:
    name, number = identity.real_name(details["name"]), identity.id_number(details["id_number"])
    with db.transaction() as s:
        return set_real_name(s, keys, signed_in(s, token), name, number)
