"""payment: payments, notifications, journal"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
S = "payment"


def upgrade():
    op.create_table(
        "payments",
        sa.Column("payment_no", sa.Text, primary_key=True),
        sa.Column("order_no", sa.Text, nullable=False, unique=True),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("pay_url", sa.Text),
        sa.Column("channel_trade_no", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("paid_at", sa.DateTime(timezone=True)),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("refunded_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("amount >= 0", name="amount_not_negative"),
        sa.CheckConstraint("status IN ('pending', 'closed', 'paid', 'refunding', 'refunded')", name="status"),
        schema=S,
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("payment_no", sa.Text),
        sa.Column("raw", JSONB, nullable=False),
        sa.Column("verified", sa.Boolean, nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=S,
    )
    op.create_table(
        "journal",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("payment_no", sa.Text, nullable=False),
        sa.Column("order_no", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=S,
    )
    for table in ("notifications", "journal"):  # append-only, as audit rows are
        op.execute(f"""
            CREATE RULE {table}_no_update AS ON UPDATE TO payment.{table} DO INSTEAD NOTHING;
            CREATE RULE {table}_no_delete AS ON DELETE TO payment.{table} DO INSTEAD NOTHING""")


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
