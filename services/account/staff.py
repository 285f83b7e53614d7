"""Staff (issue 18): accounts with a role, signed in with e-mail + password + TOTP (mandatory:
a new member enrols on the first sign-in and gets single-use recovery codes), locked for a while
after a run of failures, and the credentials the gateway's admin routes accept:

- a console session (services/account/sessions.py), live only once TOTP is confirmed;
- an API token of a staff member, scoped to roles that never exceed the member's (an owner may
  scope one down to any role; anyone else only to their own);
- the bootstrap token (KAMENG_ADMIN_TOKEN): it creates the first owner, and is otherwise an
  owner-role automation token while the setting is not empty, audited as "bootstrap-token".

`authenticate` answers the caller as an actor {"name", "role", "roles", "kind", "staff_id"};
the gateway adds the IP and checks the route's roles. Every sign-in failure answers the same."""

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session as Db

from services.account import passwords, sessions
from services.account.models import RecoveryCode, Session, Staff, StaffToken
from services.common import audit
from services.common.crypto import DataKeys
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound

ROLES = ("owner", "operator", "support", "finance")
BOOTSTRAP = "bootstrap-token"
SIGN_IN_FAILED = "wrong e-mail, password or code (or too many tries: wait a quarter of an hour)"
MAX_FAILURES, FAILURE_WINDOW, LOCK = 5, timedelta(minutes=15), timedelta(minutes=15)
RECOVERY_CODES = 10
ISSUER = "kameng"


def now() -> datetime:
    return datetime.now(UTC)


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def view(member: Staff) -> dict[str, Any]:
    return {
        "id": member.id,
        "email": member.email,
        "name": member.name,
        "role": member.role,
        "totp": member.totp_confirmed_at is not None,
        "disabled": member.disabled_at is not None,
        "locked": bool(member.locked_until and member.locked_until > now()),
        "created_at": member.created_at.isoformat() if member.created_at else None,
    }


def member(db: Db, staff_id: int, lock: bool = False) -> Staff:
    query = select(Staff).where(Staff.id == staff_id)
    found = db.scalars(query.with_for_update() if lock else query).first()
    if found is None:
        raise NotFound("no such staff member", {"id": staff_id})
    return found


def check_password(password: str, *personal: str) -> None:
    problems = passwords.problems(password, *personal)
    if problems:
        raise InvalidInput("the password is too weak", {"fields": {"password": problems}})


def owners(db: Db) -> int:
    return db.scalar(select(func.count()).where(Staff.role == "owner", Staff.disabled_at.is_(None))) or 0


def has_owner(db: Db) -> bool:
    return owners(db) > 0


# -- the people ----------------------------------------------------------------------------------


def create(db: Db, actor: str, new: dict[str, Any]) -> dict[str, Any]:
    email = new["email"].strip().lower()
    check_password(new["password"], email, new["name"])
    if db.scalar(select(Staff.id).where(Staff.email == email)) is not None:
        raise Conflict("a staff member has this e-mail already", {"email": email})
    added = Staff(
        email=email, name=new["name"], role=new["role"], password_hash=passwords.hash_password(new["password"])
    )
    db.add(added)
    db.flush()
    db.refresh(added)
    audit.record(db, actor, "staff.create", str(added.id), {"email": email, "role": added.role})
    return view(added)


def create_first_owner(db: Db, new: dict[str, Any]) -> dict[str, Any]:
    """The bootstrap token's one console use: the first owner, only while there is none."""
    db.execute(select(func.pg_advisory_xact_lock(18_0001)))  # two at once: one first owner
    if has_owner(db):
        raise Conflict("there is an owner already: sign in as staff", {})
    return create(db, BOOTSTRAP, {**new, "role": "owner"})


def listing(db: Db) -> list[dict[str, Any]]:
    return [view(m) for m in db.scalars(select(Staff).order_by(Staff.id))]


def _keep_an_owner(db: Db, target: Staff) -> None:
    if target.role == "owner" and target.disabled_at is None and owners(db) <= 1:
        raise Conflict("the last owner cannot be disabled or demoted", {"id": target.id})


