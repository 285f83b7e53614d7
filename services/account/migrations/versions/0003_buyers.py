"""account: buyers' one-time links (verify the e-mail, reset the password) and their mails"""

import sqlalchemy as sa
from alembic import op

revision = "0003_buyers"
down_revision = "0002"

NOW = sa.func.now()
TS = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "buyer_tokens",
        sa.Column("token_hash", sa.LargeBinary, primary_key=True),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("buyer_id", sa.BigInteger, sa.ForeignKey("account.buyers.id"), nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("used_at", TS),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.CheckConstraint("purpose IN ('verify_email', 'reset_password')", name="buyer_tokens_purpose"),
        schema="account",
    )
    op.create_index("buyer_tokens_buyer", "buyer_tokens", ["buyer_id", "purpose"], schema="account")
    op.create_table(
        "mails",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("to_address", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_try_at", TS),
        sa.Column("error", sa.Text),
        sa.Column("sent_at", TS),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        schema="account",
    )
    op.create_index(
        "mails_due", "mails", ["next_try_at"], schema="account", postgresql_where=sa.text("status = 'pending'")
    )
    op.create_index("buyers_level", "buyers", ["level"], schema="account")


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
