"""payment: channels (qr_code), partial refunds (refunds table, refunded_amount), reconciliation"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
S = "payment"


def upgrade():
    op.add_column("payments", sa.Column("qr_code", sa.Text), schema=S)
    op.add_column("payments", sa.Column("refunded_amount", sa.BigInteger, nullable=False, server_default="0"), schema=S)
    op.add_column("payments", sa.Column("last_checked_at", sa.DateTime(timezone=True)), schema=S)
    op.create_check_constraint(
        "refunded_within_amount", "payments", "refunded_amount >= 0 AND refunded_amount <= amount", schema=S
    )
    op.create_index(
        "payments_open",
        "payments",
        ["created_at"],
        schema=S,
        postgresql_where=sa.text("status IN ('pending', 'closed')"),
    )
    op.add_column("journal", sa.Column("refund_no", sa.Text), schema=S)
    op.create_table(
        "refunds",
        sa.Column("refund_no", sa.Text, primary_key=True),
        sa.Column("payment_no", sa.Text, nullable=False),
        sa.Column("order_no", sa.Text, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("whole", sa.Boolean, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("attempts", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("next_try_at", sa.DateTime(timezone=True)),
        sa.Column("channel_refund_no", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("amount > 0", name="refund_amount_positive"),
        sa.CheckConstraint("status IN ('refunding', 'refunded', 'refund_failed')", name="refund_status"),
        schema=S,
    )
    op.create_index("refunds_payment", "refunds", ["payment_no"], schema=S)
    op.create_index(
        "refunds_due",
        "refunds",
        ["next_try_at"],
        schema=S,
        postgresql_where=sa.text("status IN ('refunding', 'refund_failed')"),
    )


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