def change(db: Db, actor: str, staff_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    """{"role"} and/or {"disabled": bool}. Disabling ends the member's sessions (and their API
    tokens stop working with them)."""
    db.execute(select(func.pg_advisory_xact_lock(18_0001)))
    target = member(db, staff_id, lock=True)
    before = {"role": target.role, "disabled": target.disabled_at is not None}
    if changes.get("role", target.role) != target.role or (changes.get("disabled") and not before["disabled"]):
        _keep_an_owner(db, target)
    target.role = changes.get("role", target.role)
    if "disabled" in changes:
        target.disabled_at = (target.disabled_at or now()) if changes["disabled"] else None
        if changes["disabled"]:
            sessions.end_all(db, "staff", target.id)
    after = {"role": target.role, "disabled": target.disabled_at is not None}
    audit.record(db, actor, "staff.change", str(staff_id), {"before": before, "after": after})
    return view(target)


def reset_totp(db: Db, actor: str, staff_id: int) -> dict[str, Any]:
    """A lost phone: the member enrols again at the next sign-in; every session ends."""
    target = member(db, staff_id, lock=True)
    target.totp_secret, target.totp_confirmed_at, target.totp_last_step = None, None, None
    db.execute(update(RecoveryCode).where(RecoveryCode.staff_id == staff_id).values(used_at=func.now()))
    sessions.new_credential(target)
    audit.record(db, actor, "staff.totp_reset", str(staff_id), {})
    return view(target)


def change_password(db: Db, actor: str, staff_id: int, passwords_: dict[str, str], ttl_s: int) -> dict[str, Any]:
    """Every other session ends; the one asking goes on with the new session answered here."""
    target = member(db, staff_id, lock=True)
    current, new = passwords_["current_password"], passwords_["new_password"]
    if not passwords.verify(target.password_hash, current):
        raise InvalidInput("the current password is wrong", {"fields": {"current_password": ["is wrong"]}})
    check_password(new, target.email, target.name)
    target.password_hash = passwords.hash_password(new)
    sessions.new_credential(target)
    audit.record(db, actor, "staff.password_change", str(staff_id), {})
    return {"session": sessions.start(db, "staff", target, ttl_s, audit.ip_of(actor))}


def live_sessions(db: Db, staff_id: int) -> list[dict[str, Any]]:
    target = member(db, staff_id)
    rows = db.scalars(
        select(Session)
        .where(
            Session.kind == "staff",
            Session.subject_id == staff_id,
            Session.revoked_at.is_(None),
            Session.expires_at > func.now(),
            Session.credential_version == target.credential_version,
        )
        .order_by(Session.created_at.desc())
    )
    return [{"ip": r.ip, "created_at": r.created_at.isoformat(), "expires_at": r.expires_at.isoformat()} for r in rows]


def end_sessions(db: Db, actor: str, staff_id: int) -> dict[str, int]:
    member(db, staff_id)
    ended = sessions.end_all(db, "staff", staff_id)
    audit.record(db, actor, "staff.sessions_end", str(staff_id), {"ended": ended})
    return {"ended": ended}


# -- signing in ----------------------------------------------------------------------------------


def _fail(target: Staff) -> None:
    at = now()
    if target.failing_since is None or at - target.failing_since > FAILURE_WINDOW:
        target.failing_since, target.failed_sign_ins = at, 0
    target.failed_sign_ins += 1
    if target.failed_sign_ins >= MAX_FAILURES:
        target.locked_until, target.failing_since, target.failed_sign_ins = at + LOCK, None, 0


def _second_factor(db: Db, keys: DataKeys, target: Staff, code: str) -> str | None:
    """ "totp" or "recovery_code" when `code` is a good one (each is good once), else None."""
    code = "".join(code.split())
    if len(code) == 6 and code.isdigit() and target.totp_secret is not None:
        totp = pyotp.TOTP(keys.decrypt(target.totp_secret))
        at = int(now().timestamp())
        for offset in (0, -1, 1):  # a step either side: clocks drift
            step = totp.timecode(datetime.fromtimestamp(at + offset * totp.interval, UTC))
            if hmac.compare_digest(totp.generate_otp(step), code) and step > (target.totp_last_step or 0):
                target.totp_last_step = step
                return "totp"
        return None
    used = db.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.staff_id == target.id,
            RecoveryCode.code_hash == digest(code.lower().replace("-", "")),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=func.now())
    ).rowcount  # type: ignore[attr-defined]
    return "recovery_code" if used else None


def sign_in(db: Db, keys: DataKeys, form: dict[str, Any], ip: str | None, ttl_s: int) -> dict[str, Any] | None:
    """{"session", "enrol", "staff"} for the right e-mail, password and code; None for anything
    else (the caller answers SIGN_IN_FAILED, after this transaction has counted the failure).
    A member without TOTP yet gets a session that only enrols (`enrol`: true)."""
    email = str(form.get("email", "")).strip().lower()[:254]
    target = db.scalars(select(Staff).where(Staff.email == email).with_for_update()).first()
    password_ok = passwords.verify(target.password_hash if target else None, str(form.get("password", ""))[:512])
    if target is None or target.disabled_at is not None:
        return None
    if target.locked_until is not None and target.locked_until > now():
        return None
    enrol = target.totp_confirmed_at is None
    factor = (
        "enrolment" if enrol else (password_ok and _second_factor(db, keys, target, str(form.get("code", ""))[:64]))
    )
    if not password_ok or not factor:
        _fail(target)
        return None
    target.failed_sign_ins, target.failing_since, target.locked_until = 0, None, None
    if passwords.needs_rehash(target.password_hash):
        target.password_hash = passwords.hash_password(str(form["password"]))
    if factor == "recovery_code":
        who = audit.who(f"staff:{target.id} {target.email}", target.role, ip)
        audit.record(db, who, "staff.recovery_code_used", str(target.id), {})
    return {"session": sessions.start(db, "staff", target, ttl_s, ip), "enrol": enrol, "staff": view(target)}


