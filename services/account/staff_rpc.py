"""The account service's staff entrypoints (issue 18), a base of `AccountService`: thin, the
rules are in services/account/staff.py. `actor` is the audit text the gateway makes
(services.common.audit.who); `staff_id` of "me" calls is the one `authenticate` answered."""

from typing import Any

from services.account import staff, staff_schemas as schemas
from services.common.errors import DomainError, Unauthorized, load
from services.common.rpc import rpc

command = rpc(expected_exceptions=DomainError)
SESSION_S = 8 * 3600


class StaffRpc:
    db: Any
    keys: Any
    config: Any

    @command
    def authenticate_staff(self, credential):
        """The actor behind a bearer token or a console session, or None (the gateway answers 401)."""
        credential = load(schemas.Credential(), credential)
        with self.db.transaction() as s:
            return staff.authenticate(s, credential, self.config.get("ADMIN_TOKEN") or "")

    @command
    def staff_sign_in(self, form, ip=None):
        """{"session", "enrol", "staff"}; every failure is the same Unauthorized (counted first)."""
        with self.db.transaction() as s:
            signed_in = staff.sign_in(s, self.keys, form, ip, SESSION_S)
        if signed_in is None:
            raise Unauthorized(staff.SIGN_IN_FAILED, {})
        return signed_in

    @command
    def end_staff_session(self, token):
        with self.db.transaction() as s:
            staff.sessions.end(s, str(token))

    @command
    def staff_setup(self):
        """What the console's sign-in page needs to know: is there an owner yet?"""
        with self.db.transaction() as s:
            return {"has_owner": staff.has_owner(s)}

    @command
    def create_first_owner(self, new):
        new = load(schemas.FirstOwner(), new)
        with self.db.transaction() as s:
            return staff.create_first_owner(s, new)

    @command
    def start_totp_enrolment(self, token):
        with self.db.transaction() as s:
            return staff.enrolment(s, self.keys, str(token))

    @command
    def confirm_totp_enrolment(self, token, code):
        with self.db.transaction() as s:
            return staff.confirm_enrolment(s, self.keys, str(token), str(code))

    @command
    def create_staff(self, actor, new):
        new = load(schemas.NewStaff(), new)
        with self.db.transaction() as s:
            return staff.create(s, actor, new)

    @command
    def list_staff(self):
        with self.db.transaction() as s:
            return staff.listing(s)

    @command
    def change_staff(self, actor, staff_id, changes):
        changes = load(schemas.StaffChanges(), changes)
        with self.db.transaction() as s:
            return staff.change(s, actor, int(staff_id), changes)

    @command
    def reset_staff_totp(self, actor, staff_id):
        with self.db.transaction() as s:
            return staff.reset_totp(s, actor, int(staff_id))

    @command
    def staff_sessions(self, staff_id):
        with self.db.transaction() as s:
            return staff.live_sessions(s, int(staff_id))

    @command
    def end_staff_sessions(self, actor, staff_id):
        with self.db.transaction() as s:
            return staff.end_sessions(s, actor, int(staff_id))

    @command
    def change_staff_password(self, actor, staff_id, change):
        change = load(schemas.PasswordChange(), change)
        with self.db.transaction() as s:
            return staff.change_password(s, actor, int(staff_id), change, SESSION_S)

    @command
    def issue_staff_token(self, actor, staff_id, new):
        new = load(schemas.NewToken(), new)
        with self.db.transaction() as s:
            return staff.issue_token(s, actor, int(staff_id), new)

    @command
    def staff_tokens(self, staff_id):
        with self.db.transaction() as s:
            return staff.tokens(s, int(staff_id))

    @command
    def revoke_staff_token(self, actor, staff_id, token_id):
        with self.db.transaction() as s:
            staff.revoke_token(s, actor, int(staff_id), int(token_id))
