"""support: tickets, their messages and attachments, the SLA policies"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"

NOW = sa.func.now()
TS = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "tickets",
        sa.Column("ticket_id", sa.Text, primary_key=True),
        sa.Column("order_no", sa.Text, nullable=False, index=True),
        sa.Column("buyer_id", sa.BigInteger),
        sa.Column("contact", sa.Text, nullable=False),
        sa.Column("language", sa.Text, nullable=False, server_default="zh"),
        sa.Column("category", sa.Text, nullable=False),
        sa.Column("priority", sa.Text, nullable=False, server_default="normal"),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="open"),
        sa.Column("assignee_id", sa.BigInteger),
        sa.Column("assignee", sa.Text),
        sa.Column("opened_at", TS, nullable=False, server_default=NOW),
        sa.Column("warn_at", TS, nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("warned_at", TS),
        sa.Column("breached_at", TS),
        sa.Column("first_response_at", TS),
        sa.Column("sla", sa.Text, nullable=False, server_default="pending"),
        sa.Column("escalated", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("updated_at", TS, nullable=False, server_default=NOW),
        sa.CheckConstraint(
            "category IN ('code_invalid', 'not_received', 'recharge_failed', 'refund_request', 'other')",
            name="tickets_category",
        ),
        sa.CheckConstraint("priority IN ('low', 'normal', 'high', 'urgent')", name="tickets_priority"),
        sa.CheckConstraint(
            "status IN ('open', 'waiting_on_buyer', 'waiting_on_supplier', 'resolved', 'closed')",
            name="tickets_status",
        ),
        sa.CheckConstraint("sla IN ('pending', 'met', 'breached')", name="tickets_sla"),
        sa.CheckConstraint("language IN ('zh', 'en')", name="tickets_language"),
        schema="support",
    )
    # the SLA timer's two conditional UPDATEs walk only tickets still waiting for a first answer
    op.create_index(
        "tickets_sla_pending",
        "tickets",
        ["due_at"],
        schema="support",
        postgresql_where=sa.text("first_response_at IS NULL AND sla = 'pending'"),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("ticket_id", sa.Text, sa.ForeignKey("support.tickets.ticket_id"), nullable=False, index=True),
        sa.Column("by", sa.Text, nullable=False),
        sa.Column("author", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("at", TS, nullable=False, server_default=NOW),
        sa.CheckConstraint("by IN ('buyer', 'staff', 'system')", name="messages_by"),
        schema="support",
    )
    op.create_table(
        "attachments",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("ticket_id", sa.Text, sa.ForeignKey("support.tickets.ticket_id"), nullable=False, index=True),
        sa.Column("by", sa.Text, nullable=False),
        sa.Column("filename", sa.Text, nullable=False),
        sa.Column("content_type", sa.Text, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.Text, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("at", TS, nullable=False, server_default=NOW),
        sa.CheckConstraint("size > 0 AND size <= 2097152", name="attachments_size"),
        schema="support",
    )
    op.create_table(
        "sla_policies",
        sa.Column("category", sa.Text, primary_key=True),  # or '*': any category
        sa.Column("priority", sa.Text, primary_key=True),  # or '*': any priority
        sa.Column("respond_s", sa.Integer, nullable=False),
        sa.Column("warn_s", sa.Integer, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
        sa.Column("updated_at", TS, nullable=False, server_default=NOW),
        sa.CheckConstraint("respond_s > 0 AND warn_s > 0 AND warn_s < respond_s", name="sla_policies_order"),
        schema="support",
    )


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