def _enrolling(db: Db, token: str) -> Staff:
    live = sessions.resolve(db, token, "staff")
    if live is None:
        raise Forbidden("sign in first", {})
    if live.person.totp_confirmed_at is not None:
        raise Conflict("TOTP is set up already", {})
    return live.person


def enrolment(db: Db, keys: DataKeys, token: str) -> dict[str, str]:
    """A new TOTP secret for the member of this (enrolling) session, shown only now."""
    target = _enrolling(db, token)
    secret = pyotp.random_base32()
    target.totp_secret = keys.encrypt(secret)
    return {"secret": secret, "uri": pyotp.TOTP(secret).provisioning_uri(name=target.email, issuer_name=ISSUER)}


def confirm_enrolment(db: Db, keys: DataKeys, token: str, code: str) -> dict[str, Any]:
    """The first code proves the app has the secret: TOTP is on, and the recovery codes are
    answered, shown only now (kept as SHA-256)."""
    target = _enrolling(db, token)
    if target.totp_secret is None or _second_factor(db, keys, target, code[:64]) != "totp":
        raise InvalidInput("that code is not right: try the current one", {"fields": {"code": ["is wrong"]}})
    target.totp_confirmed_at = now()
    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODES)]  # 40 bits each, single use
    db.add_all(RecoveryCode(code_hash=digest(c), staff_id=target.id) for c in codes)
    audit.record(
        db, audit.who(f"staff:{target.id} {target.email}", target.role), "staff.totp_enrolled", str(target.id), {}
    )
    return {"recovery_codes": [f"{c[:5]}-{c[5:]}" for c in codes], "staff": view(target)}


# -- credentials ---------------------------------------------------------------------------------


def actor(name: str, role: str, roles: list[str], kind: str, staff_id: int | None = None) -> dict[str, Any]:
    return {"name": name, "role": role, "roles": roles, "kind": kind, "staff_id": staff_id}


def authenticate(db: Db, credential: dict[str, str], bootstrap: str) -> dict[str, Any] | None:
    """The actor behind {"kind": "bearer" | "session", "token"}, or None."""
    token = str(credential.get("token", "")).strip()
    if not token or len(token) > 256:
        return None
    if credential.get("kind") == "session":
        live = sessions.resolve(db, token, "staff")
        if live is None or live.person.totp_confirmed_at is None:
            return None
        person = live.person
        return actor(f"staff:{person.id} {person.email}", person.role, [person.role], "session", person.id)
    if bootstrap and hmac.compare_digest(token.encode(), bootstrap.encode()):
        return actor(BOOTSTRAP, "owner", ["owner"], "bootstrap")
    row = db.execute(
        select(StaffToken, Staff)
        .join(Staff, Staff.id == StaffToken.staff_id)
        .where(StaffToken.token_hash == digest(token), StaffToken.revoked_at.is_(None), Staff.disabled_at.is_(None))
    ).first()
    if row is None:
        return None
    found, person = row
    roles = [r for r in found.roles if person.role == "owner" or r == person.role]
    if not roles:
        return None
    found.last_used_at = func.now()
    name = f"staff:{person.id} {person.email} token:{found.id}"
    return actor(name, person.role, roles, "token", person.id)


def scope(owner_role: str, wanted: list[str]) -> list[str]:
    allowed = ROLES if owner_role == "owner" else (owner_role,)
    if not wanted or any(r not in allowed for r in wanted):
        raise InvalidInput("a token's roles must be among yours", {"fields": {"roles": [f"choose from {allowed}"]}})
    return sorted(set(wanted), key=ROLES.index)


def token_view(t: StaffToken) -> dict[str, Any]:
    return {
        "id": t.id,
        "name": t.name,
        "roles": t.roles,
        "created_at": t.created_at.isoformat(),
        "last_used_at": t.last_used_at and t.last_used_at.isoformat(),
        "revoked": t.revoked_at is not None,
    }


def issue_token(db: Db, actor: str, staff_id: int, new: dict[str, Any]) -> dict[str, Any]:
    target = member(db, staff_id)
    secret = "kst_" + secrets.token_urlsafe(32)
    added = StaffToken(
        staff_id=staff_id, name=new["name"], roles=scope(target.role, new["roles"]), token_hash=digest(secret)
    )
    db.add(added)
    db.flush()
    db.refresh(added)
    audit.record(db, actor, "staff.token_issue", str(added.id), {"roles": added.roles})
    return {**token_view(added), "token": secret}


def tokens(db: Db, staff_id: int) -> list[dict[str, Any]]:
    rows = db.scalars(select(StaffToken).where(StaffToken.staff_id == staff_id).order_by(StaffToken.id))
    return [token_view(t) for t in rows]


def revoke_token(db: Db, actor: str, staff_id: int, token_id: int) -> None:
    found = db.scalars(select(StaffToken).where(StaffToken.id == token_id, StaffToken.staff_id == staff_id)).first()
    if found is None:
        raise NotFound("no such token", {"id": token_id})
    found.revoked_at = found.revoked_at or func.now()
    audit.record(db, actor, "staff.token_revoke", str(token_id), {})
