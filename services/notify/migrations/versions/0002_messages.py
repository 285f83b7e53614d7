"""notify: the staff webhook targets (URL and secret encrypted) and one row per message to send"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"

NOW = sa.func.now()


def upgrade():
    op.create_table(
        "targets",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("name", sa.Text, nullable=False, unique=True),
        sa.Column("format", sa.Text, nullable=False),
        sa.Column("url", sa.LargeBinary, nullable=False),
        sa.Column("secret", sa.LargeBinary),
        sa.Column("chat_id", sa.Text),
        sa.Column("topics", JSONB, nullable=False, server_default="[]"),
        sa.Column("language", sa.Text, nullable=False, server_default="zh"),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.CheckConstraint("format IN ('generic', 'wecom', 'dingtalk', 'telegram')", name="targets_format"),
        sa.CheckConstraint("language IN ('zh', 'en')", name="targets_language"),
        schema="notify",
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("recipient", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("template", sa.Text, nullable=False),
        sa.Column("language", sa.Text, nullable=False),
        sa.Column("data", JSONB, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_try_at", sa.DateTime(timezone=True)),
        sa.Column("lease", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("event_id", "recipient", "channel", name="messages_once"),
        sa.CheckConstraint("channel IN ('email', 'webhook')", name="messages_channel"),
        sa.CheckConstraint("status IN ('pending', 'sent', 'off', 'failed')", name="messages_status"),
        schema="notify",
    )
    op.create_index(
        "messages_due", "messages", ["next_try_at"], schema="notify", postgresql_where=sa.text("status = 'pending'")
    )


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
