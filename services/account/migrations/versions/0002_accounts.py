"""account: buyers, staff, sessions, member levels"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"

NOW = sa.func.now()
TS = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "buyers",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("email", sa.Text, unique=True),
        sa.Column("phone", sa.Text, unique=True),
        sa.Column("name", sa.Text),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("credential_version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("email_verified_at", TS),
        sa.Column("total_spent", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("level", sa.Text),
        sa.Column("real_name", sa.LargeBinary),
        sa.Column("real_name_verified_at", TS),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.CheckConstraint("email IS NOT NULL OR phone IS NOT NULL", name="buyers_email_or_phone"),
        sa.CheckConstraint("total_spent >= 0", name="buyers_spent_not_negative"),
        schema="account",
    )
    op.create_table(
        "staff",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("email", sa.Text, nullable=False, unique=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("credential_version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("totp_secret", sa.LargeBinary),
        sa.Column("totp_confirmed_at", TS),
        sa.Column("disabled_at", TS),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.CheckConstraint("role IN ('owner', 'operator', 'support', 'finance')", name="staff_role"),
        schema="account",
    )
    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.LargeBinary, primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("subject_id", sa.BigInteger, nullable=False),
        sa.Column("credential_version", sa.Integer, nullable=False),
        sa.Column("ip", sa.Text),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("revoked_at", TS),
        sa.CheckConstraint("kind IN ('buyer', 'staff')", name="sessions_kind"),
        schema="account",
    )
    op.create_index("sessions_subject", "sessions", ["kind", "subject_id"], schema="account")
    op.create_table(
        "member_levels",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("threshold", sa.BigInteger, nullable=False, unique=True),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.CheckConstraint("threshold >= 0", name="member_levels_threshold_not_negative"),
        schema="account",
    )


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
