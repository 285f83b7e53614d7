"""analytics: the raw event log and the reporting tables built from it (issue 22)"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0002"
down_revision = "0001"
S = "analytics"
TS = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "events",
        sa.Column("seq", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("event_id", UUID(as_uuid=False), nullable=False, unique=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("occurred_at", TS, nullable=False),
        sa.Column("envelope", JSONB, nullable=False),
        schema=S,
    )
    op.create_table(
        "orders",
        sa.Column("order_no", sa.Text, primary_key=True),
        sa.Column("created_at", TS),
        sa.Column("sku", sa.Text),
        sa.Column("quantity", sa.Integer),
        sa.Column("amount", sa.BigInteger),
        sa.Column("channel", sa.Text),
        sa.Column("agent_id", sa.BigInteger),
        sa.Column("via_agent_id", sa.BigInteger),
        sa.Column("buyer", sa.Text),
        sa.Column("risk_rejected", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("paid_at", TS),
        sa.Column("paid_amount", sa.BigInteger),
        sa.Column("completed_at", TS),
        sa.Column("refunded_at", TS),
        sa.Column("refund_amount", sa.BigInteger),
        schema=S,
    )
    op.create_index("orders_created", "orders", ["created_at"], schema=S)
    op.create_table(
        "products",
        sa.Column("sku", sa.Text, primary_key=True),
        sa.Column("name", sa.Text),
        sa.Column("category", sa.Text),
        sa.Column("price", sa.BigInteger),
        sa.Column("seen_at", TS, nullable=False),
        schema=S,
    )
    op.create_table(
        "views",
        sa.Column("sku", sa.Text, primary_key=True),
        sa.Column("hour", TS, primary_key=True),
        sa.Column("views", sa.BigInteger, nullable=False),
        schema=S,
    )
    op.create_table(
        "costs",
        sa.Column("sku", sa.Text, primary_key=True),
        sa.Column("bought", sa.BigInteger, nullable=False),
        sa.Column("cost", sa.BigInteger, nullable=False),
        schema=S,
    )


def downgrade():
    raise NotImplementedError("forward-only: restore from backup")
