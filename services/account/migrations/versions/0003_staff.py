"""account: staff sign-in (lock-out, TOTP replay guard), recovery codes, API tokens"""

import sqlalchemy as sa
from alembic import op

revision = "0003_staff"
down_revision = "0002"

NOW = sa.func.now()
TS = sa.DateTime(timezone=True)


def upgrade():
    op.add_column(
        "staff", sa.Column("failed_sign_ins", sa.Integer, nullable=False, server_default="0"), schema="account"
    )
    op.add_column("staff", sa.Column("failing_since", TS), schema="account")
    op.add_column("staff", sa.Column("locked_until", TS), schema="account")
    op.add_column("staff", sa.Column("totp_last_step", sa.BigInteger), schema="account")
    op.create_table(
        "staff_recovery_codes",
        sa.Column("code_hash", sa.LargeBinary, primary_key=True),
        sa.Column("staff_id", sa.BigInteger, sa.ForeignKey("account.staff.id"), nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.Column("used_at", TS),
        schema="account",
    )
    op.create_index("staff_recovery_codes_staff", "staff_recovery_codes", ["staff_id"], schema="account")
    op.create_table(
        "staff_tokens",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("staff_id", sa.BigInteger, sa.ForeignKey("account.staff.id"), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("roles", sa.ARRAY(sa.Text), nullable=False),
        sa.Column("token_hash", sa.LargeBinary, nullable=False, unique=True),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.Column("last_used_at", TS),
        sa.Column("revoked_at", TS),
        sa.CheckConstraint("cardinality(roles) > 0", name="staff_tokens_some_role"),
        schema="account",
    )
    op.create_index("staff_tokens_staff", "staff_tokens", ["staff_id"], schema="account")


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
