"""delivery: the buyer's completion e-mail, recorded pending and sent after the commit"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003"
down_revision = "0002"


def upgrade():
    op.create_table(
        "mails",
        sa.Column("order_no", sa.Text, primary_key=True),
        sa.Column("data", JSONB, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_try_at", sa.DateTime(timezone=True)),
        sa.Column("error", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("status IN ('pending', 'sent', 'off', 'failed')", name="mail_status"),
        schema="delivery",
    )
    op.create_index(
        "mails_due", "mails", ["next_try_at"], schema="delivery", postgresql_where=sa.text("status = 'pending'")
    )


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
